import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  type Shard,
  type AttributeValue as StreamAttributeValue,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { STREAM_RETRY } from '../shared/platform/definitions';
import { DeadLetterQueue } from './dead-letters';
import { type HandlerMap, invoke } from './lambda';
import { describeError, type LocalLogger, silentLogger } from './log';

export interface StreamPollerOptions {
  /** For DescribeTable: each table's latest stream ARN. */
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableNames: readonly string[];
  /** The `stream`-triggered function (`PublishEvents`), looked up in `handlers` per batch. */
  functionName: string;
  handlers: HandlerMap;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Region written into the records (DynamoDB Local writes its own, `ddblocal`). */
  region: string;
  /** Records per invocation, as the event source mapping's BatchSize (Lambda's default 100). */
  batchSize?: number;
  /** Wait between polls of a shard that had nothing new. */
  idleDelayMs?: number;
  /**
   * Retries of a failing batch after its first attempt, then the rest of the batch is dead-lettered;
   * default the event source mapping's `retryAttempts` in CDK (from the definitions).
   */
  maxRetries?: number;
  /** Delay before the first retry; it doubles for each further one, up to {@link maxRetryDelayMs}. */
  retryDelayMs?: number;
  /** The longest wait between two attempts (default 2 s: ten retries hold a shard about 13 s). */
  maxRetryDelayMs?: number;
  /** How often to look for new shards and streams. */
  discoveryIntervalMs?: number;
  /** With a file, per-shard progress survives restarts; without, every run starts at TRIM_HORIZON. */
  checkpointFile?: string;
  deadLetters?: DeadLetterQueue;
  /**
   * Keeps a batch given up on, records included, as Lambda's S3 on-failure destination does; awaited
   * before the shard moves past it, so a crash in between only means the batch is tried again.
   */
  onFailure?: (
    event: DynamoDBStreamEvent,
    info: { shardId: string; streamArn: string; attempts: number; error: string },
  ) => Promise<void>;
  log?: LocalLogger;
}

interface ShardState {
  streamArn: string;
  shardId: string;
  parentShardId?: string;
  /** The last sequence number handled (successfully or dead-lettered). */
  lastSequence?: string;
  finished: boolean;
  running: boolean;
  /** GetRecords said the shard does not exist; polled again only if discovery lists it again. */
  missing: boolean;
}

/**
 * The local event source mapping: polls the tables' DynamoDB Local streams (DescribeStream → shards →
 * GetShardIterator → GetRecords), hands Lambda-shaped batches to the stream function, honours
 * `batchItemFailures`, and follows shards as they close and new ones open (a child shard starts
 * once its parent is drained, so per-item order holds).
 */
export class StreamPoller {
  private readonly shards = new Map<string, ShardState>();
  private readonly loops = new Set<Promise<void>>();
  private readonly sleepers = new Set<() => void>();
  private readonly checkpoints: Checkpoints;
  private readonly deadLetters: DeadLetterQueue;
  private readonly log: LocalLogger;
  private discoveryTimer?: NodeJS.Timeout;
  private discovering?: Promise<void>;
  private stopped = false;
  private readonly warned = new Set<string>();

  constructor(private readonly options: StreamPollerOptions) {
    this.deadLetters = options.deadLetters ?? new DeadLetterQueue();
    this.log = options.log ?? silentLogger;
    this.checkpoints = new Checkpoints(this.log, options.checkpointFile);
  }

  /** Finds the streams and starts polling; resolves once the first discovery is done. */
  async start(): Promise<void> {
    await this.discover();
    this.scheduleDiscovery();
  }

