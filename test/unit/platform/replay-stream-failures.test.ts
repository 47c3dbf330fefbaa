import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, type InvokeCommandInput, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  LocalStreamFailureStore,
  type StreamFailureRecord,
  streamFailureKey,
  streamFailureRecord,
} from '../../../local/stream-failures';
import {
  DEFAULT_FUNCTION,
  DEFAULT_PREFIX,
  invocationFailure,
  main,
  parseReplayArgs,
  type ReplayOptions,
  replayStreamFailures,
  UsageError,
} from '../../../scripts/replay-stream-failures';

/** No local engine for S3 (nor a Lambda that fails on demand): the SDK clients are mocked here only. */
const s3Mock = mockClient(S3Client);
const lambdaMock = mockClient(LambdaClient);
const clients = () => ({
  s3: new S3Client({ region: 'eu-west-1' }),
  lambda: new LambdaClient({ region: 'eu-west-1' }),
});

const STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/commerce-Orders/stream/2024-04-30T08:00:00.000';
const MAPPING = '6f1e2d3c-4b5a-4968-8776-655443322110';

/** A failed batch of one record, its sequence number naming it, written at `at`. */
function failure(sequence: string, at: string, shardId = 'shardId-00000001714550400000-1a2b3c4d') {
  const event: DynamoDBStreamEvent = {
    Records: [
      {
        eventID: `evt-${sequence}`,
        eventName: 'MODIFY',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'eu-west-1',
        dynamodb: {
          Keys: { PK: { S: `ORDER#ord-${sequence}` }, SK: { S: 'ORDER' } },
          NewImage: { PK: { S: `ORDER#ord-${sequence}` }, SK: { S: 'ORDER' }, version: { N: '2' } },
          SequenceNumber: sequence,
          SizeBytes: 90,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        eventSourceARN: STREAM_ARN,
      },
    ],
  };
  const record = streamFailureRecord({
    event,
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:commerce-PublishEvents-1AB2',
    condition: 'RetryAttemptsExhausted',
    attempts: 11,
    now: new Date(at),
    requestId: `req-${sequence}`,
    shardId,
  });
  return { record, key: streamFailureKey(record, MAPPING), event };
}

/** The bucket: objects by key, listed `pageSize` to a page (in key order, as S3 does). */
function bucket(objects: Record<string, string>, pageSize = 1000) {
  const keys = Object.keys(objects).sort();
  s3Mock.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
    const matching = keys.filter((k) => k.startsWith(input.Prefix ?? ''));
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = matching.slice(start, start + pageSize);
    const more = start + pageSize < matching.length;
    return {
      Contents: page.map((Key) => ({ Key })),
      KeyCount: page.length,
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + pageSize) } : {}),
    };
  });
  s3Mock.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
    const text = objects[input.Key ?? ''];
    if (text === undefined) throw new Error(`NoSuchKey ${input.Key}`);
    return { Body: { transformToString: async () => text } };
  });
  s3Mock.on(DeleteObjectCommand).resolves({});
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
type Outcome = 'ok' | 'throws' | 'partial';

/** The function: answers per the batch's (first) sequence number; records the order of the calls. */
function publisher(outcomes: Record<string, Outcome> = {}) {
  const invoked: string[] = [];
  lambdaMock.on(InvokeCommand).callsFake((input: InvokeCommandInput) => {
    const event = JSON.parse(
      Buffer.from(input.Payload as Uint8Array).toString('utf8'),
    ) as DynamoDBStreamEvent;
    const sequence = event.Records[0]?.dynamodb?.SequenceNumber ?? '';
    invoked.push(sequence);
    switch (outcomes[sequence] ?? 'ok') {
      case 'throws':
        return {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: encode({ errorType: 'PublishFailed', errorMessage: 'the bus refused 1 entry' }),
        };
      case 'partial':
        return { StatusCode: 200, Payload: encode({ batchItemFailures: [{ itemIdentifier: sequence }] }) };
      default:
        return { StatusCode: 200, Payload: encode({ batchItemFailures: [] }) };
    }
  });
  return invoked;
}

const deletedKeys = () => s3Mock.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input.Key);

async function run(options: Partial<ReplayOptions> & Pick<ReplayOptions, 'source'>) {
  const lines: string[] = [];
  const summary = await replayStreamFailures(
    { functionName: 'PublishEvents', ...options },
    clients(),
    (line) => lines.push(line),
  );
  return { summary, lines };
}

