import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventBridgeClient } from '../shared/adapters/clients';
import { EventPublisher } from '../shared/adapters/event-publisher';
import { logger } from '../shared/adapters/logger';
import { runtimePorts } from '../shared/adapters/runtime';
import { requireEnv } from '../shared/config/env';
import type { RecordChange } from '../shared/domain/record-events';
import { ENV, type TableKey } from '../shared/infra/definitions';
import { publishChanges, type StreamItem } from '../shared/use-cases/publish';

const ports = runtimePorts();
const publisher = new EventPublisher(eventBridgeClient(), requireEnv(ENV.eventBusName));
const tablesByName = new Map<string, TableKey>([
  [ports.inventory.tableName, 'inventory'],
  [ports.orders.tableName, 'orders'],
]);

/** `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` → the table's context. */
function tableOf(record: DynamoDBRecord): TableKey | undefined {
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
 * The outbox publisher: committed records from the table streams become domain events on the bus,
 * then per-channel availability is re-evaluated for the SKUs the batch touched. Reports the first
 * record to retry from (partial batch failure), so nothing after a failure is skipped.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const items = event.Records.map(toItem).filter((i): i is StreamItem => i !== undefined);
  const { retryFrom } = await publishChanges(
    { inventory: ports.inventory, publish: (events) => publisher.publish(events), now: ports.now },
    items,
    (error, item) =>
      logger.error('Publishing failed', { error: error as Error, sequenceNumber: item?.sequenceNumber }),
  );
  return { batchItemFailures: retryFrom ? [{ itemIdentifier: retryFrom }] : [] };
};