  /** Stops polling, waits for a running batch to finish and writes the checkpoints. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.discoveryTimer);
    for (const wake of this.sleepers) wake();
    this.sleepers.clear();
    await this.discovering;
    await Promise.all([...this.loops]);
    await this.checkpoints.flush();
  }

  private scheduleDiscovery(): void {
    if (this.stopped) return;
    this.discoveryTimer = setTimeout(() => {
      void this.discover().finally(() => this.scheduleDiscovery());
    }, this.options.discoveryIntervalMs ?? 2_000);
  }

  private discover(): Promise<void> {
    this.discovering ??= this.discoverOnce().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async discoverOnce(): Promise<void> {
    for (const tableName of this.options.tableNames) {
      if (this.stopped) return;
      try {
        const table = await this.options.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
        const streamArn = table.Table?.LatestStreamArn;
        if (!streamArn || table.Table?.StreamSpecification?.StreamEnabled === false) {
          this.warnOnce(`no-stream:${tableName}`, `stream poller: table ${tableName} has no stream`);
          continue;
        }
        for (const shard of await this.listShards(streamArn)) this.track(streamArn, shard);
      } catch (error) {
        if (this.stopped) return;
        this.warnOnce(
          `discover:${tableName}`,
          `stream poller: cannot describe ${tableName}: ${describeError(error)}`,
        );
      }
    }
    this.startReadyShards();
  }

  private async listShards(streamArn: string): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await this.options.streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      shards.push(...(page.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  private track(streamArn: string, shard: Shard): void {
    if (!shard.ShardId) return;
    const known = this.shards.get(shardKey(streamArn, shard.ShardId));
    if (known) {
      known.missing = false;
      return;
    }
    const saved = this.checkpoints.get(streamArn, shard.ShardId);
    this.shards.set(shardKey(streamArn, shard.ShardId), {
      streamArn,
      shardId: shard.ShardId,
      parentShardId: shard.ParentShardId,
      lastSequence: saved?.sequenceNumber,
      finished: saved?.finished === true,
      running: false,
      missing: false,
    });
  }

  /** A shard is ready when its parent is drained or unknown (trimmed away). */
  private startReadyShards(): void {
    if (this.stopped) return;
    for (const state of this.shards.values()) {
      if (state.finished || state.running || state.missing) continue;
      const parent = state.parentShardId
        ? this.shards.get(shardKey(state.streamArn, state.parentShardId))
        : undefined;
      if (parent && !parent.finished) continue;
      state.running = true;
      const loop = this.poll(state)
        .catch((error) => this.log.error(`stream poller: shard ${state.shardId} stopped`, error))
        .finally(() => {
          state.running = false;
          this.loops.delete(loop);
        });
      this.loops.add(loop);
    }
  }

  private async iteratorFor(state: ShardState): Promise<string | undefined> {
    const output = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: state.streamArn,
        ShardId: state.shardId,
        ...(state.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: state.lastSequence }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return output.ShardIterator;
  }