const BUCKET = { kind: 'bucket', bucket: 'commerce-stream-failures', prefix: DEFAULT_PREFIX } as const;

beforeEach(() => {
  s3Mock.reset();
  lambdaMock.reset();
});

describe('replayStreamFailures from the S3 bucket', () => {
  // Keys sort by shard before time: `b` (shard 1, written last) lists before `a` (shard 2).
  const a = failure('300', '2024-05-01T09:00:00.000Z', 'shardId-2');
  const b = failure('100', '2024-05-03T09:00:00.000Z', 'shardId-1');
  const c = failure('200', '2024-05-02T09:00:00.000Z', 'shardId-1');
  const objects = () => ({
    [a.key]: JSON.stringify(a.record),
    [b.key]: JSON.stringify(b.record),
    [c.key]: JSON.stringify(c.record),
  });

  it('invokes the function with each original event, oldest document first', async () => {
    bucket(objects());
    const invoked = publisher();

    const { summary, lines } = await run({ source: BUCKET });

    expect(invoked).toEqual(['300', '200', '100']);
    const call = lambdaMock.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(call.FunctionName).toBe('PublishEvents');
    expect(call.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(Buffer.from(call.Payload as Uint8Array).toString('utf8'))).toEqual(a.event);
    expect(summary).toEqual({ found: 3, skipped: 0, replayed: 3, failed: 0, deleted: 0 });
    expect(lines).toEqual([
      `${a.key}  1 record(s)  replayed`,
      `${c.key}  1 record(s)  replayed`,
      `${b.key}  1 record(s)  replayed`,
      '3 document(s): 3 replayed, 0 failed',
    ]);
    expect(deletedKeys()).toEqual([]);
  });

  it('counts a function error and reported batchItemFailures as failures', async () => {
    bucket(objects());
    publisher({ '300': 'throws', '200': 'partial' });

    const { summary, lines } = await run({ source: BUCKET });

    expect(summary).toMatchObject({ replayed: 1, failed: 2 });
    expect(lines[0]).toBe(
      `${a.key}  1 record(s)  failed: function error (Unhandled): the bus refused 1 entry`,
    );
    expect(lines[1]).toBe(
      `${c.key}  1 record(s)  failed: 1 record(s) reported failed (batchItemFailures, first 200)`,
    );
    expect(lines.at(-1)).toBe('3 document(s): 1 replayed, 2 failed');
  });

  it('counts an invocation that cannot be made as failed and carries on', async () => {
    bucket(objects());
    lambdaMock
      .on(InvokeCommand)
      .rejectsOnce(new Error('ResourceNotFoundException: no PublishEvents'))
      .resolves({
        StatusCode: 200,
        Payload: encode(null) as never,
      });

    const { summary, lines } = await run({ source: BUCKET, delete: true });

    expect(summary).toMatchObject({ replayed: 2, failed: 1, deleted: 2 });
    expect(lines[0]).toContain('failed: invoke failed: ResourceNotFoundException');
    expect(deletedKeys()).toEqual([c.key, b.key]);
  });

  it('with --delete, deletes the documents that replayed and only those', async () => {
    bucket(objects());
    publisher({ '200': 'partial' });

    const { summary, lines } = await run({ source: BUCKET, delete: true });

    expect(deletedKeys()).toEqual([a.key, b.key]);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input.Bucket).toBe(
      'commerce-stream-failures',
    );
    expect(summary).toEqual({ found: 3, skipped: 0, replayed: 2, failed: 1, deleted: 2 });
    expect(lines).toContain(`${a.key}  1 record(s)  replayed, deleted`);
    expect(lines.at(-1)).toBe('3 document(s): 2 replayed, 1 failed, 2 deleted');
  });

  it('counts a document it replayed but could not delete as failed', async () => {
    bucket(objects());
    publisher();
    s3Mock.on(DeleteObjectCommand).rejects(new Error('AccessDenied'));

    const { summary, lines } = await run({ source: BUCKET, delete: true });

    expect(summary).toMatchObject({ replayed: 0, failed: 3, deleted: 0 });
    expect(lines[0]).toBe(`${a.key}  1 record(s)  replayed, but not deleted: AccessDenied`);
  });

  it('with --dry-run, lists what it would replay and invokes and deletes nothing', async () => {
    bucket(objects());
    publisher();

    const { summary, lines } = await run({ source: BUCKET, dryRun: true, delete: true });

    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
    expect(deletedKeys()).toEqual([]);
    expect(summary).toMatchObject({ replayed: 3, failed: 0 });
    expect(lines[0]).toBe(
      `${a.key}  1 record(s)  would replay (2024-05-01T09:00:00.000Z, RetryAttemptsExhausted)`,
    );
    expect(lines.at(-1)).toBe('3 document(s): 3 would be replayed (dry run), 0 failed');
  });

  it('follows ListObjectsV2 continuation tokens through every page', async () => {
    const many = Array.from({ length: 5 }, (_, i) =>
      failure(String(500 + i), `2024-05-0${i + 1}T12:00:00.000Z`, `shardId-${5 - i}`),
    );
    bucket(Object.fromEntries(many.map((f) => [f.key, JSON.stringify(f.record)])), 2);
    const invoked = publisher();

    const { summary } = await run({ source: BUCKET });

    const listCalls = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(listCalls.map((input) => input.ContinuationToken)).toEqual([undefined, '2', '4']);
    expect(listCalls.every((input) => input.Prefix === 'aws/lambda/')).toBe(true);
    expect(invoked).toEqual(['500', '501', '502', '503', '504']);
    expect(summary.replayed).toBe(5);
  });

  it('reads only under the prefix', async () => {
    bucket({ ...objects(), 'elsewhere/note.json': '{}' });
    publisher();

    const { summary } = await run({
      source: { ...BUCKET, prefix: `aws/lambda/${MAPPING}/shardId-1/` },
    });

    expect(summary).toMatchObject({ found: 2, replayed: 2 });
  });

  it('with --since, leaves older documents alone', async () => {
    bucket(objects());
    const invoked = publisher();

    const { summary, lines } = await run({ source: BUCKET, since: new Date('2024-05-02T00:00:00Z') });

    expect(invoked).toEqual(['200', '100']);
    expect(summary).toEqual({ found: 3, skipped: 1, replayed: 2, failed: 0, deleted: 0 });
    expect(lines.at(-1)).toBe('3 document(s): 2 replayed, 0 failed, 1 written before --since left alone');
  });

  it('reports a document it cannot read as failed and never deletes it', async () => {
    const { payload: _, ...sqsShaped } = a.record;
    bucket({ ...objects(), [a.key]: JSON.stringify(sqsShaped), 'aws/lambda/x/y/garbage': 'not json' });
    publisher();

    const { summary, lines } = await run({ source: BUCKET, delete: true });

    expect(summary).toMatchObject({ found: 4, replayed: 2, failed: 2, deleted: 2 });
    expect(lines.filter((l) => l.includes('unreadable'))).toEqual([
      expect.stringMatching(/^aws\/lambda\/6f1e[^ ]+ {2}\? records {2}unreadable: .*no payload.*SQS/),
      expect.stringContaining(
        'aws/lambda/x/y/garbage  ? records  unreadable: Not a stream failure document: not JSON',
      ),
    ]);
    expect(deletedKeys()).toEqual([c.key, b.key]);
  });
});

