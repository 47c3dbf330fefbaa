import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DeadLetterQueue } from '../../local/dead-letters';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import type { LocalHandler } from '../../local/lambda';
import { firstFailure, StreamPoller, type StreamPollerOptions } from '../../local/stream-poller';
import { freshTables } from '../support/dynamo';
import { memoryLogger, recorder, waitFor } from './support';

describe('stream poller', () => {
  let client: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let table: string;
  const pollers: StreamPoller[] = [];

  beforeEach(async () => {
    const fresh = await freshTables(['inventory']);
    client = fresh.client;
    table = fresh.names.inventory ?? '';
    streams = new DynamoDBStreamsClient({
      endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  });

  afterEach(async () => {
    await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
    client.destroy();
    streams.destroy();
  });

  async function startPoller(handler: LocalHandler, options: Partial<StreamPollerOptions> = {}) {
    const poller = new StreamPoller({
      dynamodb: client,
      streams,
      tableNames: [table],
      functionName: 'PublishEvents',
      handlers: new Map([['PublishEvents', handler]]),
      region: LOCAL_REGION,
      idleDelayMs: 20,
      retryDelayMs: 5,
      maxRetries: 2,
      ...options,
    });
    pollers.push(poller);
    await poller.start();
    return poller;
  }

  const put = (id: string, extra: Record<string, { S: string } | { N: string } | { B: Uint8Array }> = {}) =>
    client.send(new PutItemCommand({ TableName: table, Item: { PK: { S: id }, SK: { S: 'A' }, ...extra } }));

  const records = (handler: { calls: { event: DynamoDBStreamEvent }[] }): DynamoDBRecord[] =>
    handler.calls.flatMap((call) => call.event.Records);

  const keyOf = (record: DynamoDBRecord | undefined) => record?.dynamodb?.Keys?.PK?.S;

  it('delivers INSERT, MODIFY and REMOVE records in the shape Lambda gives them', async () => {
    const publisher = recorder<DynamoDBStreamEvent>();
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    await startPoller(publisher);

    await put('sku#1', { onHand: { N: '5' }, blob: { B: new Uint8Array([1, 2, 3]) } });
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { PK: { S: 'sku#1' }, SK: { S: 'A' } },
        UpdateExpression: 'SET onHand = :n',
        ExpressionAttributeValues: { ':n': { N: '4' } },
      }),
    );
    await client.send(
      new DeleteItemCommand({ TableName: table, Key: { PK: { S: 'sku#1' }, SK: { S: 'A' } } }),
    );
    await waitFor(() => records(publisher).length >= 3, 'three stream records');

    const [insert, modify, remove] = records(publisher);
    expect(records(publisher).map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(insert).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_REGION,
      eventSourceARN: described.Table?.LatestStreamArn,
      dynamodb: {
        Keys: { PK: { S: 'sku#1' }, SK: { S: 'A' } },
        NewImage: { PK: { S: 'sku#1' }, SK: { S: 'A' }, onHand: { N: '5' }, blob: { B: 'AQID' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(insert?.eventID).toEqual(expect.any(String));
    expect(insert?.dynamodb?.OldImage).toBeUndefined();
    expect(insert?.dynamodb?.SizeBytes).toBeGreaterThan(0);
    const created = insert?.dynamodb?.ApproximateCreationDateTime;
    expect(typeof created).toBe('number');
    expect(Math.abs((created ?? 0) - Date.now() / 1000)).toBeLessThan(120);
    expect(modify?.dynamodb).toMatchObject({
      OldImage: { onHand: { N: '5' } },
      NewImage: { onHand: { N: '4' } },
    });
    expect(remove?.dynamodb?.NewImage).toBeUndefined();
    expect(remove?.dynamodb?.OldImage).toMatchObject({ onHand: { N: '4' } });
    const sequence = records(publisher).map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect([...sequence].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequence);
    expect(publisher.calls[0]?.context.functionName).toBe('PublishEvents');
  });

  it('keeps empty maps and lists, and nulls, as they were written', async () => {
    const publisher = recorder<DynamoDBStreamEvent>();
    await startPoller(publisher);

    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          PK: { S: 'p#1' },
          SK: { S: 'A' },
          attributes: { M: {} },
          channels: { L: [] },
          nested: { M: { empty: { M: {} } } },
          gone: { NULL: true },
        },
      }),
    );
    await waitFor(() => records(publisher).length >= 1, 'one stream record');

    expect(records(publisher)[0]?.dynamodb?.NewImage).toMatchObject({
      attributes: { M: {} },
      channels: { L: [] },
      nested: { M: { empty: { M: {} } } },
      gone: { NULL: true },
    });
  });

  it('redelivers from the first failed record reported in batchItemFailures', async () => {
    await put('a');
    await put('b');
    await put('c');
    const publisher = recorder<DynamoDBStreamEvent>((event): DynamoDBBatchResponse => {
      const failed = publisher.calls.length === 1 ? event.Records[1]?.dynamodb?.SequenceNumber : undefined;
      return { batchItemFailures: failed ? [{ itemIdentifier: failed }] : [] };
    });

    await startPoller(publisher);
    await waitFor(() => publisher.calls.length >= 2, 'the redelivery');

    expect(publisher.calls.map((call) => call.event.Records.map(keyOf))).toEqual([
      ['a', 'b', 'c'],
      ['b', 'c'],
    ]);
  });

  it('redelivers the whole batch when a failure names no record of it, as Lambda does', async () => {
    await put('a');
    await put('b');
    let calls = 0;
    const publisher = recorder<DynamoDBStreamEvent>(() => {
      calls += 1;
      return calls === 1 ? { batchItemFailures: [{ itemIdentifier: '' }] } : undefined;
    });

    await startPoller(publisher);
    await waitFor(() => publisher.calls.length >= 2, 'the redelivery');

    expect(publisher.calls.map((call) => call.event.Records.map(keyOf))).toEqual([
      ['a', 'b'],
      ['a', 'b'],
    ]);
  });

  it('dead-letters a batch that keeps failing, then moves on to later records', async () => {
    const deadLetters = new DeadLetterQueue();
    const log = memoryLogger();
    const publisher = recorder<DynamoDBStreamEvent>((event) => {
      if (event.Records.some((record) => keyOf(record) === 'poison')) throw new Error('cannot publish');
    });
    await startPoller(publisher, { deadLetters, log });

    await put('poison');
    await waitFor(() => deadLetters.size === 1, 'the dead letter');
    await put('after');
    await waitFor(() => records(publisher).some((record) => keyOf(record) === 'after'), 'the later record');

    expect(publisher.calls.filter((call) => keyOf(call.event.Records[0]) === 'poison')).toHaveLength(3);
    expect(deadLetters.list()).toEqual([
      expect.objectContaining({
        source: 'stream',
        functionName: 'PublishEvents',
        attempts: 3,
        error: 'Error: cannot publish',
        payload: expect.objectContaining({ records: [expect.objectContaining({ eventName: 'INSERT' })] }),
      }),
    ]);
    expect(log.errors.join('\n')).toContain('dead-letter');
  });

  it('retries a failing batch 10 times by default, as the CDK event source mapping does, then dead-letters it', async () => {
    const deadLetters = new DeadLetterQueue();
    const publisher = recorder<DynamoDBStreamEvent>(() => {
      throw new Error('down');
    });
    await startPoller(publisher, {
      deadLetters,
      maxRetries: undefined,
      retryDelayMs: 1,
      log: memoryLogger(),
    });

    await put('poison');
    await waitFor(() => deadLetters.size === 1, 'the dead letter');

    expect(publisher.calls).toHaveLength(11);
    expect(deadLetters.list()[0]).toMatchObject({ attempts: 11 });
  });

  describe('checkpoints', () => {
    let dir: string;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'stream-checkpoints-'));
    });

    afterEach(() => {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    });

    it('resumes after the last processed record, neither losing nor repeating any', async () => {
      const checkpointFile = join(dir, 'checkpoints.json');
      const first = recorder<DynamoDBStreamEvent>();
      const firstPoller = await startPoller(first, { checkpointFile });
      await put('one');
      await put('two');
      await waitFor(() => records(first).length === 2, 'the first two records');
      await firstPoller.stop();

      await put('three');
      await put('four');
      const second = recorder<DynamoDBStreamEvent>();
      const secondPoller = await startPoller(second, { checkpointFile });
      await waitFor(() => records(second).length >= 2, 'the records written while stopped');
      await put('five');
      await waitFor(() => records(second).length >= 3, 'a record written after the restart');
      // Stopped here, not by the outer cleanup, which runs after this block's directory is removed.
      await secondPoller.stop();

      expect(records(first).map(keyOf)).toEqual(['one', 'two']);
      expect(records(second).map(keyOf)).toEqual(['three', 'four', 'five']);
    });

    it('starts at the trim horizon without a checkpoint file', async () => {
      await put('one');
      const publisher = recorder<DynamoDBStreamEvent>();

      await startPoller(publisher);
      await waitFor(() => records(publisher).length === 1, 'the record written before the start');

      expect(records(publisher).map(keyOf)).toEqual(['one']);
    });
  });

  describe('shard rollover', () => {
    /**
     * DynamoDB Local keeps one open shard, so rollover is played by a fake client: shard-1 closes after
     * two records and shard-2, its child, carries on. The child must not be read before the parent is drained.
     */
    function fakeStream() {
      const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/T/stream/1';
      const record = (key: string, sequence: string) => ({
        eventID: key,
        eventName: 'INSERT',
        dynamodb: {
          Keys: { PK: { S: key } },
          SequenceNumber: sequence,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      });
      const shards = new Map([
        ['shard-1', { parent: undefined, closed: true, records: [record('a', '100'), record('b', '200')] }],
        ['shard-2', { parent: 'shard-1', closed: false, records: [record('c', '300')] }],
      ]);
      const reads: string[] = [];
      const streamsClient = {
        send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
          const input = command.input;
          switch (command.constructor.name) {
            case 'DescribeStreamCommand':
              return {
                StreamDescription: {
                  Shards: [...shards].map(([ShardId, shard]) => ({ ShardId, ParentShardId: shard.parent })),
                },
              };
            case 'GetShardIteratorCommand':
              return { ShardIterator: `${input.ShardId}|0` };
            case 'GetRecordsCommand': {
              const [shardId, at] = String(input.ShardIterator).split('|') as [string, string];
              const shard = shards.get(shardId)!;
              reads.push(shardId);
              const records = shard.records.slice(Number(at), Number(at) + 1);
              const next = Number(at) + records.length;
              const drained = next >= shard.records.length;
              return {
                Records: records,
                NextShardIterator: shard.closed && drained ? undefined : `${shardId}|${next}`,
              };
            }
            default:
              throw new Error(`unexpected ${command.constructor.name}`);
          }
        },
      };
      const tableClient = { send: async () => ({ Table: { LatestStreamArn: arn } }) };
      return { streamsClient, tableClient, reads };
    }

    it('reads a child shard only once its parent is drained, in order', async () => {
      const fake = fakeStream();
      const publisher = recorder<DynamoDBStreamEvent>();

      await startPoller(publisher, {
        dynamodb: fake.tableClient as unknown as DynamoDBClient,
        streams: fake.streamsClient as unknown as DynamoDBStreamsClient,
      });
      await waitFor(() => records(publisher).length === 3, 'the records of both shards');

      expect(records(publisher).map(keyOf)).toEqual(['a', 'b', 'c']);
      const firstChildRead = fake.reads.indexOf('shard-2');
      expect(fake.reads.slice(firstChildRead)).not.toContain('shard-1');
      expect(fake.reads.slice(0, firstChildRead)).toEqual(['shard-1', 'shard-1']);
    });
  });

  describe('firstFailure', () => {
    const batch: DynamoDBRecord[] = ['10', '20', '30'].map((SequenceNumber) => ({
      dynamodb: { SequenceNumber },
    }));

    it('treats no response, a null list and an empty list as success', () => {
      expect(firstFailure(undefined, batch)).toBeUndefined();
      expect(firstFailure(null, batch)).toBeUndefined();
      expect(firstFailure({ batchItemFailures: null }, batch)).toBeUndefined();
      expect(firstFailure({ batchItemFailures: [] }, batch)).toBeUndefined();
    });

    it('picks the lowest failed record', () => {
      const result = firstFailure(
        { batchItemFailures: [{ itemIdentifier: '30' }, { itemIdentifier: '20' }] },
        batch,
      );

      expect(result?.index).toBe(1);
    });

    it('fails the whole batch for an empty, missing or unknown identifier', () => {
      for (const failure of [{ itemIdentifier: '' }, {}, { itemIdentifier: '99' }, null]) {
        expect(firstFailure({ batchItemFailures: [failure] }, batch)?.index).toBe(0);
      }
      expect(firstFailure({ batchItemFailures: 'nope' }, batch)?.index).toBe(0);
    });
  });
});