  private async poll(state: ShardState): Promise<void> {
    const limit = this.options.batchSize ?? 100;
    const idleDelayMs = this.options.idleDelayMs ?? 50;
    let iterator: string | undefined;
    let trimmedInARow = 0;
    while (!this.stopped) {
      let output: { Records?: StreamRecord[]; NextShardIterator?: string };
      try {
        iterator ??= await this.iteratorFor(state);
        if (!iterator) break;
        output = await this.options.streams.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }),
        );
      } catch (error) {
        if (this.stopped) return;
        iterator = undefined;
        if (error instanceof ExpiredIteratorException) continue;
        if (error instanceof TrimmedDataAccessException) {
          trimmedInARow += 1;
          // DynamoDB Local raises this spuriously at times (aws/aws-sdk-java#2923, an iterator taken on an
          // empty shard): take a fresh iterator at the same position. Only if it persists are the records
          // really past retention (a checkpoint older than 24 h); then carry on from the oldest still there.
          if (trimmedInARow >= 3) {
            this.log.warn(
              `stream poller: records of ${state.shardId} after ${state.lastSequence} were trimmed`,
            );
            state.lastSequence = undefined;
            trimmedInARow = 0;
          }
          await this.sleep(idleDelayMs);
          continue;
        }
        if (error instanceof ResourceNotFoundException) {
          // The stream or shard is gone (table deleted); keep the progress in case discovery lists it again.
          state.missing = true;
          return;
        }
        this.warnOnce(
          `poll:${state.shardId}`,
          `stream poller: GetRecords failed, retrying: ${describeError(error)}`,
        );
        await this.sleep(1_000);
        continue;
      }
      trimmedInARow = 0;
      const records = output.Records ?? [];
      if (records.length > 0) {
        const handled = await this.deliver(state, records);
        if (!handled) return; // stopping mid-batch: the checkpoint stays before it, a restart redelivers
      }
      if (!output.NextShardIterator) {
        state.finished = true;
        this.checkpoints.set(state.streamArn, state.shardId, {
          sequenceNumber: state.lastSequence,
          finished: true,
        });
        // Its children may already be listed; start them now rather than at the next discovery.
        void this.discover();
        return;
      }
      iterator = output.NextShardIterator;
      // A non-empty read may have more behind it: read again at once. Idle shards wait a little.
      if (records.length === 0) await this.sleep(idleDelayMs);
    }
  }

  /** One batch through the function, with Lambda's partial-failure semantics. False when stopped. */
  private async deliver(state: ShardState, batch: StreamRecord[]): Promise<boolean> {
    const maxAttempts = 1 + (this.options.maxRetries ?? STREAM_RETRY.retryAttempts);
    const retryDelayMs = this.options.retryDelayMs ?? 100;
    const maxRetryDelayMs = this.options.maxRetryDelayMs ?? 2_000;
    const lambdaRecords = batch.map((record) => toLambdaRecord(record, state.streamArn, this.options.region));
    let from = 0;
    let lastError = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (this.stopped) return false;
      const slice = lambdaRecords.slice(from);
      const failedAt = await this.invoke(slice).then(
        (result) => firstFailure(result, slice),
        (error: unknown) => ({ index: 0, reason: describeError(error) }),
      );
      if (failedAt === undefined) {
        this.advance(state, batch[batch.length - 1]);
        return true;
      }
      lastError = failedAt.reason;
      if (failedAt.index > 0) {
        // Lambda checkpoints the records before the first failure and retries from it.
        this.advance(state, batch[from + failedAt.index - 1]);
        from += failedAt.index;
      }
      if (attempt < maxAttempts)
        await this.sleep(Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (attempt - 1)));
    }
    const skipped = lambdaRecords.slice(from);
    try {
      await this.options.onFailure?.(
        { Records: skipped },
        { shardId: state.shardId, streamArn: state.streamArn, attempts: maxAttempts, error: lastError },
      );
    } catch (error) {
      // Not kept: the shard stays where it is, and the batch is tried again (as Lambda does when its
      // destination cannot be written).
      this.log.error(
        `stream poller: cannot keep the failed batch of ${state.shardId}; it will be tried again: ${describeError(error)}`,
      );
      await this.sleep(retryDelayMs);
      return this.deliver(state, batch.slice(from));
    }
    this.deadLetters.add({
      source: 'stream',
      functionName: this.options.functionName,
      origin: state.streamArn,
      attempts: maxAttempts,
      error: lastError,
      payload: { shardId: state.shardId, records: skipped },
    });
    this.log.error(
      `stream poller: ${this.options.functionName} failed ${maxAttempts} time(s) on ${skipped.length} record(s) of ` +
        `${state.shardId}; moved to the dead-letter list: ${lastError}`,
    );
    this.advance(state, batch[batch.length - 1]);
    return true;
  }

  private async invoke(records: DynamoDBRecord[]): Promise<unknown> {
    const handler = this.options.handlers.get(this.options.functionName);
    if (!handler) throw new Error(`${this.options.functionName} is not loaded`);
    const event: DynamoDBStreamEvent = { Records: records };
    return invoke(
      {
        name: this.options.functionName,
        handler,
        timeoutSeconds: this.options.timeoutSeconds,
        memoryMb: this.options.memoryMb,
        region: this.options.region,
      },
      event,
    );
  }

  private advance(state: ShardState, record: StreamRecord | undefined): void {
    const sequenceNumber = record?.dynamodb?.SequenceNumber;
    if (!sequenceNumber) return;
    state.lastSequence = sequenceNumber;
    this.checkpoints.set(state.streamArn, state.shardId, { sequenceNumber });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((wake) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        wake();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(message);
  }
}

