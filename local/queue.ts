import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { syncDirectory, writeFileSynced } from './durable-files';
import type { LocalEndpoint, LocalResponse } from './http-server';
import { type InvocationTarget, invoke, LOCAL_ACCOUNT_ID } from './lambda';
import { describeError, type LocalLogger, silentLogger } from './log';

/** Where the runtime's own listing of a queue is served: `GET /_local/queues/<name>`. */
export const QUEUES_PATH = '/_local/queues';

/**
 * The visibility timeout of a local queue when its options set none. On AWS a queue an event source
 * mapping consumes has a visibility timeout of at least the function's timeout (AWS recommends six
 * times it); locally it is short so a failed message is retried at once instead of minutes later.
 */
export const DEFAULT_VISIBILITY_TIMEOUT_MS = 1_000;

/** The redrive policy's `maxReceiveCount` when the options set none (the stacks' dead-letter queues use 5). */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;

/** Messages per invocation: the event source mapping's `BatchSize`, whose default for SQS is 10. */
export const DEFAULT_BATCH_SIZE = 10;

/** Invocations running at once: the mapping's `ScalingConfig.MaximumConcurrency`, at its minimum of 2. */
export const DEFAULT_MAX_CONCURRENCY = 2;

/**
 * The longest a poller waits before looking at the queue again. A send wakes it at once (as a long
 * poll returns as soon as a message arrives) and it wakes when the next message's visibility timeout
 * ends, so this only bounds how late a change of the clock is noticed.
 */
export const DEFAULT_POLL_INTERVAL_MS = 500;

/** SendMessage's limit of message attributes per message. */
const MAX_MESSAGE_ATTRIBUTES = 10;

/** A standard queue's name: up to 80 letters, digits, hyphens and underscores (no `.fifo`). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * One message as the queue holds it (and as a file under the queue's directory holds it), with the
 * attributes SQS keeps for it.
 */
export interface QueueMessage {
  messageId: string;
  body: string;
  /** MD5 of the body's UTF-8 bytes, hex: what SendMessage answers and the Lambda record carries. */
  md5OfBody: string;
  /**
   * The message attributes SendMessage was given. Locally they are all of SQS's `String` type
   * (enough for what the stacks send: EventBridge targets send none).
   */
  messageAttributes: Record<string, string>;
  /**
   * `SentTimestamp`, epoch ms: when the message was first sent. A move keeps it, as SQS keeps a
   * standard queue's enqueue time: retention counts from it, in the dead-letter queue too.
   */
  sentTimestamp: number;
  /**
   * Epoch ms at which a move (to the dead-letter queue, or a redrive) put the message in this queue;
   * absent for a message sent here. `ApproximateAgeOfOldestMessage` counts from it: on SQS a
   * dead-letter queue's age is the time since the move, not since the message was sent.
   */
  movedTimestamp?: number;
  /** `ApproximateReceiveCount`: receives since the message was sent, moved or redriven. */
  receiveCount: number;
  /** `ApproximateFirstReceiveTimestamp`, epoch ms; absent until the first receive. */
  firstReceiveTimestamp?: number;
  /** Epoch ms at which the message's visibility timeout ends (it can be received again). */
  visibleAt: number;
  /** In a dead-letter queue, the ARN of the queue it was moved from (SQS's `DeadLetterQueueSourceArn`). */
  deadLetterQueueSourceArn?: string;
}

export interface LocalQueueOptions {
  /** The queue name: letters, digits, `-` and `_`, up to 80 (a standard queue's rule). */
  name: string;
  /**
   * Where the messages are kept, one file per message, so that a message `send` accepted survives a
   * crash. Without one (in-memory runs) they live only in this process.
   */
  directory?: string;
  /** See {@link DEFAULT_VISIBILITY_TIMEOUT_MS}. */
  visibilityTimeoutMs?: number;
  /** The redrive policy's receive count (1 to 1,000); used only with a {@link deadLetterQueue}. */
  maxReceiveCount?: number;
  /**
   * The redrive policy's dead-letter queue: a message received `maxReceiveCount` times without
   * being deleted is moved there. Without one, a message is retried until it expires (as on SQS).
   */
  deadLetterQueue?: LocalQueue;
  /**
   * `MessageRetentionPeriod`: a message older than this (from its `sentTimestamp`) is deleted. SQS's
   * default is 4 days; locally messages are kept until handled unless this is set.
   */
  retentionMs?: number;
  /** The region in the queue's ARN and in the records delivered from it. */
  region: string;
  log?: LocalLogger;
  /** The clock, epoch ms; tests substitute one. */
  now?: () => number;
}

