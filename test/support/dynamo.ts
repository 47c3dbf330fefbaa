import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import type { TableKey } from '../../shared/platform/definitions';

/** A DynamoDB client for the run's DynamoDB Local and a fresh set of tables under a unique prefix. */
export async function freshTables(): Promise<{ client: DynamoDBClient; names: Record<TableKey, string> }> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (global setup).');
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const names = await createTables(client, `t${randomUUID().slice(0, 8)}-`);
  return { client, names };
}
