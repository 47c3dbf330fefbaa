import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import {
  LocalStreamFailureStore,
  readStreamFailure,
  replayEventOf,
  StreamFailureDocumentError,
  type StreamFailureRecord,
  streamFailureKey,
  streamFailureRecord,
  UNKNOWN_SHARD,
} from '../../../local/stream-failures';
import type { RecordChange } from '../../../shared/platform/events/envelope';
import { orderInsert, positionChange } from '../../fixtures/domain/stream-records';

const STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/commerce-Inventory/stream/2024-04-30T08:00:00.000';
const FUNCTION_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:commerce-PublishEvents-1AB2CD3EF';
const SHARD = 'shardId-00000001714550400000-1a2b3c4d';
const MAPPING = '6f1e2d3c-4b5a-4968-8776-655443322110';
/** 2024-05-01T09:05:00Z and 09:05:02Z, as Lambda's event carries them (epoch seconds). */
const FIRST_AT = 1714554300;
const LAST_AT = 1714554302;

const av = (image: Record<string, unknown>) =>
  marshall(image, { removeUndefinedValues: true }) as unknown as Record<string, AttributeValue>;

/** A table-stream record as Lambda's event source mapping delivers it to the publisher. */
function lambdaRecord(change: RecordChange, sequenceNumber: string, at?: number): DynamoDBRecord {
  return {
    eventID: `evt-${sequenceNumber}`,
    eventName: change.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ...(at !== undefined ? { ApproximateCreationDateTime: at } : {}),
      Keys: av(change.keys),
      ...(change.oldImage ? { OldImage: av(change.oldImage) } : {}),
      ...(change.newImage ? { NewImage: av(change.newImage) } : {}),
      SequenceNumber: sequenceNumber,
      SizeBytes: 412,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
  };
}

const batch = (): DynamoDBStreamEvent => ({
  Records: [
    lambdaRecord(
      positionChange({
        before: { onHand: 5, reserved: 0, version: 3 },
        after: { onHand: 5, reserved: 2, version: 4 },
      }),
      '4100000000011223344556',
      FIRST_AT,
    ),
    lambdaRecord(positionChange({ after: { onHand: 9, reserved: 0, version: 1 } }), '4100000000011223344557'),
    lambdaRecord(orderInsert(), '4100000000011223344558', LAST_AT),
  ],
});

const NOW = new Date('2024-05-01T09:06:41.337Z');

function build(overrides: Partial<Parameters<typeof streamFailureRecord>[0]> = {}): StreamFailureRecord {
  return streamFailureRecord({
    event: batch(),
    functionArn: FUNCTION_ARN,
    condition: 'RetryAttemptsExhausted',
    attempts: 11,
    now: NOW,
    requestId: '316aa6d0-8154-4f2c-9af7-85d5f4a6bc81',
    shardId: SHARD,
    ...overrides,
  });
}

