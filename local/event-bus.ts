import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import {
  BUS_NAME,
  BUS_TARGET_RETRY,
  type BusRule,
  type FunctionDefinition,
} from '../shared/platform/definitions';
import { DeadLetterQueue } from './dead-letters';
import type { DeliveryJournal, PendingDelivery } from './delivery-journal';
import { LOCAL_CREDENTIALS, signingKeyId } from './dynamodb';
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
  /** `function:<Name>`, `queue:<Name>` or `auditLog`. */
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
  /** Accepted by an earlier run of the runtime and resumed by this one. */
  resumed?: boolean;
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

/**
 * Retries of a function target, counted as on AWS: EventBridge retries handing the event to Lambda,
 * then Lambda's asynchronous invocation retries a handler that failed. Locally the first kind is a
 * handler that is not loaded. The waits are shorter than AWS's (about 1 and 2 minutes) so a demo
 * does not stall.
 */
export interface RetryPolicy {
  /** Retries after the handler failed (threw, rejected, timed out); default 2, `HANDLER_RETRY`. */
  handlerRetryAttempts: number;
  /** Retries while the target cannot be invoked at all; default 8, `DELIVERY_RETRY`. */
  deliveryRetryAttempts: number;
  /** Delay before the first retry; it doubles for each further one. */
  baseDelayMs: number;
  /** The longest delay between two attempts. */
  maxDelayMs: number;
}

/** The CDK's retry counts (from the definitions), with local waits. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  handlerRetryAttempts: BUS_TARGET_RETRY.handlerRetryAttempts,
  deliveryRetryAttempts: BUS_TARGET_RETRY.deliveryRetryAttempts,
  baseDelayMs: 100,
  maxDelayMs: 5_000,
};

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
  /**
   * Where accepted deliveries to functions are kept until settled, so they survive a crash; without
   * one (in-memory runs) they live only in this process.
   */
  journal?: DeliveryJournal;
  /**
   * The queues rules may target, by name: an event for one is sent there (durably) before PutEvents
   * answers, as EventBridge's SQS target; the queue's consumer does the rest.
   */
  queues?: ReadonlyMap<string, { send(body: string): Promise<unknown> }>;
  /**
   * Invocations of one function running at once; the others wait their turn, as Lambda's queue for
   * asynchronous invocations keeps events until a function instance is free. Default
   * {@link DEFAULT_DELIVERY_CONCURRENCY}.
   */
  concurrencyPerFunction?: number;
}

/**
 * One machine runs every function: thousands of deliveries started at once (a burst of orders each
 * starting its workflow) would share its two cores and each run past its timeout into the
 * dead-letter list. Waiting before the invocation, like Lambda's own queue, costs no timeout.
 */
export const DEFAULT_DELIVERY_CONCURRENCY = 8;

export interface EventFilter {
  detailType?: string;
  source?: string;
  /** The most recent matching events to return; default 1,000. */
  limit?: number;
}

/** PutEvents' limits: 10 entries, 256 KB in all. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

/** A delivery to a function target, with what it takes to carry it out and to settle it. */
interface FunctionDelivery {
  delivery: Delivery;
  pending: PendingDelivery;
  rule: BusRule;
  handlerFailures: number;
  deliveryFailures: number;
}

