import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { transactWrite } from '../../platform/dynamodb';
import { IdempotencyStore } from '../../platform/idempotency/store';
import { inventoryTable } from '../definition';
import type { InventoryPorts } from '../use-cases/ports';
import { InventoryStore } from './inventory-store';

/** The inventory ports over DynamoDB tables; tests build them over DynamoDB Local. */
export function makeInventoryPorts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: () => Date = () => new Date(),
): InventoryPorts {
  return {
    inventory: new InventoryStore(doc, tableName),
    holdKeys: new IdempotencyStore(doc, tableName),
    transact: (items) => transactWrite(doc, items),
    now: () => clock().toISOString(),
    newId: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
  };
}

let ports: InventoryPorts | undefined;

/**
 * The ports of a deployed (or embedded) handler, built once per execution environment when the
 * handler module loads: a function without the inventory table's name fails its cold start, naming
 * the variable.
 */
export function runtimeInventoryPorts(): InventoryPorts {
  ports ??= makeInventoryPorts(documentClient(), requireEnv(inventoryTable.envVar));
  return ports;
}
