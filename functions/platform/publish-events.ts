import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeClient } from '../../shared/platform/clients';
import { PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { loadEventSources, tables } from '../../shared/platform/definitions';
import type { RecordChange } from '../../shared/platform/events/envelope';
import { EventPublisher } from '../../shared/platform/events/publisher';
import { publishChanges, type StreamItem } from '../../shared/platform/events/stream';
import { logger } from '../../shared/platform/logger';

const publisher = new EventPublisher(eventBridgeClient(), requireEnv(PLATFORM_ENV.eventBusName));
const sources = loadEventSources();
// A source that cannot load (a missing table variable) fails every batch, naming the cause, so the
// stream keeps its records; the rejection is handled here and rethrown where the handler awaits it.
sources.catch((error: unknown) => logger.error('Event sources failed to load', { error: error as Error }));
/** Physical table name → table key, for the tables this function was subscribed to. */
const tablesByName = new Map(
  Object.values(tables).flatMap((t) => {
    const name = process.env[t.envVar];
    return name ? [[name, t.key] as const] : [];
  }),
);

/** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` → the table's key. */
function tableOf(record: DynamoDBRecord): string | undefined {
  const name = /:table\/([^/]+)\/stream\//.exec(record.eventSourceARN ?? '')?.[1];
  return name ? tablesByName.get(name) : undefined;
}

const image = (value: unknown) =>
  value ? (unmarshall(value as Record<string, AttributeValue>) as Record<string, unknown>) : undefined;

function toItem(record: DynamoDBRecord): StreamItem | undefined {
  const table = tableOf(record);
  const keys = image(record.dynamodb?.Keys) as { PK: string; SK: string } | undefined;
  if (!table || !keys || !record.eventName) return undefined;
  const change: RecordChange = {
    table,
    eventName: record.eventName,
    keys,
    ...(record.dynamodb?.OldImage ? { oldImage: image(record.dynamodb.OldImage) } : {}),
    ...(record.dynamodb?.NewImage ? { newImage: image(record.dynamodb.NewImage) } : {}),
  };
  return { sequenceNumber: record.dynamodb?.SequenceNumber ?? '', change };
}

/**
 * The outbox publisher: committed records from every context's table stream become domain events on
 * the bus, then each context's follow-up runs (inventory re-evaluates channel availability). Reports
 * the first record to retry from (partial batch failure), so nothing after a failure is skipped.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const items = event.Records.map(toItem).filter((i): i is StreamItem => i !== undefined);
  const { retryFrom } = await publishChanges(
    await sources,
    (events) => publisher.publish(events),
    items,
    (error, item) =>
      logger.error('Publishing failed', { error: error as Error, sequenceNumber: item?.sequenceNumber }),
  );
  return { batchItemFailures: retryFrom ? [{ itemIdentifier: retryFrom }] : [] };
};
