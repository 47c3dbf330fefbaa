import { startDynamoDbLocal } from '../../local/dynamodb';

/** Starts DynamoDB Local once for the whole run; test files isolate themselves by table-name prefix. */
export default async function globalSetup(): Promise<void> {
  const engine = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = engine.endpoint;
  (globalThis as { __DYNAMODB_LOCAL__?: typeof engine }).__DYNAMODB_LOCAL__ = engine;
}
