/**
 * Failed table-stream batches, in the document Lambda writes to an event source mapping's Amazon S3
 * on-failure destination, so the embedded runtime and AWS leave the same thing behind and one tool
 * (`npm run replay-stream-failures`) replays either.
 *
 * What Lambda writes, as researched (AWS Lambda Developer Guide, "Retain discarded records for a
 * DynamoDB event source in Lambda" (services-dynamodb-errors), with "Retain discarded batch records
 * for a Kinesis Data Streams event source in Lambda" (kinesis-on-failure-destination) and "Capturing
 * records of Lambda asynchronous invocations" (invocation-async-retain-records); AWS Database Blog,
 * "Gracefully handle failed AWS Lambda events from Amazon DynamoDB Streams"):
 *
 * - When a batch exhausts its retries (`MaximumRetryAttempts`) or grows too old
 *   (`MaximumRecordAgeInSeconds`), Lambda discards it and sends one JSON document per failed invocation
 *   to the on-failure destination. To an SQS queue or SNS topic that document holds only metadata (the
 *   batch's position in the stream, useless once the stream trims it after 24 h); to an S3 bucket
 *   Lambda "also sends the entire invocation record along with the metadata".
 * - The metadata, identical for all three destinations (the guide's example, also the fixture of
 *   Powertools for AWS Lambda (Python)'s `DynamoDBStreamLambdaOnFailureDestinationModel`):
 *   ```json
 *   { "requestContext": { "requestId": "316aa6d0-…",
 *       "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
 *       "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 1 },
 *     "responseContext": { "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" },
 *     "version": "1.0", "timestamp": "2019-11-14T00:13:49.717Z",
 *     "DDBStreamBatchInfo": { "shardId": "shardId-00000001573689847184-864758bb",
 *       "startSequenceNumber": "800000000003126276362", "endSequenceNumber": "800000000003126276362",
 *       "approximateArrivalOfFirstRecord": "2019-11-14T00:13:19Z",
 *       "approximateArrivalOfLastRecord": "2019-11-14T00:13:19Z", "batchSize": 1,
 *       "streamArn": "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388" } }
 *   ```
 * - The S3 document adds `payload`: the original invocation event (`{"Records":[…]}`) as an escaped
 *   JSON *string*, not a nested object (so it is the exact bytes the function was invoked with).
 *   {@link replayEventOf} also accepts an object there, for documents written by hand.
 * - Object keys (UTC; asynchronous-invocation records use `aws/lambda/async/<function name>/…` instead):
 *   `aws/lambda/<event source mapping UUID>/<shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>`.
 *
 * The opening of those pages was read directly; the example document and the key layout were
 * confirmed against public code that reads these objects (Powertools' model and its test event, the
 * `aws_lambda_events` Rust crate's `DynamoDbStreamOnFailureDestination` with `payload: Option<String>`,
 * replay tools that `JSON.parse` the payload string, a CDK app documenting the key layout).
 * `condition`: only `RetryAttemptsExhausted` appears in the examples; `RecordAgeExceeded` (past
 * `MaximumRecordAgeInSeconds`) and `MaximumPayloadSizeExceeded` are expected but unconfirmed, so it
 * is kept a free string. Which `responseContext` Lambda writes for a batch failed through
 * `batchItemFailures` (no function error) is not documented either.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { syncDirectory, writeFileSynced } from './durable-files';

/** Why Lambda gave up on a batch. Known values listed for completion; any string is accepted. */
export type StreamFailureCondition =
  | 'RetryAttemptsExhausted'
  | 'RecordAgeExceeded'
  | 'MaximumPayloadSizeExceeded'
  | (string & {});

/** The batch's position in the stream, as Lambda reports it for a DynamoDB event source. */
export interface DDBStreamBatchInfo {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** ISO 8601 UTC to the second (`2019-11-14T00:13:19Z`): the first record's ApproximateCreationDateTime. */
  approximateArrivalOfFirstRecord: string;
  approximateArrivalOfLastRecord: string;
  batchSize: number;
  streamArn: string;
}

