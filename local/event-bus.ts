import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { BUS_NAME, type BusRule, type FunctionDefinition } from '../shared/platform/definitions';
import { DeadLetterQueue } from './dead-letters';
import { matchesPattern, validatePattern } from './event-pattern';
import type { LocalEndpoint, LocalResponse } from './http-server';
import { type HandlerMap, invoke, LOCAL_ACCOUNT_ID } from './lambda';
import { describeError, type LocalLogger, silentLogger } from './log';

/** The path at which the bus speaks the EventBridge JSON protocol; `EVENTBRIDGE_ENDPOINT` points here. */
export const EVENTBRIDGE_PATH = '/_aws/eventbridge';

/** An event as EventBridge delivers it to a target. */
export type BusEvent = EventBridgeEvent<string, unknown>;

/** `pending`: queued or running; `retrying`: waiting for the next attempt. */
export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed';

/** What became of an event for one rule that matched it. */
export interface Delivery {
  rule: string;
  /** `function:<Name>` or `auditLog`. */
  target: string;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
  deliveredAt?: string;
}

/** A received event, the rules it matched and the state of each delivery (`GET /_local/events`). */
export interface BusEventRecord {
  event: BusEvent;
  receivedAt: string;
  deliveries: Delivery[];
}

/** One entry of a PutEvents request as it arrives over the wire (JSON 1.1: `Time` in epoch seconds). */
export interface PutEventsEntryInput {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Resources?: unknown;
  Time?: unknown;
  TraceHeader?: unknown;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** A request-level failure, answered as the JSON protocol's `{ __type, message }` with HTTP 400. */
export class EventBridgeValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included (Lambda's asynchronous invocation makes 3). */
  maxAttempts: number;
  /** Delay before the second attempt; it doubles for each further attempt. */
  baseDelayMs: number;
}

export interface EventBusOptions {
  rules: readonly BusRule[];
  /** The definitions, for each target's timeout and to refuse a rule whose target does not exist. */
  functions: readonly FunctionDefinition[];
  /** Looked up at delivery time, so the bus can exist before the stack imports the handlers. */
  handlers: HandlerMap;
  region: string;
  name?: string;
  deadLetters?: DeadLetterQueue;
  retry?: Partial<RetryPolicy>;
  /** How many received events `events()` keeps (the oldest are dropped). */
  maxEvents?: number;
  log?: LocalLogger;
}

export interface EventFilter {
  detailType?: string;
  source?: string;
  /** The most recent matching events to return; default 1,000. */
  limit?: number;
}

/** PutEvents' limits: 10 entries, 256 KB in all. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * The local `commerce` bus: takes PutEvents (in process or over HTTP with the real SDK client),
 * builds the events EventBridge would build, matches them against the same rules as the CDK stack
 * and delivers asynchronously to the same handlers, with retries and a dead-letter list.
 */
export class LocalEventBus {
  readonly name: string;
  readonly deadLetters: DeadLetterQueue;
  private readonly rules: readonly BusRule[];
  private readonly functions: Map<string, FunctionDefinition>;
  private readonly retry: RetryPolicy;
  private readonly log: LocalLogger;
  private readonly ring: (BusEventRecord | undefined)[];
  private next = 0;
  private stored = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Deliveries waiting for their (first or next) attempt, by timer. */
  private readonly timers = new Map<NodeJS.Timeout, Delivery>();
  private stopped = false;

  constructor(private readonly options: EventBusOptions) {
    this.name = options.name ?? BUS_NAME;
    this.rules = options.rules;
    this.functions = new Map(options.functions.map((fn) => [fn.name, fn]));
    this.retry = { maxAttempts: 3, baseDelayMs: 100, ...options.retry };
    this.deadLetters = options.deadLetters ?? new DeadLetterQueue();
    this.log = options.log ?? silentLogger;
    this.ring = new Array(options.maxEvents ?? 10_000);
    const problems: string[] = [];
    for (const rule of this.rules) {
      for (const problem of validatePattern(rule.eventPattern))
        problems.push(`rule ${rule.name}: ${problem}`);
      if ('function' in rule.target && !this.functions.has(rule.target.function)) {
        problems.push(`rule ${rule.name}: target function ${rule.target.function} is not defined`);
      }
    }
    if (problems.length > 0) throw new Error(`Invalid bus rules:\n${problems.join('\n')}`);
  }

