/**
 * `npm run replay-stream-failures -- (--bucket BUCKET [--prefix PREFIX] | --dir DIR) [--function NAME_OR_ARN]
 * [--endpoint URL] [--region REGION] [--since ISO] [--delete] [--dry-run]`: replays the table-stream
 * batches the publisher gave up on.
 *
 * Source: the stream event source mapping's S3 on-failure bucket on AWS (every object under
 * `--prefix`, default `aws/lambda/`), or locally the directory the embedded runtime writes the same
 * documents to (`<data dir>/stream-failures-<prefix>/`). Each document (see local/stream-failures.ts)
 * holds the whole invocation event; they are replayed oldest first (by the document's `timestamp`),
 * each by a synchronous Lambda Invoke of `--function` (default `PublishEvents`, the local name; on AWS
 * pass the deployed function's name or ARN, which each document names in `requestContext.functionArn`)
 * with the original `{Records:[…]}` event. `--endpoint` points the Lambda client elsewhere, e.g. the
 * embedded runtime's `http://127.0.0.1:<port>/_aws/lambda` (a loopback endpoint is called with the
 * runtime's system credentials, the only ones it lets invoke). A replay fails when the function
 * errors (`FunctionError`) or reports `batchItemFailures`; a document that cannot be read or parsed
 * fails too and is left alone.
 *
 * Prints one line per document (key, records, outcome) and a summary. `--since` replays only
 * documents written at or after that time; `--dry-run` lists what would be replayed and invokes
 * nothing; `--delete` deletes each document whose replay succeeded (S3 DeleteObject, or the file),
 * never one that failed. Exit code 0 when every document replayed, 1 when any failed, 2 on a usage error.
 *
 * Replaying is safe to repeat: the publisher derives each event's id from the record's key and
 * version (`stableId(table:PK:SK:version)`), so events of a batch that were already published before
 * it failed get the same ids again, and consumers deduplicate them.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamodb';
import {
  LocalStreamFailureStore,
  readStreamFailure,
  type StreamFailureRecord,
} from '../local/stream-failures';

/** Where Lambda writes an event source mapping's failed batches in its S3 destination. */
export const DEFAULT_PREFIX = 'aws/lambda/';
export const DEFAULT_FUNCTION = 'PublishEvents';

const USAGE =
  'usage: npm run replay-stream-failures -- (--bucket BUCKET [--prefix PREFIX] | --dir DIR) ' +
  '[--function NAME_OR_ARN] [--endpoint URL] [--region REGION] [--since ISO] [--delete] [--dry-run]';

export type ReplaySource = { kind: 'bucket'; bucket: string; prefix: string } | { kind: 'dir'; dir: string };

export interface ReplayOptions {
  source: ReplaySource;
  /** The function to invoke, by name or ARN. */
  functionName: string;
  /** Only documents whose `timestamp` is at or after this. */
  since?: Date;
  /** Delete each document that replayed successfully. */
  delete?: boolean;
  /** List only: no invocation, no deletion. */
  dryRun?: boolean;
}

export interface ReplayClients {
  lambda: Pick<LambdaClient, 'send'>;
  /** Needed for a bucket source only. */
  s3?: Pick<S3Client, 'send'>;
}

export interface ReplaySummary {
  /** Documents found (before `--since`). */
  found: number;
  /** Left alone: written before `--since`. */
  skipped: number;
  /** Replayed successfully (or, in a dry run, that would be replayed). */
  replayed: number;
  /** Unreadable, or the replay failed (or the delete after it did). */
  failed: number;
  deleted: number;
}

/** A command-line mistake: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** One document of the source, read lazily. */
interface SourceDocument {
  key: string;
  read(): Promise<string>;
  remove(): Promise<void>;
}

async function listBucket(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  prefix: string,
): Promise<SourceDocument[]> {
  const documents: SourceDocument[] = [];
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      const key = object.Key;
      if (!key || key.endsWith('/')) continue; // a "folder" placeholder, not a document
      documents.push({
        key,
        read: async () => {
          const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          if (!output.Body) throw new Error('the object has no body');
          return output.Body.transformToString('utf8');
        },
        remove: async () => {
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        },
      });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return documents;
}

