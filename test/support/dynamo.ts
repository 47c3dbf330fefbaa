import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import type { TableKey } from '../../shared/platform/definitions';

/** Every table an order intake uses, from a fresh set's names. */
export const tablesOf = (names: Record<TableKey, string>) => ({
  orders: names.orders ?? '',
  catalog: names.catalog ?? '',
  customers: names.customers ?? '',
  pricing: names.pricing ?? '',
});

/**
 * A DynamoDB client for the run's DynamoDB Local and a fresh set of tables under a unique prefix
 * (every table, or `only` those).
 */
export async function freshTables(
  only?: readonly TableKey[],
): Promise<{ client: DynamoDBClient; names: Record<TableKey, string> }> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (global setup).');
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const names = await createTables(client, `t${randomUUID().slice(0, 8)}-`, only);
  return { client, names };
}
