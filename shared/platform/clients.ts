import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { optionalEnv, PLATFORM_ENV } from './config';
import { meterDynamoDb, meterEventBridge, meteringEnabled } from './metering';
import { tableAccessEnabled, watchTableAccess } from './table-access';
import { tracer } from './tracer';

/**
 * SDK clients, created once per module scope and reused across invocations. Endpoint overrides exist
 * only for the embedded runtime (DynamoDB Local, the local bus); on AWS they are unset.
 */

let shared: DynamoDBDocumentClient | undefined;

export function documentClient(client?: DynamoDBClient): DynamoDBDocumentClient {
  if (!client && shared) return shared;
  const endpoint = optionalEnv(PLATFORM_ENV.dynamodbEndpoint);
  const base = client ?? new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  if (!client && meteringEnabled()) meterDynamoDb(base);
  // Locally only: each function may call only the table actions its definition declares.
  if (!client && tableAccessEnabled()) watchTableAccess(base);
  if (!client) tracer.captureAWSv3Client(base);
  const doc = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  if (!client) shared = doc;
  return doc;
}

export function eventBridgeClient(): EventBridgeClient {
  const endpoint = optionalEnv(PLATFORM_ENV.eventBridgeEndpoint);
  const client = new EventBridgeClient({ ...(endpoint ? { endpoint } : {}) });
  if (meteringEnabled()) meterEventBridge(client);
  return tracer.captureAWSv3Client(client);
}

let states: SFNClient | undefined;

/** The Step Functions client (locally, the embedded runner's endpoint), one per process. */
export function stepFunctionsClient(): SFNClient {
  if (states) return states;
  const endpoint = optionalEnv(PLATFORM_ENV.stepFunctionsEndpoint);
  states = tracer.captureAWSv3Client(new SFNClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 }));
  return states;
}