describe('replayStreamFailures from a local directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stream-failures-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function written(...failures: { record: StreamFailureRecord }[]) {
    const store = new LocalStreamFailureStore(dir);
    for (const f of failures) await store.write(f.record, MAPPING);
    return store;
  }

  it('replays the files oldest first and deletes the ones that succeeded', async () => {
    const older = failure('10', '2024-05-01T08:00:00.000Z', 'shardId-b');
    const newer = failure('20', '2024-05-01T09:00:00.000Z', 'shardId-a');
    const failing = failure('30', '2024-05-01T10:00:00.000Z', 'shardId-a');
    const store = await written(newer, failing, older);
    const invoked = publisher({ '30': 'throws' });

    const { summary, lines } = await run({ source: { kind: 'dir', dir }, delete: true });

    expect(invoked).toEqual(['10', '20', '30']);
    expect(summary).toEqual({ found: 3, skipped: 0, replayed: 2, failed: 1, deleted: 2 });
    expect(lines[0]).toBe(`${older.key}  1 record(s)  replayed, deleted`);
    expect((await store.list()).map((file) => store.keyOf(file))).toEqual([failing.key]);
  });

  it('without --delete, keeps every file', async () => {
    const store = await written(failure('10', '2024-05-01T08:00:00.000Z'));
    publisher();

    const { summary } = await run({ source: { kind: 'dir', dir } });

    expect(summary.replayed).toBe(1);
    expect(await store.list()).toHaveLength(1);
  });

  it('finds nothing in a directory that does not exist', async () => {
    publisher();

    const { summary, lines } = await run({ source: { kind: 'dir', dir: join(dir, 'absent') } });

    expect(summary.found).toBe(0);
    expect(lines).toEqual(['0 document(s): 0 replayed, 0 failed']);
  });
});

