import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb';

/**
 * Starts one DynamoDB Local per Jest worker for the whole run (test files isolate themselves by
 * table-name prefix). The engine serialises its work on one core, so one engine for two workers left
 * the second core mostly idle; `worker-engine.ts` points each worker at its own.
 */
export default async function globalSetup(globalConfig: { maxWorkers?: number }): Promise<void> {
  const count = Math.max(1, globalConfig.maxWorkers ?? 1);
  const engines: DynamoDbLocal[] = await Promise.all(
    Array.from({ length: count }, () => startDynamoDbLocal()),
  );
  process.env.TEST_DYNAMODB_ENDPOINTS = engines.map((e) => e.endpoint).join(',');
  process.env.TEST_DYNAMODB_ENDPOINT = engines[0]!.endpoint;
  (globalThis as { __DYNAMODB_LOCAL__?: DynamoDbLocal[] }).__DYNAMODB_LOCAL__ = engines;
}