/** The event source mapping's settings (`AWS::Lambda::EventSourceMapping` for an SQS queue). */
export interface ConsumeOptions {
  /** `BatchSize`: the most messages per invocation; default {@link DEFAULT_BATCH_SIZE}. */
  batchSize?: number;
  /** `ScalingConfig.MaximumConcurrency`; default {@link DEFAULT_MAX_CONCURRENCY}. */
  maxConcurrency?: number;
  /** See {@link DEFAULT_POLL_INTERVAL_MS}. */
  pollIntervalMs?: number;
  /**
   * `FunctionResponseTypes: ['ReportBatchItemFailures']`: the function's `batchItemFailures` name
   * the messages to keep. Default true (the stacks' mappings set it); when false, any result deletes
   * the whole batch.
   */
  reportBatchItemFailures?: boolean;
}

/** What a message looks like over `GET /_local/queues/<name>`. */
export interface QueueListing {
  name: string;
  arn: string;
  visible: number;
  inFlight: number;
  oldestMessageAgeSeconds: number;
  messages: QueueMessage[];
}

/** A message as the queue holds it in memory. */
interface Entry {
  message: QueueMessage;
  /**
   * An invocation or a move holds the message: it is not received again, whatever its visibility
   * timeout says, until that ends (see {@link LocalQueue.consume}).
   */
  busy: boolean;
  /** The receipt handle of the latest receive; a delete with an older one does nothing, as on SQS. */
  receiptHandle?: string;
}

/** One message of a batch being delivered, with the receipt handle of this receive. */
interface Received {
  entry: Entry;
  receiptHandle: string;
}

interface Consumer {
  target: InvocationTarget;
  batchSize: number;
  maxConcurrency: number;
  pollIntervalMs: number;
  reportBatchItemFailures: boolean;
}

/**
 * The local stand-in for an Amazon SQS standard queue with a redrive policy, and for the Lambda event
 * source mapping that consumes it with partial batch responses (`ReportBatchItemFailures`).
 *
 * As on SQS, delivery is at least once:
 * - `send` answers once the message is on stable storage (with a directory): written to a temporary
 *   file, fsynced, renamed into place, the directory fsynced; so a message SendMessage accepted
 *   survives `kill -9` and is delivered after a restart.
 * - A receive increments the message's `ApproximateReceiveCount` and starts its visibility timeout,
 *   and is written to disk before the function is invoked: a crash in the middle of an invocation
 *   counts as a receive, as a message SQS handed to a poller that died counts.
 * - The mapping deletes what the function handled: the whole batch when it returns nothing or no
 *   `batchItemFailures`, all but the named messages when it names some, nothing when it throws, times
 *   out or names a message that is not in the batch (Lambda's rule for a malformed response). What
 *   is not deleted is received again once its visibility timeout ends.
 * - The redrive policy: a message about to be received for the `maxReceiveCount + 1`-th time goes to
 *   the dead-letter queue instead, keeping its id, body, attributes and `SentTimestamp`; its receive
 *   count there starts again at 0 (receives from the dead-letter queue). It is
 *   written there durably before it is deleted here, so a crash between the two leaves it in both
 *   (the dead-letter copy has the same id, so the next move overwrites it) and never in neither.
 * - {@link redrive} on a dead-letter queue moves its messages back to the queue each came from (as
 *   `StartMessageMoveTask` does), in the same order: written there, then deleted here.
 *
 * Messages that were in flight when the process stopped or crashed are visible again when the queue
 * is next constructed on the directory; their receives stay counted. Only one process should use a
 * directory at a time (the runtime's data-directory lock sees to that).
 */
