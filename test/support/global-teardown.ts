import type { DynamoDbLocal } from '../../local/dynamodb';

export default async function globalTeardown(): Promise<void> {
  const engines = (globalThis as { __DYNAMODB_LOCAL__?: DynamoDbLocal[] }).__DYNAMODB_LOCAL__ ?? [];
  await Promise.all(engines.map((engine) => engine.stop()));
}