/** The document Lambda writes to an S3 on-failure destination for a DynamoDB stream batch. */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: StreamFailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    /** `Unhandled` (the function threw) or `Handled`; absent when the invocation itself succeeded. */
    functionError?: string;
  };
  version: '1.0';
  /** When the record was written, ISO 8601 UTC with milliseconds. */
  timestamp: string;
  DDBStreamBatchInfo: DDBStreamBatchInfo;
  /** The invocation event (`{"Records":[…]}`) as a JSON string: what S3 destinations add. */
  payload: string;
  /**
   * Local extension, never written by Lambda (whose cause is in the function's logs): the last error
   * the embedded runtime saw. Replay ignores it.
   */
  errorMessage?: string;
}

export interface StreamFailureInput {
  /** The batch as the function was last invoked with it (the records not yet checkpointed). */
  event: DynamoDBStreamEvent;
  functionArn: string;
  condition: StreamFailureCondition;
  /** Invocations of the batch, the first included: `approximateInvokeCount`. */
  attempts: number;
  /** The last error seen, kept locally as `errorMessage`. */
  error?: string;
  /** `responseContext.functionError`; default `Unhandled`, as in every AWS example. */
  functionError?: string;
  /** Default: now. */
  now?: Date;
  /** Default: a random UUID, as a Lambda request id. */
  requestId?: string;
  /** The shard the batch was read from; the records do not carry it. Default {@link UNKNOWN_SHARD}. */
  shardId?: string;
  /** Default `$LATEST`. */
  executedVersion?: string;
}

/** The shard id written when the caller does not know it (a valid key segment). */
export const UNKNOWN_SHARD = 'shardId-unknown';

/** Builds the document Lambda writes to an S3 on-failure destination for a discarded batch. */
export function streamFailureRecord(input: StreamFailureInput): StreamFailureRecord {
  const records = input.event.Records;
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) throw new Error('A failed stream batch has at least one record');
  const streamArn = first.eventSourceARN;
  if (!streamArn) throw new Error('The batch’s first record has no eventSourceARN');
  const other = records.find((record) => record.eventSourceARN !== streamArn);
  if (other) {
    throw new Error(`A batch comes from one stream: ${streamArn} and ${String(other.eventSourceARN)}`);
  }
  const now = input.now ?? new Date();
  const timestamp = now.toISOString();
  return {
    requestContext: {
      requestId: input.requestId ?? randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.attempts,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: input.executedVersion ?? '$LATEST',
      functionError: input.functionError ?? 'Unhandled',
    },
    version: '1.0',
    timestamp,
    DDBStreamBatchInfo: {
      shardId: input.shardId ?? UNKNOWN_SHARD,
      startSequenceNumber: first.dynamodb?.SequenceNumber ?? '',
      endSequenceNumber: last.dynamodb?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrivalOf(first, now),
      approximateArrivalOfLastRecord: arrivalOf(last, now),
      batchSize: records.length,
      streamArn,
    },
    payload: JSON.stringify(input.event),
    ...(input.error !== undefined ? { errorMessage: input.error } : {}),
  };
}

/**
 * `ApproximateCreationDateTime` (epoch seconds in a Lambda event; milliseconds tolerated) as Lambda
 * formats it, to the second. A record without one (DynamoDB Local may omit it) takes `fallback`.
 */
