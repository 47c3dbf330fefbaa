import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { optionalEnv } from '../config/env';
import { ENV } from '../infra/definitions';

/**
 * SDK clients, created once per module scope and reused across invocations. Endpoint overrides exist
 * only for the embedded runtime (DynamoDB Local, the local bus); on AWS they are unset.
 */

export function documentClient(client?: DynamoDBClient): DynamoDBDocumentClient {
  const endpoint = optionalEnv(ENV.dynamodbEndpoint);
  const base = client ?? new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function eventBridgeClient(): EventBridgeClient {
  const endpoint = optionalEnv(ENV.eventBridgeEndpoint);
  return new EventBridgeClient({ ...(endpoint ? { endpoint } : {}) });
}