export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly directory?: string;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  readonly deadLetterQueue?: LocalQueue;
  readonly retentionMs?: number;
  private readonly region: string;
  private readonly log: LocalLogger;
  private readonly now: () => number;
  /** Messages by id, in the order they arrived (SQS standard queues order on a best-effort basis). */
  private readonly entries = new Map<string, Entry>();
  /** The queues whose redrive policy names this one, by ARN (this is their dead-letter queue). */
  private readonly sources = new Map<string, LocalQueue>();
  /** File operations per message, in the order they were asked for (a write then an unlink, ...). */
  private readonly fileOps = new Map<string, Promise<void>>();
  /** Moves, expiries and deletes running outside a poller; {@link stop} waits for them. */
  private readonly background = new Set<Promise<unknown>>();
  private readonly sleepers = new Set<() => void>();
  private readonly pollers = new Set<Promise<void>>();
  private consumer?: Consumer;
  private started = false;
  /** Bumped by {@link stop}: pollers of an earlier start end even if the queue is started again. */
  private generation = 0;
  private ready?: Promise<void>;
  private tempSequence = 0;

  constructor(options: LocalQueueOptions) {
    if (!QUEUE_NAME.test(options.name)) {
      throw new Error(
        `Invalid queue name ${JSON.stringify(options.name)}: up to 80 letters, digits, hyphens and underscores`,
      );
    }
    const maxReceiveCount = options.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(`Queue ${options.name}: maxReceiveCount must be an integer from 1 to 1000`);
    }
    const visibilityTimeoutMs = options.visibilityTimeoutMs ?? DEFAULT_VISIBILITY_TIMEOUT_MS;
    if (!(visibilityTimeoutMs >= 0)) {
      throw new Error(`Queue ${options.name}: visibilityTimeoutMs must not be negative`);
    }
    if (options.deadLetterQueue?.name === options.name) {
      throw new Error(`Queue ${options.name} cannot be its own dead-letter queue`);
    }
    this.name = options.name;
    this.region = options.region;
    this.arn = `arn:aws:sqs:${options.region}:${LOCAL_ACCOUNT_ID}:${options.name}`;
    this.directory = options.directory;
    this.visibilityTimeoutMs = visibilityTimeoutMs;
    this.maxReceiveCount = maxReceiveCount;
    this.deadLetterQueue = options.deadLetterQueue;
    this.retentionMs = options.retentionMs;
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
    // The dead-letter queue learns its sources, as SQS's redrive allow policy lists them: a redrive
    // without a destination moves each message back to the source it came from.
    this.deadLetterQueue?.sources.set(this.arn, this);
    if (this.directory && this.deadLetterQueue && !this.deadLetterQueue.directory) {
      this.log.warn(
        `queue ${this.name}: its dead-letter queue ${this.deadLetterQueue.name} is in memory only; ` +
          'a message moved there does not survive a restart',
      );
    }
    this.load();
  }

  /**
   * SendMessage: resolves once the message is on stable storage (with a directory), with its id and
   * the MD5 of its body; only then can it be received. Rejects when it could not be stored (the
   * sender sees a failure and nothing was accepted).
   */
  async send(
    body: string,
    attributes: Readonly<Record<string, string>> = {},
  ): Promise<{ messageId: string; md5OfBody: string }> {
    if (typeof body !== 'string' || body.length === 0) {
      throw new Error(`Queue ${this.name}: a message body must be a non-empty string`);
    }
    const names = Object.keys(attributes);
    if (names.length > MAX_MESSAGE_ATTRIBUTES) {
      throw new Error(`Queue ${this.name}: at most ${MAX_MESSAGE_ATTRIBUTES} message attributes`);
    }
    for (const name of names) {
      if (typeof attributes[name] !== 'string' || attributes[name] === '') {
        throw new Error(`Queue ${this.name}: message attribute ${name} must be a non-empty string`);
      }
    }
    const now = this.now();
    const message: QueueMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      messageAttributes: { ...attributes },
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now,
    };
    await this.persist([message]);
    this.entries.set(message.messageId, { message, busy: false });
    this.wake();
    return { messageId: message.messageId, md5OfBody: message.md5OfBody };
  }

  /**
   * Attaches the function as the queue's event source mapping. It polls while the queue is started
   * ({@link start}, {@link stop}); one mapping per queue.
   *
   * Each poller receives up to `batchSize` visible messages, writes their receive (count and
   * visibility timeout) to disk, invokes the function through {@link invoke} (its timeout, a Lambda
   * context) with the `SQSEvent` Lambda would build, and deletes what the function handled.
   *
   * One departure from SQS, in the direction AWS enforces anyway: a message is not received again
   * while the invocation that received it is still running, even past the (short, local) visibility
   * timeout. On AWS a mapping requires the queue's visibility timeout to be at least the function's
   * timeout, so a running invocation's messages never reappear there either. A message whose
   * invocation outlasted its visibility timeout is visible again as soon as the invocation fails.
   */
  consume(target: InvocationTarget, options: ConsumeOptions = {}): void {
    if (this.consumer) {
      throw new Error(`Queue ${this.name} is already consumed by ${this.consumer.target.name}`);
    }
    const consumer: Consumer = {
      target,
      batchSize: positiveInteger(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize', this.name),
      maxConcurrency: positiveInteger(
        options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
        'maxConcurrency',
        this.name,
      ),
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      reportBatchItemFailures: options.reportBatchItemFailures ?? true,
    };
    this.consumer = consumer;
    if (this.started) this.startPollers(consumer);
  }

  /** Starts the event source mapping's pollers (if a function {@link consume}s the queue). Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.consumer) this.startPollers(this.consumer);
  }

  /**
   * Stops polling and waits for the running invocations (and any move or delete under way) to end.
   * The queue keeps its messages and still accepts sends; those whose invocation failed are received
   * again after {@link start}, or by the next run on the directory.
   */
  async stop(): Promise<void> {
    this.started = false;
    this.generation += 1;
    this.wake();
    await Promise.all([...this.pollers]);
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /**
   * `ApproximateNumberOfMessages` (`visible`: waiting to be received) and
   * `ApproximateNumberOfMessagesNotVisible` (`inFlight`: received and not yet deleted, until their
   * visibility timeout ends).
   */
  depth(): { visible: number; inFlight: number } {
    const now = this.now();
    this.expire(now);
    let visible = 0;
    let inFlight = 0;
    for (const entry of this.entries.values()) {
      if (entry.busy || entry.message.visibleAt > now) inFlight += 1;
      else visible += 1;
    }
    return { visible, inFlight };
  }

  /** The messages the queue holds, oldest first (copies: for listings and assertions). */
  messages(): QueueMessage[] {
    this.expire(this.now());
    return [...this.entries.values()]
      .map((entry) => structuredClone(entry.message))
      .sort((a, b) => a.sentTimestamp - b.sentTimestamp);
  }

  /**
   * `ApproximateAgeOfOldestMessage` in whole seconds: since the oldest message was sent here, or moved
   * here (see {@link QueueMessage.movedTimestamp}); 0 when empty.
   */
  oldestMessageAgeSeconds(): number {
    const now = this.now();
    this.expire(now);
    let oldest = Number.POSITIVE_INFINITY;
    for (const { message } of this.entries.values()) {
      oldest = Math.min(oldest, message.movedTimestamp ?? message.sentTimestamp);
    }
    return oldest === Number.POSITIVE_INFINITY ? 0 : Math.max(0, Math.floor((now - oldest) / 1000));
  }

  /**
   * On a dead-letter queue, `StartMessageMoveTask`: moves every message not in flight to
   * `destination`, or without one to the queue it was moved from (its `DeadLetterQueueSourceArn`;
   * when that queue is not known here, the only queue that uses this one as its dead-letter queue).
   * A moved message keeps its id, body, attributes and `SentTimestamp`; its receive count starts
   * again at 0. Each is written to its destination durably before it is deleted here.
   *
   * Resolves with how many were moved; a message with no destination stays (and is logged).
   * Rejects when no destination is given and no queue uses this one as its dead-letter queue.
   */
  async redrive(destination?: LocalQueue): Promise<{ moved: number }> {
    if (destination === this) throw new Error(`Queue ${this.name} cannot be redriven into itself`);
    if (!destination && this.sources.size === 0) {
      throw new Error(`Queue ${this.name} is not the dead-letter queue of any queue: give a destination`);
    }
    const now = this.now();
    this.expire(now);
    const only = this.sources.size === 1 ? [...this.sources.values()][0] : undefined;
    const groups = new Map<LocalQueue, Entry[]>();
    let stranded = 0;
    for (const entry of this.entries.values()) {
      if (entry.busy || entry.message.visibleAt > now) continue;
      const source = entry.message.deadLetterQueueSourceArn;
      const target = destination ?? (source ? this.sources.get(source) : undefined) ?? only;
      if (!target) {
        stranded += 1;
        continue;
      }
      entry.busy = true;
      const group = groups.get(target);
      if (group) group.push(entry);
      else groups.set(target, [entry]);
    }
    if (stranded > 0) {
      this.log.warn(
        `queue ${this.name}: ${stranded} message(s) came from a queue that is not known here; not redriven`,
      );
    }
    let moved = 0;
    for (const [target, entries] of groups) {
      const copies = entries.map((entry) => {
        const { deadLetterQueueSourceArn: _source, ...kept } = entry.message;
        return restarted(kept, target.now());
      });
      try {
        await target.adopt(copies);
      } catch (error) {
        for (const entry of entries) entry.busy = false;
        this.log.error(
          `queue ${this.name}: cannot redrive ${entries.length} message(s) to ${target.name}; they stay here: ${describeError(error)}`,
        );
        continue;
      }
      await Promise.all(entries.map((entry) => this.remove(entry)));
      moved += entries.length;
      this.log.info(`queue ${this.name}: redrove ${entries.length} message(s) to ${target.name}`);
    }
    return { moved };
  }

  /**
   * The HTTP side: `GET /_local/queues/<name>` (depth, age and messages) and
   * `POST /_local/queues/<name>/redrive` (see {@link redrive}; `?destination=<name>` picks one of the
   * queues that use this one as their dead-letter queue). The server matches exact paths, hence one
   * pair per queue; the redrive endpoint answers 400 on a queue that is no queue's dead-letter queue.
   */
  endpoints(): LocalEndpoint[] {
    const path = `${QUEUES_PATH}/${this.name}`;
    const json = (statusCode: number, body: unknown): LocalResponse => ({
      statusCode,
      body: JSON.stringify(body),
    });
    return [
      {
        method: 'GET',
        path,
        handle: () => json(200, this.listing()),
      },
      {
        method: 'POST',
        path: `${path}/redrive`,
        handle: async ({ query }) => {
          const name = query.get('destination');
          let destination: LocalQueue | undefined;
          if (name !== null) {
            destination = [...this.sources.values()].find((source) => source.name === name);
            if (!destination) {
              return json(400, {
                error: `${name} is not a queue whose dead-letter queue is ${this.name}`,
              });
            }
          } else if (this.sources.size === 0) {
            return json(400, { error: `${this.name} is not the dead-letter queue of any queue` });
          }
          return json(200, await this.redrive(destination));
        },
      },
    ];
  }

  /** What `GET /_local/queues/<name>` answers. */
  listing(): QueueListing {
    const { visible, inFlight } = this.depth();
    return {
      name: this.name,
      arn: this.arn,
      visible,
      inFlight,
      oldestMessageAgeSeconds: this.oldestMessageAgeSeconds(),
      messages: this.messages(),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The event source mapping.

  private startPollers(consumer: Consumer): void {
    for (let i = 0; i < consumer.maxConcurrency; i += 1) {
      const poller = this.poll(consumer, this.generation).finally(() => this.pollers.delete(poller));
      this.pollers.add(poller);
    }
  }

  private async poll(consumer: Consumer, generation: number): Promise<void> {
    while (this.started && this.generation === generation) {
      try {
        const batch = this.receive(consumer.batchSize);
        if (batch.length > 0) await this.deliver(consumer, batch);
        else await this.sleep(this.idleDelay(consumer.pollIntervalMs));
      } catch (error) {
        // Not expected (deliver handles its own failures); keep polling rather than stop the mapping.
        this.log.error(`queue ${this.name}: poller failed: ${describeError(error)}`);
        await this.sleep(consumer.pollIntervalMs);
      }
    }
  }

  /**
   * ReceiveMessage, in memory and synchronous so that two pollers never take the same message: up to
   * `max` visible messages, each with its receive counted and its visibility timeout started. A
   * message already received `maxReceiveCount` times is moved to the dead-letter queue instead.
   */
  private receive(max: number): Received[] {
    const now = this.now();
    this.expire(now);
    const batch: Received[] = [];
    for (const entry of this.entries.values()) {
      if (batch.length >= max) break;
      if (entry.busy || entry.message.visibleAt > now) continue;
      if (this.deadLetterQueue && entry.message.receiveCount >= this.maxReceiveCount) {
        entry.busy = true;
        this.track(this.moveToDeadLetterQueue(entry, this.deadLetterQueue));
        continue;
      }
      const message = entry.message;
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + this.visibilityTimeoutMs;
      entry.busy = true;
      entry.receiptHandle = randomUUID();
      batch.push({ entry, receiptHandle: entry.receiptHandle });
    }
    return batch;
  }

  private async deliver(consumer: Consumer, batch: Received[]): Promise<void> {
    const { target } = consumer;
    try {
      // The receive is on disk before the function sees the message: a crash now counts as a receive.
      await this.persist(batch.map(({ entry }) => entry.message));
    } catch (error) {
      // As a receive whose answer was lost: counted, and visible again after the visibility timeout.
      this.log.error(
        `queue ${this.name}: cannot record the receive of ${batch.length} message(s); not delivered: ${describeError(error)}`,
      );
      this.release(batch);
      return;
    }
    const event: SQSEvent = { Records: batch.map((received) => this.record(received)) };
    let failed: ReadonlySet<string>;
    try {
      const result = await invoke(target, event);
      const verdict = consumer.reportBatchItemFailures
        ? batchItemFailures(
            result,
            batch.map(({ entry }) => entry.message.messageId),
          )
        : { failed: new Set<string>() };
      failed = verdict.failed;
      if (verdict.reason) {
        this.log.warn(
          `queue ${this.name}: ${target.name} ${verdict.reason}; ${failed.size} message(s) kept for a retry`,
        );
      }
    } catch (error) {
      failed = new Set(batch.map(({ entry }) => entry.message.messageId));
      this.log.warn(
        `queue ${this.name}: ${target.name} failed on ${batch.length} message(s); kept for a retry: ${describeError(error)}`,
      );
    }
    const handled = batch.filter(({ entry }) => !failed.has(entry.message.messageId));
    this.release(batch.filter(({ entry }) => failed.has(entry.message.messageId)));
    // DeleteMessageBatch: a failure to delete only means the message is delivered again.
    await Promise.all(handled.map(({ entry, receiptHandle }) => this.remove(entry, receiptHandle)));
  }

  /** The record Lambda's mapping builds for a received message. */
  private record({ entry, receiptHandle }: Received): SQSRecord {
    const message = entry.message;
    const record: SQSRecord = {
      messageId: message.messageId,
      receiptHandle,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentTimestamp),
        SenderId: LOCAL_ACCOUNT_ID,
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
        ...(message.deadLetterQueueSourceArn
          ? { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }
          : {}),
      },
      messageAttributes: lambdaMessageAttributes(message.messageAttributes),
      md5OfBody: message.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.region,
    };
    if (Object.keys(message.messageAttributes).length > 0) {
      record.md5OfMessageAttributes = md5OfMessageAttributes(message.messageAttributes);
    }
    return record;
  }

  /** Messages whose invocation ended without deleting them: received again once their timeout ends. */
  private release(batch: readonly Received[]): void {
    if (batch.length === 0) return;
    for (const { entry } of batch) entry.busy = false;
    this.wake();
  }

  /** Written in the dead-letter queue first, then deleted here: a crash between leaves a duplicate. */
  private async moveToDeadLetterQueue(entry: Entry, deadLetterQueue: LocalQueue): Promise<void> {
    const message = entry.message;
    const copy = restarted(message, deadLetterQueue.now());
    copy.deadLetterQueueSourceArn = this.arn;
    try {
      await deadLetterQueue.adopt([copy]);
    } catch (error) {
      entry.busy = false;
      message.visibleAt = this.now() + this.visibilityTimeoutMs;
      this.log.error(
        `queue ${this.name}: cannot move message ${message.messageId} to ${deadLetterQueue.name}; kept here: ${describeError(error)}`,
      );
      return;
    }
    await this.remove(entry);
    this.log.error(
      `queue ${this.name}: message ${message.messageId} was received ${message.receiveCount} time(s) without being deleted; ` +
        `moved to the dead-letter queue ${deadLetterQueue.name}`,
    );
  }

  /** Takes messages moved here from another queue: on disk first, then receivable. */
  private async adopt(messages: readonly QueueMessage[]): Promise<void> {
    await this.persist(messages);
    for (const message of messages) this.entries.set(message.messageId, { message, busy: false });
    this.wake();
  }

  /**
   * DeleteMessage. With a receipt handle, only if it is the latest receive's (a stale handle deletes
   * nothing, as on SQS); an entry replaced since (a redriven copy with the same id) is left alone.
   * The unlink is not followed by a directory fsync: a delete lost in a crash is a redelivery, which
   * at-least-once delivery allows.
   */
  private async remove(entry: Entry, receiptHandle?: string): Promise<void> {
    const id = entry.message.messageId;
    if (this.entries.get(id) !== entry) return;
    if (receiptHandle !== undefined && entry.receiptHandle !== receiptHandle) return;
    this.entries.delete(id);
    if (!this.directory) return;
    try {
      await this.onFile(id, async () => {
        try {
          await unlink(this.fileOf(id));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      });
    } catch (error) {
      this.log.error(
        `queue ${this.name}: cannot delete message ${id} from disk (it comes back at the next start): ${describeError(error)}`,
      );
    }
  }

  /** MessageRetentionPeriod: drops messages older than the retention (not those an invocation holds). */
  private expire(now: number): void {
    const retention = this.retentionMs;
    if (retention === undefined) return;
    for (const entry of [...this.entries.values()]) {
      if (entry.busy || now - entry.message.sentTimestamp < retention) continue;
      this.log.warn(`queue ${this.name}: message ${entry.message.messageId} expired after ${retention} ms`);
      this.track(this.remove(entry));
    }
  }

  private idleDelay(pollIntervalMs: number): number {
    const now = this.now();
    let next = now + pollIntervalMs;
    for (const entry of this.entries.values()) {
      if (!entry.busy) next = Math.min(next, entry.message.visibleAt);
    }
    return Math.max(1, next - now);
  }

  private sleep(ms: number): Promise<void> {
    if (!this.started) return Promise.resolve();
    return new Promise((resolveSleep) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolveSleep();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  // -------------------------------------------------------------------------------------------
  // Storage: one `<messageId>.json` per message, as FileDeliveryJournal keeps pending deliveries.

  /**
   * Writes the messages' current state: each to a temporary file, fsynced and renamed over its own,
   * then the directory fsynced once. Resolves when all of it is on stable storage.
   */
  private async persist(messages: readonly QueueMessage[]): Promise<void> {
    const directory = this.directory;
    if (!directory || messages.length === 0) return;
    await this.prepare(directory);
    await Promise.all(
      messages.map((message) => {
        const content = JSON.stringify(message);
        return this.onFile(message.messageId, async () => {
          const file = this.fileOf(message.messageId);
          this.tempSequence += 1;
          await writeFileSynced(file, content, `${file}.${process.pid}-${this.tempSequence}.tmp`);
        });
      }),
    );
    await syncDirectory(directory);
  }

  /**
   * Runs a message's file operations one after another in the order they were asked for, so that an
   * unlink of a deleted message never overtakes (and removes) the write of a copy redriven back
   * with the same id.
   */
  private onFile(id: string, operation: () => Promise<void>): Promise<void> {
    const previous = this.fileOps.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    const settled = next.catch(() => undefined);
    this.fileOps.set(id, settled);
    void settled.then(() => {
      if (this.fileOps.get(id) === settled) this.fileOps.delete(id);
    });
    return next;
  }

  private prepare(directory: string): Promise<void> {
    this.ready ??= mkdir(directory, { recursive: true })
      .then(async (created) => {
        // A directory created now must itself survive a crash: sync its parent.
        if (created) await syncDirectory(join(directory, '..'));
      })
      .catch((error) => {
        this.ready = undefined;
        throw error;
      });
    return this.ready;
  }

  /**
   * Reads what an earlier run left (synchronously, once, at construction: the queue answers `depth`
   * and `messages` at once). Every message is visible: whatever was in flight when that run ended
   * is received again, its receives so far counted. A temporary file is a write that never finished
   * (a send that never answered, or a receive or move whose message file is still whole); a file
   * that cannot be read is set aside as `.corrupt` and logged.
   */
  private load(): void {
    const directory = this.directory;
    if (!directory) return;
    let names: string[];
    try {
      names = readdirSync(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const now = this.now();
    const found: QueueMessage[] = [];
    for (const name of names) {
      const path = join(directory, name);
      if (name.endsWith('.tmp')) {
        try {
          unlinkSync(path);
        } catch {
          // Gone already, or not ours to remove: either way it is not a message.
        }
        continue;
      }
      if (!name.endsWith('.json')) continue;
      try {
        const message = JSON.parse(readFileSync(path, 'utf8')) as QueueMessage;
        if (
          typeof message.messageId !== 'string' ||
          typeof message.body !== 'string' ||
          typeof message.sentTimestamp !== 'number' ||
          typeof message.receiveCount !== 'number' ||
          `${encodeURIComponent(message.messageId)}.json` !== name
        ) {
          throw new Error('not a queue message');
        }
        message.messageAttributes ??= {};
        message.md5OfBody ??= md5(message.body);
        message.visibleAt = Math.min(message.visibleAt ?? now, now);
        found.push(message);
      } catch (error) {
        this.log.error(
          `queue ${this.name}: cannot read message ${path} (${describeError(error)}); set aside as .corrupt`,
        );
        try {
          renameSync(path, `${path}.corrupt`);
        } catch {
          // Left in place: it is read (and refused) again next time.
        }
      }
    }
    found.sort((a, b) => a.sentTimestamp - b.sentTimestamp);
    for (const message of found) this.entries.set(message.messageId, { message, busy: false });
    if (found.length > 0) {
      this.log.info(`queue ${this.name}: ${found.length} message(s) kept from the last run`);
    }
  }

  private fileOf(id: string): string {
    return join(this.directory!, `${encodeURIComponent(id)}.json`);
  }
}

/**
 * Which messages of a batch the mapping keeps, from the function's `SQSBatchResponse`, by Lambda's
 * rules for `ReportBatchItemFailures`: no result, no or an empty `batchItemFailures` is success for
 * all; otherwise the named messages failed. A list that is not a list, or an entry whose
 * `itemIdentifier` is missing, empty, or not a message of the batch, fails the whole batch.
 */
export function batchItemFailures(
  result: unknown,
  messageIds: readonly string[],
): { failed: ReadonlySet<string>; reason?: string } {
  const none = { failed: new Set<string>() };
  if (typeof result !== 'object' || result === null) return none;
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return none;
  const all = (reason: string) => ({ failed: new Set(messageIds), reason });
  if (!Array.isArray(failures)) return all('returned batchItemFailures that is not a list');
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !messageIds.includes(id)) {
      return all(`named ${JSON.stringify(id ?? null)} in batchItemFailures, not a message of the batch`);
    }
    failed.add(id);
  }
  return failed.size === 0 ? none : { failed, reason: `reported ${failed.size} message(s) failed` };
}

/**
 * The MD5 SQS computes over message attributes (`MD5OfMessageAttributes`): for each attribute in
 * name order, the name, the data type and the value, each as a 4-byte big-endian length and its
 * UTF-8 bytes, with a transport byte (1 for String) before the value.
 */
export function md5OfMessageAttributes(attributes: Readonly<Record<string, string>>): string {
  const parts: Buffer[] = [];
  const field = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    field(name);
    field('String');
    parts.push(Buffer.from([1]));
    field(attributes[name]!);
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}

/** Message attributes as the Lambda record carries them. */
function lambdaMessageAttributes(attributes: Readonly<Record<string, string>>): SQSMessageAttributes {
  const converted: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    converted[name] = { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' };
  }
  return converted;
}

/** A copy of a message as a move leaves it: same id, body, attributes and SentTimestamp, no receives. */
function restarted(message: QueueMessage, now: number): QueueMessage {
  const { firstReceiveTimestamp: _first, ...kept } = message;
  return { ...structuredClone(kept), receiveCount: 0, visibleAt: now, movedTimestamp: now };
}

function md5(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('hex');
}

function positiveInteger(value: number, name: string, queue: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`Queue ${queue}: ${name} must be a positive integer`);
  }
  return value;
}