describe('streamFailureRecord', () => {
  it('builds the document Lambda writes to an S3 on-failure destination', () => {
    const event = batch();

    const record = streamFailureRecord({
      event,
      functionArn: FUNCTION_ARN,
      condition: 'RetryAttemptsExhausted',
      attempts: 11,
      error: 'PublishFailed: 1 entry refused',
      now: NOW,
      requestId: '316aa6d0-8154-4f2c-9af7-85d5f4a6bc81',
      shardId: SHARD,
    });

    expect(record).toEqual({
      requestContext: {
        requestId: '316aa6d0-8154-4f2c-9af7-85d5f4a6bc81',
        functionArn: FUNCTION_ARN,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2024-05-01T09:06:41.337Z',
      DDBStreamBatchInfo: {
        shardId: SHARD,
        startSequenceNumber: '4100000000011223344556',
        endSequenceNumber: '4100000000011223344558',
        approximateArrivalOfFirstRecord: '2024-05-01T09:05:00Z',
        approximateArrivalOfLastRecord: '2024-05-01T09:05:02Z',
        batchSize: 3,
        streamArn: STREAM_ARN,
      },
      payload: expect.any(String),
      errorMessage: 'PublishFailed: 1 entry refused',
    });
    // The payload is the invocation event itself, as a JSON string (what S3 destinations add).
    expect(JSON.parse(record.payload)).toEqual(event);
  });

  it('fills what the caller does not know: request id, shard, arrival times', () => {
    const event = batch();
    for (const record of event.Records) delete record.dynamodb?.ApproximateCreationDateTime;

    const record = streamFailureRecord({
      event,
      functionArn: FUNCTION_ARN,
      condition: 'RecordAgeExceeded',
      attempts: 1,
      now: NOW,
    });

    expect(record.requestContext.requestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(record.DDBStreamBatchInfo.shardId).toBe(UNKNOWN_SHARD);
    expect(record.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toBe('2024-05-01T09:06:41Z');
    expect(record.DDBStreamBatchInfo.approximateArrivalOfLastRecord).toBe('2024-05-01T09:06:41Z');
    expect(record).not.toHaveProperty('errorMessage');
    expect(record.requestContext.condition).toBe('RecordAgeExceeded');
  });

  it('refuses an empty batch and a batch from two streams', () => {
    expect(() => build({ event: { Records: [] } })).toThrow('at least one record');
    const mixed = batch();
    mixed.Records[2]!.eventSourceARN = STREAM_ARN.replace('Inventory', 'Orders');
    expect(() => build({ event: mixed })).toThrow('one stream');
  });
});

describe('streamFailureKey', () => {
  it('lays keys out as Lambda does: aws/lambda/<mapping>/<shard>/YYYY/MM/DD/<time>-<uuid>', () => {
    const key = streamFailureKey(build(), MAPPING);

    expect(key).toMatch(
      new RegExp(
        `^aws/lambda/${MAPPING}/${SHARD}/2024/05/01/2024-05-01T09\\.06\\.41-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`,
      ),
    );
  });

  it('is the same for the same record and differs between records', () => {
    expect(streamFailureKey(build(), MAPPING)).toBe(streamFailureKey(build(), MAPPING));
    expect(streamFailureKey(build({ requestId: 'another' }), MAPPING)).not.toBe(
      streamFailureKey(build(), MAPPING),
    );
  });

  it('dates by UTC', () => {
    const key = streamFailureKey(build({ now: new Date('2024-12-31T23:59:59.999-02:00') }), MAPPING);

    expect(key).toContain('/2025/01/01/2025-01-01T01.59.59-');
  });

  it('refuses a segment that is not a plain name', () => {
    expect(() => streamFailureKey(build(), '../etc')).toThrow('mapping id');
    expect(() => streamFailureKey(build(), 'a/b')).toThrow('mapping id');
    expect(() => streamFailureKey(build({ shardId: '..' }), MAPPING)).toThrow('shard id');
  });
});

describe('replayEventOf', () => {
  it('returns the original event from the document, its JSON text or its bytes', () => {
    const record = build();
    const text = JSON.stringify(record);

    expect(replayEventOf(record)).toEqual(batch());
    expect(replayEventOf(text)).toEqual(batch());
    expect(replayEventOf(Buffer.from(text))).toEqual(batch());
  });

  it('accepts the payload as an object as well as a string', () => {
    const record = { ...build(), payload: batch() };

    expect(replayEventOf(record)).toEqual(batch());
    expect(readStreamFailure(record).record.payload).toBe(JSON.stringify(batch()));
  });

  it('reads the record of the developer guide with a payload, without the local extension', () => {
    const event = { Records: [lambdaRecord(orderInsert(), '800000000003126276362', 1573690399)] };
    const document = {
      requestContext: {
        requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
        functionArn: 'arn:aws:lambda:us-east-2:123456789012:function:myfunction',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 1,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2019-11-14T00:13:49.717Z',
      DDBStreamBatchInfo: {
        shardId: 'shardId-00000001573689847184-864758bb',
        startSequenceNumber: '800000000003126276362',
        endSequenceNumber: '800000000003126276362',
        approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
        approximateArrivalOfLastRecord: '2019-11-14T00:13:19Z',
        batchSize: 1,
        streamArn: 'arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388',
      },
      payload: JSON.stringify(event),
    };

    expect(replayEventOf(JSON.stringify(document))).toEqual(event);
  });

  describe('says what is wrong with a document it cannot replay', () => {
    const rejects = (document: unknown, ...parts: string[]) => {
      let thrown: unknown;
      try {
        replayEventOf(document);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(StreamFailureDocumentError);
      for (const part of parts) expect((thrown as Error).message).toContain(part);
    };

    it('not JSON', () => rejects('{"requestContext": ', 'not JSON'));

    it('not an object', () => rejects(42, 'Not a stream failure document'));

    it('a missing section', () => {
      const { requestContext: _, ...rest } = build();
      rejects(rest, 'requestContext');
    });

    it('a mistyped field, by its path', () =>
      rejects(
        { ...build(), DDBStreamBatchInfo: { ...build().DDBStreamBatchInfo, batchSize: '3' } },
        'DDBStreamBatchInfo.batchSize',
      ));

    it('no payload: an SQS or SNS record', () => {
      const { payload: _, ...metadataOnly } = build();
      rejects(metadataOnly, 'no payload', 'SQS');
    });

    it('a payload that is not JSON', () =>
      rejects({ ...build(), payload: '{"Records":[' }, 'payload is not JSON'));

    it('a payload without records', () =>
      rejects({ ...build(), payload: '{"Records":[]}' }, 'payload.Records'));

    it('a record without a sequence number', () => {
      const event = batch();
      delete event.Records[1]!.dynamodb!.SequenceNumber;
      rejects({ ...build(), payload: JSON.stringify(event) }, 'payload.Records.1.dynamodb.SequenceNumber');
    });

    it('a Kinesis batch', () =>
      rejects(
        {
          ...build(),
          payload: JSON.stringify({
            Records: [{ eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record', kinesis: { data: '' } }],
          }),
        },
        'not a DynamoDB stream event',
        'payload.Records.0',
      ));
  });
});

describe('LocalStreamFailureStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stream-failures-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes each document at its object key and lists it', async () => {
    const store = new LocalStreamFailureStore(join(dir, 'stream-failures-commerce'));
    const record = build();

    const file = await store.write(record, MAPPING);

    expect(store.keyOf(file)).toBe(streamFailureKey(record, MAPPING));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(record);
    expect(await store.list()).toEqual([file]);
    expect(replayEventOf(await readFile(file, 'utf8'))).toEqual(batch());
  });

  it('lists in key order, leaves out unfinished writes, and rewrites a record in place', async () => {
    const store = new LocalStreamFailureStore(dir);
    const later = await store.write(build({ now: new Date('2024-05-02T00:00:00Z') }), MAPPING);
    const earlier = await store.write(build(), MAPPING);
    await store.write(build(), MAPPING);
    await writeFile(`${earlier}x.tmp`, '{');

    expect(await store.list()).toEqual([earlier, later]);
  });

  it('lists nothing when the directory does not exist yet', async () => {
    expect(await new LocalStreamFailureStore(join(dir, 'absent')).list()).toEqual([]);
  });

  it('removes a document and the directories it leaves empty, not the store', async () => {
    const store = new LocalStreamFailureStore(join(dir, 'store'));
    const kept = await store.write(build({ shardId: 'shardId-2' }), MAPPING);
    const removed = await store.write(build(), MAPPING);

    await store.remove(removed);
    await store.remove(removed);

    expect(await store.list()).toEqual([kept]);
    expect(await readdir(join(dir, 'store', 'aws', 'lambda', MAPPING))).toEqual(['shardId-2']);
    await store.remove(kept);
    expect(await readdir(join(dir, 'store'))).toEqual([]);
  });
});
