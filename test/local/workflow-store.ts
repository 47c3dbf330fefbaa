import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { WorkflowStore } from '../../local/workflows/store';

/** A workflow table name no other test uses: `<prefix><8 random hex digits>-Workflows`. */
export const uniqueWorkflowsTable = (prefix: string): string =>
  `${prefix}${randomUUID().slice(0, 8)}-Workflows`;

/**
 * A workflow store on `table` in DynamoDB Local at `endpoint`, by default the engine Jest's global
 * setup started (`TEST_DYNAMODB_ENDPOINT`).
 */
export const workflowStore = (table: string, endpoint = process.env.TEST_DYNAMODB_ENDPOINT): WorkflowStore =>
  new WorkflowStore(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    table,
  );