async function listDirectory(dir: string): Promise<SourceDocument[]> {
  const store = new LocalStreamFailureStore(dir);
  return (await store.list()).map((file) => ({
    key: store.keyOf(file),
    read: () => readFile(file, 'utf8'),
    remove: () => store.remove(file),
  }));
}

type Loaded =
  | { document: SourceDocument; record: StreamFailureRecord; event: DynamoDBStreamEvent; at: number }
  | { document: SourceDocument; error: string };

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Why a synchronous invocation's response counts as failed, or undefined when it succeeded. */
export function invocationFailure(output: {
  FunctionError?: string;
  Payload?: Uint8Array;
}): string | undefined {
  const text = output.Payload ? Buffer.from(output.Payload).toString('utf8') : '';
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (output.FunctionError) {
    const errorMessage = (body as { errorMessage?: unknown } | undefined)?.errorMessage;
    return `function error (${output.FunctionError})${typeof errorMessage === 'string' ? `: ${errorMessage}` : ''}`;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const failures = (body as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return undefined;
  // As Lambda reads it: anything but a list fails the whole batch.
  if (!Array.isArray(failures)) return 'batchItemFailures is not a list';
  if (failures.length === 0) return undefined;
  const first = (failures[0] as { itemIdentifier?: unknown } | null)?.itemIdentifier;
  return `${failures.length} record(s) reported failed (batchItemFailures, first ${String(first)})`;
}

/**
 * Replays the documents of a source, oldest first; `log` receives one line per document and then the
 * summary. Never throws for one document: an unreadable one, a failed invocation or a failed delete
 * is reported and counted as failed. Listing the source may throw (no bucket, no access).
 */
export async function replayStreamFailures(
  options: ReplayOptions,
  clients: ReplayClients,
  log: (line: string) => void,
): Promise<ReplaySummary> {
  const { source } = options;
  let documents: SourceDocument[];
  if (source.kind === 'bucket') {
    if (!clients.s3) throw new Error('An S3 client is needed to read a bucket');
    documents = await listBucket(clients.s3, source.bucket, source.prefix);
  } else {
    documents = await listDirectory(source.dir);
  }

  const loaded: Loaded[] = [];
  for (const document of documents) {
    try {
      const { record, event } = readStreamFailure(await document.read());
      loaded.push({ document, record, event, at: Date.parse(record.timestamp) });
    } catch (error) {
      loaded.push({ document, error: message(error) });
    }
  }
  // Unreadable documents first (each is reported whatever its age), then the oldest batch first.
  loaded.sort((a, b) => {
    const at = (x: Loaded) => ('at' in x ? x.at : Number.NEGATIVE_INFINITY);
    return at(a) - at(b) || a.document.key.localeCompare(b.document.key);
  });

  const summary: ReplaySummary = { found: documents.length, skipped: 0, replayed: 0, failed: 0, deleted: 0 };
  const since = options.since?.getTime();
  for (const item of loaded) {
    const { key } = item.document;
    if (!('event' in item)) {
      summary.failed += 1;
      log(`${key}  ? records  unreadable: ${item.error}`);
      continue;
    }
    if (since !== undefined && item.at < since) {
      summary.skipped += 1;
      continue;
    }
    const records = `${item.event.Records.length} record(s)`;
    if (options.dryRun) {
      summary.replayed += 1;
      log(
        `${key}  ${records}  would replay (${item.record.timestamp}, ${item.record.requestContext.condition})`,
      );
      continue;
    }
    let failure: string | undefined;
    try {
      const output = await clients.lambda.send(
        new InvokeCommand({
          FunctionName: options.functionName,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(item.event)),
        }),
      );
      failure = invocationFailure(output);
    } catch (error) {
      failure = `invoke failed: ${message(error)}`;
    }
    if (failure) {
      summary.failed += 1;
      log(`${key}  ${records}  failed: ${failure}`);
      continue;
    }
    if (!options.delete) {
      summary.replayed += 1;
      log(`${key}  ${records}  replayed`);
      continue;
    }
    try {
      await item.document.remove();
      summary.replayed += 1;
      summary.deleted += 1;
      log(`${key}  ${records}  replayed, deleted`);
    } catch (error) {
      // The batch is published; the document stays, and replaying it again is deduplicated downstream.
      summary.failed += 1;
      log(`${key}  ${records}  replayed, but not deleted: ${message(error)}`);
    }
  }

  const parts = [
    options.dryRun ? `${summary.replayed} would be replayed (dry run)` : `${summary.replayed} replayed`,
    `${summary.failed} failed`,
  ];
  if (options.delete && !options.dryRun) parts.push(`${summary.deleted} deleted`);
  if (summary.skipped > 0) parts.push(`${summary.skipped} written before --since left alone`);
  log(`${summary.found} document(s): ${parts.join(', ')}`);
  return summary;
}

export interface CommandLine {
  options: ReplayOptions;
  endpoint?: string;
  region?: string;
}

/** Reads the command line; throws {@link UsageError} for anything it cannot act on. */
export function parseReplayArgs(argv: readonly string[]): CommandLine {
  let values: ReturnType<typeof parse>['values'];
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    throw new UsageError(message(error));
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  if (values.bucket !== undefined && values.dir !== undefined) {
    throw new UsageError('--bucket and --dir are alternatives: give one');
  }
  if (values.bucket === undefined && values.dir === undefined) throw new UsageError('give --bucket or --dir');
  if (values.prefix !== undefined && values.bucket === undefined)
    throw new UsageError('--prefix goes with --bucket');
  if (values.bucket === '' || values.dir === '' || values.function === '') {
    throw new UsageError('--bucket, --dir and --function take a value');
  }
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (Number.isNaN(since.getTime()))
      throw new UsageError(`--since is not a date and time: ${values.since}`);
  }
  if (values.endpoint !== undefined && !URL.canParse(values.endpoint)) {
    throw new UsageError(`--endpoint is not a URL: ${values.endpoint}`);
  }
  const source: ReplaySource =
    values.bucket !== undefined
      ? { kind: 'bucket', bucket: values.bucket, prefix: values.prefix ?? DEFAULT_PREFIX }
      : { kind: 'dir', dir: values.dir as string };
  return {
    options: {
      source,
      functionName: values.function ?? DEFAULT_FUNCTION,
      since,
      delete: values.delete ?? false,
      dryRun: values['dry-run'] ?? false,
    },
    endpoint: values.endpoint,
    region: values.region,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: {
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      dir: { type: 'string' },
      function: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      since: { type: 'string' },
      delete: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
}

/** The embedded runtime's address: a loopback host. */
function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
}

/**
 * The SDK clients for a command line. An endpoint on this machine is the embedded runtime, which lets
 * only its system credentials invoke: those are used whatever AWS credentials the shell holds.
 */
function clientsFor(command: CommandLine): ReplayClients {
  const local = command.endpoint !== undefined && isLoopback(command.endpoint);
  const region = command.region ?? process.env.AWS_REGION ?? (local ? LOCAL_REGION : undefined);
  return {
    lambda: new LambdaClient({
      region,
      ...(command.endpoint ? { endpoint: command.endpoint } : {}),
      ...(local ? { credentials: LOCAL_CREDENTIALS } : {}),
    }),
    ...(command.options.source.kind === 'bucket' ? { s3: new S3Client({ region }) } : {}),
  };
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let command: CommandLine;
  try {
    command = parseReplayArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const summary = await replayStreamFailures(command.options, clientsFor(command), (line) =>
    process.stdout.write(`${line}\n`),
  );
  return summary.failed > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${message(error)}\n`);
      process.exitCode = 1;
    },
  );
}
