import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { transactWrite } from '../../platform/dynamodb';
import { customersTable } from '../definition';
import type { CustomerPorts, CustomerQueryPorts } from '../use-cases/ports';
import { CustomerStore } from './customer-store';

/** The customer ports over the customers table; tests build them over DynamoDB Local. */
export function makeCustomerPorts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: () => Date = () => new Date(),
): CustomerPorts {
  return {
    customers: new CustomerStore(doc, tableName),
    transact: (items) => transactWrite(doc, items),
    now: () => clock().toISOString(),
    newId: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
  };
}

let ports: CustomerPorts | undefined;
let queryPorts: CustomerQueryPorts | undefined;

/**
 * The ports of a handler that resolves, merges or unmerges customers (the order intake's too), built
 * when its module loads: a function without the customers table's name fails its cold start, naming
 * the variable.
 */
export function runtimeCustomerPorts(): CustomerPorts {
  ports ??= makeCustomerPorts(documentClient(), requireEnv(customersTable.envVar));
  return ports;
}

/** The ports of a handler that only reads profiles. */
export function runtimeCustomerQueryPorts(): CustomerQueryPorts {
  queryPorts ??= { customers: new CustomerStore(documentClient(), requireEnv(customersTable.envVar)) };
  return queryPorts;
}
