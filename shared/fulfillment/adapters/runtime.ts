import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { fulfillmentTable } from '../definition';
import type { FulfillmentPorts } from '../use-cases/ports';
import { ProfileStore } from './profile-store';

/** The fulfillment ports over its table; tests build them over DynamoDB Local. */
export function makeFulfillmentPorts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: () => Date = () => new Date(),
): FulfillmentPorts {
  return { profiles: new ProfileStore(doc, tableName), now: () => clock().toISOString() };
}

let ports: FulfillmentPorts | undefined;

/** Built when a handler module loads: a missing table name fails the cold start, naming it. */
export function runtimeFulfillmentPorts(): FulfillmentPorts {
  ports ??= makeFulfillmentPorts(documentClient(), requireEnv(fulfillmentTable.envVar));
  return ports;
}