function arrivalOf(record: DynamoDBRecord, fallback: Date): string {
  const value = record.dynamodb?.ApproximateCreationDateTime;
  const ms =
    typeof value === 'number' && Number.isFinite(value)
      ? value > 1e11
        ? value
        : value * 1000
      : fallback.getTime();
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A segment of an object key: no separators, nothing that walks out of a directory. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The object key Lambda uses: `aws/lambda/<mappingId>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`,
 * the date and time the record's `timestamp` in UTC. Lambda's last part is a random UUID; here it is
 * derived from the document (request id, shard, first sequence number, timestamp), so writing the
 * same document again (a retried write) lands on the same key. A batch given up on again after a
 * crash is a new document; its replay is harmless, event ids being derived from the records.
 */
export function streamFailureKey(record: StreamFailureRecord, mappingId: string): string {
  const shardId = record.DDBStreamBatchInfo.shardId;
  for (const [name, value] of [
    ['mapping id', mappingId],
    ['shard id', shardId],
  ] as const) {
    if (!SEGMENT.test(value)) throw new Error(`Invalid ${name} for an object key: ${JSON.stringify(value)}`);
  }
  const at = new Date(record.timestamp);
  if (Number.isNaN(at.getTime())) throw new Error(`Invalid record timestamp: ${record.timestamp}`);
  const iso = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const [year, month, day] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  const time = iso.slice(0, 19).replaceAll(':', '.');
  const hex = createHash('sha1')
    .update(
      [
        record.requestContext.requestId,
        shardId,
        record.DDBStreamBatchInfo.startSequenceNumber,
        record.timestamp,
      ].join('\n'),
    )
    .digest('hex');
  // Shaped as a random (version-4) UUID, as Lambda's is.
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  const uuid = [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `4${hex.slice(13, 16)}`,
    `${variant}${hex.slice(18, 20)}`,
    hex.slice(20, 32),
  ].join('-');
  return `aws/lambda/${mappingId}/${shardId}/${year}/${month}/${day}/${time}-${uuid}`;
}

/** A document that cannot be replayed; the message says what is wrong with it. */
export class StreamFailureDocumentError extends Error {
  override readonly name = 'StreamFailureDocumentError';
}

const attributeValues = z.record(z.string(), z.unknown());

const streamRecordSchema = z.looseObject({
  eventID: z.string().optional(),
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  eventSource: z.literal('aws:dynamodb').optional(),
  eventSourceARN: z.string().min(1),
  dynamodb: z.looseObject({
    Keys: attributeValues,
    NewImage: attributeValues.optional(),
    OldImage: attributeValues.optional(),
    SequenceNumber: z.string().min(1),
  }),
});

const eventSchema = z.looseObject({
  Records: z.array(streamRecordSchema).min(1, 'a failed batch has at least one record'),
});

const documentSchema = z.looseObject({
  requestContext: z.looseObject({
    requestId: z.string(),
    functionArn: z.string(),
    condition: z.string(),
    approximateInvokeCount: z.number().int().nonnegative(),
  }),
  responseContext: z.looseObject({
    statusCode: z.number().int(),
    executedVersion: z.string(),
    functionError: z.string().optional(),
  }),
  version: z.string(),
  timestamp: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not a date and time'),
  DDBStreamBatchInfo: z.looseObject({
    shardId: z.string(),
    startSequenceNumber: z.string(),
    endSequenceNumber: z.string(),
    approximateArrivalOfFirstRecord: z.string(),
    approximateArrivalOfLastRecord: z.string(),
    batchSize: z.number().int().nonnegative(),
    streamArn: z.string(),
  }),
  payload: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});

function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || '(document)'}: ${issue.message}`;
    })
    .join('; ');
}

/** A parsed, validated stream failure document and the event to invoke the function with. */
export interface StreamFailure {
  record: StreamFailureRecord;
  event: DynamoDBStreamEvent;
}

/**
 * Parses and validates a stream failure document (the object, or its JSON text as read from S3 or a
 * file) and returns it with the original event. Throws {@link StreamFailureDocumentError} naming what
 * is wrong: not JSON, a missing or mistyped field (with its path), no `payload` (an SQS or SNS
 * record, which holds only the batch's position), or a payload that is not a DynamoDB stream event.
 */
export function readStreamFailure(document: unknown): StreamFailure {
  let value = document;
  if (typeof value === 'string' || Buffer.isBuffer(value) || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new StreamFailureDocumentError(
        `Not a stream failure document: not JSON (${(error as Error).message})`,
      );
    }
  }
  const parsed = documentSchema.safeParse(value);
  if (!parsed.success) {
    throw new StreamFailureDocumentError(
      `Not a stream failure document: ${describeIssues(parsed.error, '')}`,
    );
  }
  const doc = parsed.data;
  if (doc.payload === undefined) {
    throw new StreamFailureDocumentError(
      'The stream failure document has no payload: only S3 on-failure destinations keep the records ' +
        '(an SQS or SNS record holds just DDBStreamBatchInfo, the position in the stream)',
    );
  }
  let payload: unknown = doc.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch (error) {
      throw new StreamFailureDocumentError(
        `The stream failure document's payload is not JSON (${(error as Error).message})`,
      );
    }
  }
  const event = eventSchema.safeParse(payload);
  if (!event.success) {
    throw new StreamFailureDocumentError(
      `The stream failure document's payload is not a DynamoDB stream event: ${describeIssues(event.error, 'payload')}`,
    );
  }
  const record = {
    ...doc,
    payload: typeof doc.payload === 'string' ? doc.payload : JSON.stringify(doc.payload),
  } as StreamFailureRecord;
  return { record, event: event.data as unknown as DynamoDBStreamEvent };
}