function shardKey(streamArn: string, shardId: string): string {
  return `${streamArn}|${shardId}`;
}

/**
 * Where a batch failed, from the function's `DynamoDBBatchResponse`: undefined for success (no or
 * empty `batchItemFailures`), else the index of the lowest failed record. As in Lambda, an
 * identifier that is empty or not in the batch fails the whole batch.
 */
export function firstFailure(
  result: unknown,
  records: readonly DynamoDBRecord[],
): { index: number; reason: string } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return undefined;
  if (!Array.isArray(failures)) return { index: 0, reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return undefined;
  let lowest = records.length;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index =
      typeof id === 'string' && id !== '' ? records.findIndex((r) => r.dynamodb?.SequenceNumber === id) : -1;
    if (index < 0)
      return { index: 0, reason: `batchItemFailures names ${JSON.stringify(id)}, not a record of the batch` };
    lowest = Math.min(lowest, index);
  }
  return {
    index: lowest,
    reason: `the function reported record ${records[lowest]?.dynamodb?.SequenceNumber} failed`,
  };
}

/** A GetRecords record as Lambda's event source mapping delivers it. */
export function toLambdaRecord(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const converted: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(stream.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(stream.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      ...(stream.Keys ? { Keys: convertImage(stream.Keys) } : {}),
      ...(stream.NewImage ? { NewImage: convertImage(stream.NewImage) } : {}),
      ...(stream.OldImage ? { OldImage: convertImage(stream.OldImage) } : {}),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
  if (record.userIdentity) {
    converted.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  }
  return converted;
}

function convertImage(image: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = convertValue(value);
  return out;
}

/** The SDK decodes binary to bytes; Lambda's JSON event carries base64 strings. */
function convertValue(value: StreamAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(convertValue) };
  if (value.M !== undefined) return { M: convertImage(value.M) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: true };
  // The streams client hands an empty map (`{"M":{}}` on the wire) back as a value with no member;
  // an empty list keeps its `L`. Read as NULL, a product's `attributes: {}` would fail its event schema.
  return { M: {} };
}

interface ShardCheckpoint {
  sequenceNumber?: string;
  finished?: boolean;
}

interface CheckpointFile {
  version: 1;
  streams: Record<string, Record<string, ShardCheckpoint>>;
}

/** Per-shard progress in a JSON file, written after each batch (atomically: temp file, then rename). */
class Checkpoints {
  private data: CheckpointFile = { version: 1, streams: {} };
  private writing?: Promise<void>;
  private dirty = false;

  constructor(
    private readonly log: LocalLogger,
    private readonly file?: string,
  ) {
    if (file && existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CheckpointFile>;
      if (parsed.version === 1 && parsed.streams) this.data = { version: 1, streams: parsed.streams };
    }
  }

  get(streamArn: string, shardId: string): ShardCheckpoint | undefined {
    return this.data.streams[streamArn]?.[shardId];
  }

  set(streamArn: string, shardId: string, checkpoint: ShardCheckpoint): void {
    if (!this.file) return;
    this.data.streams[streamArn] ??= {};
    this.data.streams[streamArn][shardId] = checkpoint;
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  async flush(): Promise<void> {
    await this.writing;
  }

  private async writeLoop(): Promise<void> {
    const file = this.file!;
    try {
      await mkdir(dirname(file), { recursive: true });
      while (this.dirty) {
        this.dirty = false;
        const temp = `${file}.tmp`;
        await writeFile(temp, JSON.stringify(this.data));
        await rename(temp, file);
      }
    } catch (error) {
      // Progress is still tracked in memory; only a restart would redeliver.
      this.log.error(`stream poller: cannot write checkpoints to ${file}`, error);
    } finally {
      this.writing = undefined;
    }
  }
}