  /**
   * PutEvents: validates each entry as EventBridge does, records and routes the valid ones, and
   * answers per entry. Throws {@link EventBridgeValidationError} for a malformed request.
   */
  putEvents(input: { Entries?: unknown }): PutEventsResult {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw new EventBridgeValidationError(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: ` +
          `Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    let size = 0;
    for (const entry of entries) size += entrySize(entry as PutEventsEntryInput);
    if (size > MAX_REQUEST_BYTES) {
      throw new EventBridgeValidationError('Total size of the entries in the request is over the limit.');
    }
    const results: PutEventsResultEntry[] = [];
    let failed = 0;
    for (const entry of entries) {
      const result = this.accept(entry as PutEventsEntryInput);
      if ('ErrorCode' in result) failed += 1;
      results.push(result);
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  /** Received events, oldest first, narrowed by detail type and source; the last `limit` of them. */
  events(filter: EventFilter = {}): BusEventRecord[] {
    const found: BusEventRecord[] = [];
    const capacity = this.ring.length;
    const start = this.stored < capacity ? 0 : this.next;
    for (let i = 0; i < this.stored; i += 1) {
      const record = this.ring[(start + i) % capacity];
      if (!record) continue;
      if (filter.detailType !== undefined && record.event['detail-type'] !== filter.detailType) continue;
      if (filter.source !== undefined && record.event.source !== filter.source) continue;
      found.push(record);
    }
    const limit = filter.limit ?? 1000;
    return found.length > limit ? found.slice(found.length - limit) : found;
  }

  /** Resolves once no delivery is running or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolveIdle) => this.idleWaiters.push(resolveIdle));
  }

  /** Cancels deliveries not yet attempted and pending retries (they end `failed`); waits for running ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const [timer, delivery] of this.timers) {
      clearTimeout(timer);
      delivery.status = 'failed';
      delivery.lastError = `${delivery.lastError ? `${delivery.lastError}; ` : ''}cancelled: the runtime stopped`;
      this.settle();
    }
    this.timers.clear();
    await this.whenIdle();
  }

  /** The HTTP side: `POST /_aws/eventbridge` (PutEvents), `GET /_local/events`, `GET /_local/dlq`. */
  endpoints(): LocalEndpoint[] {
    const putEvents = (request: { headers: Record<string, unknown>; body: Buffer }) =>
      this.handlePutEvents(request.headers['x-amz-target'], request.body);
    return [
      { method: 'POST', path: EVENTBRIDGE_PATH, handle: putEvents },
      { method: 'POST', path: `${EVENTBRIDGE_PATH}/`, handle: putEvents },
      {
        method: 'GET',
        path: '/_local/events',
        handle: ({ query }) => {
          const limit = Number(query.get('limit') ?? '1000');
          const events = this.events({
            detailType: query.get('detailType') ?? undefined,
            source: query.get('source') ?? undefined,
            limit: Number.isInteger(limit) && limit > 0 ? limit : 1000,
          });
          return { statusCode: 200, body: JSON.stringify({ events }) };
        },
      },
      {
        method: 'GET',
        path: '/_local/dlq',
        handle: () => ({ statusCode: 200, body: JSON.stringify({ deadLetters: this.deadLetters.list() }) }),
      },
    ];
  }

  private handlePutEvents(target: unknown, body: Buffer): LocalResponse {
    const error = (type: string, message: string): LocalResponse => ({
      statusCode: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
      body: JSON.stringify({ __type: type, message }),
    });
    if (target !== 'AWSEvents.PutEvents') {
      return error(
        'UnknownOperationException',
        `The local bus implements AWSEvents.PutEvents only, not ${target}`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return error('SerializationException', 'The request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null) {
      return error('SerializationException', 'The request body must be a JSON object');
    }
    try {
      const result = this.putEvents(input as { Entries?: unknown });
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
        body: JSON.stringify(result),
      };
    } catch (caught) {
      if (caught instanceof EventBridgeValidationError) return error('ValidationException', caught.message);
      throw caught;
    }
  }

  private accept(entry: PutEventsEntryInput): PutEventsResultEntry {
    const invalid = (parameter: string, reason: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
    });
    if (typeof entry !== 'object' || entry === null) return invalid('Entry', 'Entry must be an object.');
    const busName = this.busOf(entry.EventBusName);
    if (busName !== this.name) {
      // EventBridge would accept an event for the default bus (and drop it, no rule there); the local
      // runtime has only the commerce bus, so a wrong bus name is surfaced instead of lost.
      return invalid(
        'EventBusName',
        `Event bus ${busName} does not exist; the local runtime has only ${this.name}.`,
      );
    }
    if (typeof entry.Source !== 'string' || entry.Source === '') {
      return invalid('Source', 'Source is a required argument.');
    }
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') {
      return invalid('DetailType', 'DetailType is a required argument.');
    }
    if (typeof entry.Detail !== 'string' || entry.Detail === '') {
      return invalid('Detail', 'Detail is a required argument.');
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const resources = entry.Resources ?? [];
    if (!Array.isArray(resources) || resources.some((resource) => typeof resource !== 'string')) {
      return invalid('Resources', 'Resources must be a list of strings.');
    }
    const time = eventTime(entry.Time);
    if (time === undefined) return invalid('Time', 'Time must be a timestamp.');

    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: LOCAL_ACCOUNT_ID,
      time,
      region: this.options.region,
      resources: resources as string[],
      detail,
    };
    this.route(event);
    return { EventId: event.id };
  }

  private busOf(name: unknown): string {
    if (name === undefined || name === null || name === '') return 'default';
    if (typeof name !== 'string') return String(name);
    // An ARN names the bus after `event-bus/`.
    const slash = name.startsWith('arn:') ? name.lastIndexOf('/') : -1;
    return slash >= 0 ? name.slice(slash + 1) : name;
  }

  private route(event: BusEvent): void {
    const record: BusEventRecord = { event, receivedAt: new Date().toISOString(), deliveries: [] };
    for (const rule of this.rules) {
      if (!matchesPattern(rule.eventPattern, event)) continue;
      if ('function' in rule.target) {
        const delivery: Delivery = {
          rule: rule.name,
          target: `function:${rule.target.function}`,
          status: 'pending',
          attempts: 0,
        };
        record.deliveries.push(delivery);
        this.schedule(event, rule, rule.target.function, delivery, 1, 0);
      } else {
        // The audit log is a log group on AWS: recording the event here is the delivery.
        record.deliveries.push({
          rule: rule.name,
          target: 'auditLog',
          status: 'delivered',
          attempts: 1,
          deliveredAt: record.receivedAt,
        });
      }
    }
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.ring.length;
    this.stored = Math.min(this.stored + 1, this.ring.length);
  }

  /** Deliveries are asynchronous, as EventBridge's are: PutEvents answers before any target runs. */
  private schedule(
    event: BusEvent,
    rule: BusRule,
    functionName: string,
    delivery: Delivery,
    attempt: number,
    delayMs: number,
  ): void {
    if (this.stopped && attempt === 1) {
      delivery.status = 'failed';
      delivery.lastError = 'not attempted: the runtime stopped';
      return;
    }
    if (attempt === 1) this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(event, rule, functionName, delivery, attempt);
    }, delayMs);
    this.timers.set(timer, delivery);
  }