/**
 * The local `commerce` bus: takes PutEvents (in process or over HTTP with the real SDK client),
 * builds the events EventBridge would build, matches them against the same rules as the CDK stack
 * and delivers asynchronously to the same handlers, with retries and a dead-letter list.
 *
 * With a journal, PutEvents answers only once every delivery to a function it accepted is on disk;
 * a delivery leaves the journal when it settles (delivered, or dead-lettered), so deliveries a crash
 * or a stop interrupted are resumed by {@link resume} at the next start: at least once, as on AWS.
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
  private readonly timers = new Map<NodeJS.Timeout, FunctionDelivery>();
  /** Each target function's turn-taking (see {@link EventBusOptions.concurrencyPerFunction}). */
  private readonly queues = new Map<string, pLimit.Limit>();
  private stopped = false;

  constructor(private readonly options: EventBusOptions) {
    this.name = options.name ?? BUS_NAME;
    this.rules = options.rules;
    this.functions = new Map(options.functions.map((fn) => [fn.name, fn]));
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
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
      if ('queue' in rule.target && !options.queues?.has(rule.target.queue)) {
        problems.push(`rule ${rule.name}: target queue ${rule.target.queue} is not given to the bus`);
      }
    }
    if (problems.length > 0) throw new Error(`Invalid bus rules:\n${problems.join('\n')}`);
  }

  /**
   * PutEvents: validates each entry as EventBridge does, journals the deliveries the valid ones
   * need, then records and routes them, and answers per entry. Rejects with
   * {@link EventBridgeValidationError} for a malformed request.
   */
  async putEvents(input: { Entries?: unknown }): Promise<PutEventsResult> {
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
    const receivedAt = new Date().toISOString();
    const accepted = entries.map((entry) => this.accept(entry as PutEventsEntryInput));
    const routed = accepted.map((result) =>
      'event' in result ? this.plan(result.event, receivedAt) : undefined,
    );
    const journaled = routed.flatMap((record) => record?.functions.map((target) => target.pending) ?? []);
    let journalError: string | undefined;
    if (this.options.journal && journaled.length > 0) {
      try {
        await this.options.journal.append(journaled);
      } catch (error) {
        journalError = describeError(error);
        this.log.error(
          `bus: cannot journal ${journaled.length} delivery(ies); the entries are refused: ${journalError}`,
        );
      }
    }
    // A queue target is a durable hand-over: the entry succeeds only once its queues have it.
    const queueErrors = await Promise.all(
      routed.map(async (record) => {
        if (!record || record.queues.length === 0 || (journalError && record.functions.length > 0)) {
          return undefined;
        }
        try {
          await Promise.all(
            record.queues.map(async ({ delivery, queue }) => {
              delivery.attempts += 1;
              await this.options.queues?.get(queue)?.send(JSON.stringify(record.record.event));
              delivery.status = 'delivered';
              delivery.deliveredAt = new Date().toISOString();
            }),
          );
          return undefined;
        } catch (error) {
          const message = describeError(error);
          this.log.error(
            `bus: cannot send ${record.record.event.id} to its queue; the entry is refused: ${message}`,
          );
          return message;
        }
      }),
    );
    const results: PutEventsResultEntry[] = [];
    let failed = 0;
    accepted.forEach((result, index) => {
      const record = routed[index];
      if (!('event' in result) || !record) {
        failed += 1;
        results.push(result as PutEventsResultEntry);
        return;
      }
      const queueError = queueErrors[index];
      if (queueError) {
        failed += 1;
        results.push({
          ErrorCode: 'InternalFailure',
          ErrorMessage: `The event could not be queued: ${queueError}`,
        });
        return;
      }
      if (journalError && record.functions.length > 0) {
        failed += 1;
        results.push({
          ErrorCode: 'InternalFailure',
          ErrorMessage: `The event could not be stored: ${journalError}`,
        });
        return;
      }
      this.start(record);
      results.push({ EventId: result.event.id });
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  /**
   * Resumes the deliveries an earlier run accepted and did not settle (call once the handlers are
   * loaded). Resolves with how many it resumed; they run asynchronously, like any delivery.
   */
  async resume(): Promise<number> {
    const journal = this.options.journal;
    if (!journal) return 0;
    const pending = await journal.pending();
    const byEvent = new Map<string, PendingDelivery[]>();
    for (const delivery of pending) {
      const list = byEvent.get(delivery.event.id);
      if (list) list.push(delivery);
      else byEvent.set(delivery.event.id, [delivery]);
    }
    for (const deliveries of byEvent.values()) {
      const first = deliveries[0]!;
      const record: PlannedRecord = {
        record: { event: first.event, receivedAt: first.receivedAt, deliveries: [], resumed: true },
        functions: [],
        queues: [],
      };
      for (const pendingDelivery of deliveries) {
        const rule = this.rules.find((candidate) => candidate.name === pendingDelivery.rule);
        const queue =
          rule && 'queue' in rule.target ? this.options.queues?.get(rule.target.queue) : undefined;
        if (rule && 'queue' in rule.target && queue) {
          // The rule now hands its events to a queue (an earlier run invoked the function directly):
          // the event goes where the rule sends it today.
          await queue.send(JSON.stringify(pendingDelivery.event));
          record.record.deliveries.push({
            rule: rule.name,
            target: `queue:${rule.target.queue}`,
            status: 'delivered',
            attempts: 1,
            deliveredAt: new Date().toISOString(),
          });
          await journal.settle(pendingDelivery);
          continue;
        }
        if (!rule || !('function' in rule.target)) {
          // The definitions changed between the runs: nothing would receive it here any more.
          this.deadLetters.add({
            source: 'bus',
            functionName: pendingDelivery.functionName,
            origin: pendingDelivery.rule,
            attempts: 0,
            error: `rule ${pendingDelivery.rule} is no longer defined; not resumed`,
            payload: pendingDelivery.event,
          });
          await journal.settle(pendingDelivery);
          continue;
        }
        const delivery: Delivery = {
          rule: rule.name,
          target: `function:${rule.target.function}`,
          status: 'pending',
          attempts: 0,
        };
        record.record.deliveries.push(delivery);
        record.functions.push({
          delivery,
          pending: pendingDelivery,
          rule,
          handlerFailures: 0,
          deliveryFailures: 0,
        });
      }
      this.start(record);
    }
    if (pending.length > 0)
      this.log.info(`bus: resumed ${pending.length} delivery(ies) accepted before the last stop`);
    return pending.length;
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

  /**
   * Cancels deliveries not yet attempted and pending retries (they end `failed` here, and stay in the
   * journal to be resumed by the next start); waits for running ones.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const kept = this.options.journal ? '; kept for the next start' : '';
    for (const [timer, target] of this.timers) {
      clearTimeout(timer);
      const delivery = target.delivery;
      delivery.status = 'failed';
      delivery.lastError = `${delivery.lastError ? `${delivery.lastError}; ` : ''}cancelled: the runtime stopped${kept}`;
      this.settle();
    }
    this.timers.clear();
    await this.whenIdle();
  }

  /** The HTTP side: `POST /_aws/eventbridge` (PutEvents), `GET /_local/events`, `GET /_local/dlq`. */
  endpoints(): LocalEndpoint[] {
    const putEvents = (request: { headers: Record<string, unknown>; body: Buffer }) =>
      this.handlePutEvents(
        request.headers['x-amz-target'],
        request.body,
        publisherOf(request.headers.authorization),
      );
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

  private async handlePutEvents(target: unknown, body: Buffer, publisher: Publisher): Promise<LocalResponse> {
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
    const denied = deniedSource(input as { Entries?: unknown }, publisher);
    if (denied) {
      return error(
        'AccessDeniedException',
        `${publisher.describe}: not authorized to perform events:PutEvents with source ${denied} on event bus ${this.name} (the bus policy keeps each source to its publisher)`,
      );
    }
    try {
      const result = await this.putEvents(input as { Entries?: unknown });
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

  private accept(
    entry: PutEventsEntryInput,
  ): { event: BusEvent } | { ErrorCode: string; ErrorMessage: string } {
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
    return { event };
  }

  private busOf(name: unknown): string {
    if (name === undefined || name === null || name === '') return 'default';
    if (typeof name !== 'string') return String(name);
    // An ARN names the bus after `event-bus/`.
    const slash = name.startsWith('arn:') ? name.lastIndexOf('/') : -1;
    return slash >= 0 ? name.slice(slash + 1) : name;
  }

  /** The record of an event and the deliveries to functions it needs, before anything runs. */
  private plan(event: BusEvent, receivedAt: string): PlannedRecord {
    const planned: PlannedRecord = {
      record: { event, receivedAt, deliveries: [] },
      functions: [],
      queues: [],
    };
    for (const rule of this.rules) {
      if (!matchesPattern(rule.eventPattern, event)) continue;
      if ('function' in rule.target) {
        const delivery: Delivery = {
          rule: rule.name,
          target: `function:${rule.target.function}`,
          status: 'pending',
          attempts: 0,
        };
        planned.record.deliveries.push(delivery);
        planned.functions.push({
          delivery,
          pending: { rule: rule.name, functionName: rule.target.function, event, receivedAt },
          rule,
          handlerFailures: 0,
          deliveryFailures: 0,
        });
      } else if ('queue' in rule.target) {
        const delivery: Delivery = {
          rule: rule.name,
          target: `queue:${rule.target.queue}`,
          status: 'pending',
          attempts: 0,
        };
        planned.record.deliveries.push(delivery);
        planned.queues.push({ delivery, queue: rule.target.queue });
      } else {
        // The audit log is a log group on AWS: recording the event here is the delivery.
        planned.record.deliveries.push({
          rule: rule.name,
          target: 'auditLog',
          status: 'delivered',
          attempts: 1,
          deliveredAt: receivedAt,
        });
      }
    }
    return planned;
  }

  /** Lists the event and starts its deliveries. */
  private start(planned: PlannedRecord): void {
    for (const target of planned.functions) this.schedule(target, true, 0);
    this.ring[this.next] = planned.record;
    this.next = (this.next + 1) % this.ring.length;
    this.stored = Math.min(this.stored + 1, this.ring.length);
  }

  /** Deliveries are asynchronous, as EventBridge's are: PutEvents answers before any target runs. */
  private schedule(target: FunctionDelivery, first: boolean, delayMs: number): void {
    if (this.stopped && first) {
      target.delivery.status = 'failed';
      target.delivery.lastError = `not attempted: the runtime stopped${this.options.journal ? '; kept for the next start' : ''}`;
      return;
    }
    if (first) this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(target);
    }, delayMs);
    this.timers.set(timer, target);
  }

  private async attempt(target: FunctionDelivery): Promise<void> {
    const { delivery, rule, pending } = target;
    const { event, functionName } = pending;
    delivery.attempts += 1;
    delivery.status = 'pending';
    const handler = this.options.handlers.get(functionName);
    let error: unknown;
    if (!handler) {
      error = new Error(`${functionName} is not loaded`);
    } else {
      const definition = this.functions.get(functionName);
      try {
        const ran = await this.queueOf(functionName)(async () => {
          // Stopped while it waited its turn: not attempted; the journal keeps it for the next start.
          if (this.stopped) return false;
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
          return true;
        });
        if (!ran) {
          delivery.attempts -= 1;
          delivery.status = 'failed';
          delivery.lastError = `cancelled: the runtime stopped${this.options.journal ? '; kept for the next start' : ''}`;
          this.settle();
          return;
        }
        delivery.status = 'delivered';
        delivery.deliveredAt = new Date().toISOString();
        await this.forget(pending);
        this.settle();
        return;
      } catch (caught) {
        error = caught;
      }
    }
    // A target that could not be invoked is EventBridge's retry; a handler that failed, Lambda's.
    const failures = handler ? ++target.handlerFailures : ++target.deliveryFailures;
    const retries = handler ? this.retry.handlerRetryAttempts : this.retry.deliveryRetryAttempts;
    delivery.lastError = describeError(error);
    if (failures <= retries) {
      if (!this.stopped) {
        delivery.status = 'retrying';
        const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (delivery.attempts - 1));
        this.schedule(target, false, delay);
        return;
      }
      // Stopping with retries left: the journal keeps it for the next start.
      delivery.status = 'failed';
      delivery.lastError += `; cancelled: the runtime stopped${this.options.journal ? '; kept for the next start' : ''}`;
      this.settle();
      return;
    }
    delivery.status = 'failed';
    this.deadLetters.add({
      source: 'bus',
      functionName,
      origin: rule.name,
      attempts: delivery.attempts,
      error: delivery.lastError,
      payload: event,
    });
    this.log.error(
      `bus: ${functionName} failed ${delivery.attempts} time(s) on ${event['detail-type']} ${event.id} (rule ${rule.name}); ` +
        `moved to the dead-letter list: ${delivery.lastError}`,
    );
    await this.forget(pending);
    this.settle();
  }

  private queueOf(functionName: string): pLimit.Limit {
    let queue = this.queues.get(functionName);
    if (!queue) {
      queue = pLimit(this.options.concurrencyPerFunction ?? DEFAULT_DELIVERY_CONCURRENCY);
      this.queues.set(functionName, queue);
    }
    return queue;
  }

  /** Takes a settled delivery out of the journal; a failure only means it may be delivered again. */
  private async forget(pending: PendingDelivery): Promise<void> {
    try {
      await this.options.journal?.settle(pending);
    } catch (error) {
      this.log.error(
        `bus: cannot remove a settled delivery from the journal (it may run again): ${describeError(error)}`,
      );
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

/** An event's record, the function deliveries it starts and the queues it is sent to. */
interface PlannedRecord {
  record: BusEventRecord;
  functions: FunctionDelivery[];
  queues: { delivery: Delivery; queue: string }[];
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

// ---------------------------------------------------------------------------------------------
// The bus policy, as the stacks write it (`cdk/constructs/bus-access.ts`): `commerce.*` sources only
// from the system's own functions, `marketplace.<name>` only from that marketplace's role. Locally
// the caller is told apart by the access key id of its SigV4 signature (the secret is not checked):
// the functions sign with LOCAL_CREDENTIALS, a marketplace with `marketplace-<name>`.

/** Who signed a PutEvents request. */
export interface Publisher {
  kind: 'system' | 'marketplace' | 'other';
  marketplace?: string;
  describe: string;
}

/** The access key id a marketplace signs with locally: `marketplace-<name>`. */
export const marketplaceAccessKeyId = (name: string) => `marketplace-${name}`;

export function publisherOf(authorization: unknown): Publisher {
  const keyId = signingKeyId(authorization);
  if (keyId === LOCAL_CREDENTIALS.accessKeyId) return { kind: 'system', describe: "The system's functions" };
  const marketplace = keyId?.startsWith('marketplace-') ? keyId.slice('marketplace-'.length) : undefined;
  if (marketplace) {
    return { kind: 'marketplace', marketplace, describe: `Marketplace ${marketplace}'s role` };
  }
  return { kind: 'other', describe: keyId ? `Access key ${keyId}` : 'An unsigned caller' };
}

/** The first source among the entries the publisher may not put, if any (the whole call is refused). */
export function deniedSource(input: { Entries?: unknown }, publisher: Publisher): string | undefined {
  const entries = Array.isArray(input.Entries) ? input.Entries : [];
  for (const entry of entries) {
    const source = (entry as { Source?: unknown })?.Source;
    if (typeof source !== 'string') continue;
    if (source.startsWith('commerce.') && publisher.kind !== 'system') return source;
    if (source.startsWith('marketplace.')) {
      const name = source.slice('marketplace.'.length);
      if (publisher.kind !== 'marketplace' || publisher.marketplace !== name) return source;
    }
  }
  return undefined;
}