/** The original event of a stream failure document, to invoke the function with again. */
export function replayEventOf(document: unknown): DynamoDBStreamEvent {
  return readStreamFailure(document).event;
}

/**
 * The local S3 on-failure destination: one file per failed batch under a directory, at the object
 * key Lambda would use as relative path (`<dir>/aws/lambda/<mapping>/<shard>/YYYY/MM/DD/<time>-<uuid>`,
 * no extension), so `aws s3 sync <dir> s3://<bucket>` would reproduce the bucket, and the replay tool
 * reads either. Each write is crash-safe: a temporary file (`<file>.tmp`) written and fsynced, renamed
 * into place, and the directories it created and the one it landed in fsynced; a leftover `.tmp` is
 * a write that never completed and is not listed.
 */
export class LocalStreamFailureStore {
  constructor(readonly directory: string) {}

  /** Writes a document at its key; resolves with the file's path once it is on stable storage. */
  async write(record: StreamFailureRecord, mappingId: string): Promise<string> {
    const key = streamFailureKey(record, mappingId);
    const file = join(this.directory, ...key.split('/'));
    const folder = dirname(file);
    const created = await mkdir(folder, { recursive: true });
    await writeFileSynced(file, `${JSON.stringify(record)}\n`);
    // The new entry, and every directory created for it, must survive a crash.
    const toSync = [folder];
    if (created) {
      for (let dir = folder; dir !== created && dirname(dir) !== dir; dir = dirname(dir)) {
        toSync.push(dirname(dir));
      }
      toSync.push(dirname(created));
    }
    for (const dir of new Set(toSync)) await syncDirectory(dir);
    return file;
  }

  /** The documents' paths, in key order (by mapping, shard, then time); none when the directory is absent. */
  async list(): Promise<string[]> {
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.endsWith('.tmp') && !entry.name.startsWith('.')) {
          files.push(path);
        }
      }
    };
    await walk(this.directory);
    return files.sort((a, b) => this.keyOf(a).localeCompare(this.keyOf(b)));
  }

  /** A file's object key: its path relative to the directory, with `/` separators. */
  keyOf(file: string): string {
    return relative(this.directory, file).split(sep).join('/');
  }

  /** Deletes a document (gone already is fine) and the directories it leaves empty, up to the store's. */
  async remove(file: string): Promise<void> {
    try {
      await unlink(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (let dir = dirname(file); this.keyOf(dir) !== '' && !this.keyOf(dir).startsWith('..'); ) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop there
      }
      dir = dirname(dir);
    }
  }
}