describe('invocationFailure', () => {
  it('reads a RequestResponse answer as Lambda does', () => {
    expect(invocationFailure({})).toBeUndefined();
    expect(invocationFailure({ Payload: encode(null) })).toBeUndefined();
    expect(invocationFailure({ Payload: encode({ batchItemFailures: [] }) })).toBeUndefined();
    expect(invocationFailure({ Payload: encode({ batchItemFailures: 'x' }) })).toBe(
      'batchItemFailures is not a list',
    );
    expect(invocationFailure({ FunctionError: 'Unhandled', Payload: new TextEncoder().encode('oops') })).toBe(
      'function error (Unhandled)',
    );
  });
});

describe('the command line', () => {
  it('defaults the function and the prefix', () => {
    expect(parseReplayArgs(['--bucket', 'b'])).toEqual({
      options: {
        source: { kind: 'bucket', bucket: 'b', prefix: DEFAULT_PREFIX },
        functionName: DEFAULT_FUNCTION,
        since: undefined,
        delete: false,
        dryRun: false,
      },
      endpoint: undefined,
      region: undefined,
    });
  });

  it('reads every option', () => {
    const parsed = parseReplayArgs([
      '--dir',
      '.data/stream-failures-commerce',
      '--function',
      'arn:aws:lambda:eu-west-1:123456789012:function:x',
      '--endpoint',
      'http://127.0.0.1:3000/_aws/lambda',
      '--region',
      'eu-west-1',
      '--since',
      '2024-05-01T00:00:00Z',
      '--delete',
      '--dry-run',
    ]);

    expect(parsed).toEqual({
      options: {
        source: { kind: 'dir', dir: '.data/stream-failures-commerce' },
        functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:x',
        since: new Date('2024-05-01T00:00:00Z'),
        delete: true,
        dryRun: true,
      },
      endpoint: 'http://127.0.0.1:3000/_aws/lambda',
      region: 'eu-west-1',
    });
  });

  it.each([
    [[], 'give --bucket or --dir'],
    [['--bucket', 'b', '--dir', 'd'], 'alternatives'],
    [['--dir', 'd', '--prefix', 'p'], '--prefix goes with --bucket'],
    [['--bucket', 'b', '--since', 'yesterday'], '--since'],
    [['--bucket', 'b', '--endpoint', 'not a url'], '--endpoint'],
    [['--bucket', 'b', '--force'], 'force'],
    [['--bucket', 'b', 'extra'], 'unexpected argument extra'],
    [['--bucket'], 'bucket'],
  ])('refuses %j', (argv, text) => {
    expect(() => parseReplayArgs(argv)).toThrow(UsageError);
    expect(() => parseReplayArgs(argv)).toThrow(text);
  });

  it('exits 2 on a usage error, with the usage', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(main(['--bucket', 'b', '--dir', 'd'])).resolves.toBe(2);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toContain('usage: npm run replay-stream-failures');
    } finally {
      stderr.mockRestore();
    }
  });

  it('exits 1 when a replay failed and 0 when all did', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stream-failures-'));
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await new LocalStreamFailureStore(dir).write(failure('10', '2024-05-01T08:00:00.000Z').record, MAPPING);
      const args = ['--dir', dir, '--endpoint', 'http://127.0.0.1:1/_aws/lambda'];
      publisher({ '10': 'partial' });
      await expect(main(args)).resolves.toBe(1);
      publisher();
      await expect(main(args)).resolves.toBe(0);
      await expect(main([...args, '--dry-run'])).resolves.toBe(0);
    } finally {
      stdout.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
