import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeClient } from '../../shared/platform/clients';
import { PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { loadEventSources, streamTables } from '../../shared/platform/definitions';
import type { RecordChange } from '../../shared/platform/events/envelope';
import { EventPublisher } from '../../shared/platform/events/publisher';
import { publishChanges, type StreamItem } from '../../shared/platform/events/stream';
import { logger } from '../../shared/platform/logger';

const publisher = new EventPublisher(eventBridgeClient(), requireEnv(PLATFORM_ENV.eventBusName));
/** Physical table name → table key, for every table whose stream this function publishes. */
const tablesByName = new Map(streamTables.map((table) => [requireEnv(table.envVar), table.key] as const));
const sources = loadEventSources();
// A source that cannot load fails every batch, naming the cause, so the stream keeps its records;
// the rejection is handled here and rethrown where the handler awaits it.
sources.catch((error: unknown) => logger.error('Event sources failed to load', { error: error as Error }));
/** Settles when the event sources are loaded (for tests of the cold start). */
export const ready = sources.then(() => undefined);

/** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` → the table's key, if known. */
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
  // A record from a table this function does not know is a deployment fault: the batch stops there
  // (and, retried, reaches the DLQ) instead of counting the record as published.
  const unknown = event.Records.findIndex((record) => tableOf(record) === undefined);
  const known = unknown === -1 ? event.Records : event.Records.slice(0, unknown);
  if (unknown !== -1) {
    logger.error('Stream record from an unknown table', {
      eventSourceARN: event.Records[unknown]?.eventSourceARN,
    });
  }
  const items = known.map(toItem).filter((i): i is StreamItem => i !== undefined);
  const unknownAt = unknown === -1 ? undefined : event.Records[unknown]?.dynamodb?.SequenceNumber;
  const { retryFrom = unknownAt } = await publishChanges(
    await sources,
    (events) => publisher.publish(events),
    items,
    (error, item) =>
      logger.error('Publishing failed', { error: error as Error, sequenceNumber: item?.sequenceNumber }),
  );
  return { batchItemFailures: retryFrom ? [{ itemIdentifier: retryFrom }] : [] };
};