  private async attempt(
    event: BusEvent,
    rule: BusRule,
    functionName: string,
    delivery: Delivery,
    attempt: number,
  ): Promise<void> {
    delivery.attempts = attempt;
    delivery.status = 'pending';
    try {
      const handler = this.options.handlers.get(functionName);
      if (!handler) throw new Error(`${functionName} is not loaded`);
      const definition = this.functions.get(functionName);
      await invoke(
        {
          name: functionName,
          handler,
          timeoutSeconds: definition?.timeoutSeconds,
          memoryMb: definition?.memoryMb,
          region: this.options.region,
        },
        event,
      );
      delivery.status = 'delivered';
      delivery.deliveredAt = new Date().toISOString();
      this.settle();
    } catch (error) {
      delivery.lastError = describeError(error);
      if (attempt < this.retry.maxAttempts && !this.stopped) {
        delivery.status = 'retrying';
        this.schedule(
          event,
          rule,
          functionName,
          delivery,
          attempt + 1,
          this.retry.baseDelayMs * 2 ** (attempt - 1),
        );
        return;
      }
      delivery.status = 'failed';
      this.deadLetters.add({
        source: 'bus',
        functionName,
        origin: rule.name,
        attempts: attempt,
        error: delivery.lastError,
        payload: event,
      });
      this.log.error(
        `bus: ${functionName} failed ${attempt} time(s) on ${event['detail-type']} ${event.id} (rule ${rule.name}); ` +
          `moved to the dead-letter list: ${delivery.lastError}`,
      );
      this.settle();
    }
  }

  private settle(): void {
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolveIdle of waiters) resolveIdle();
  }
}

/** EventBridge's `time`: seconds precision, `Z`. The wire carries `Time` as epoch seconds. */
function eventTime(value: unknown): string | undefined {
  let date: Date;
  if (value === undefined || value === null) date = new Date();
  else if (typeof value === 'number') date = new Date(value * 1000);
  else if (typeof value === 'string')
    date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  else if (value instanceof Date) date = value;
  else return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** PutEvents entry size as EventBridge counts it (Time 14 bytes, UTF-8 of the strings). */
function entrySize(entry: PutEventsEntryInput): number {
  if (typeof entry !== 'object' || entry === null) return 0;
  let size = entry.Time === undefined ? 0 : 14;
  for (const field of [entry.Source, entry.DetailType, entry.Detail]) {
    if (typeof field === 'string') size += Buffer.byteLength(field);
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources)
      if (typeof resource === 'string') size += Buffer.byteLength(resource);
  }
  return size;
}
