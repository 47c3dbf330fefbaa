import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { IdempotencyStore } from '../adapters/idempotency-store';
import { InventoryStore } from '../adapters/inventory-store';
import { OrderStore } from '../adapters/order-store';

/** What the use cases need from the outside world; tests build it over DynamoDB Local tables. */
export interface Ports {
  doc: DynamoDBDocumentClient;
  inventory: InventoryStore;
  orders: OrderStore;
  /** Idempotency records of the orders context (order intake). */
  orderKeys: IdempotencyStore;
  /** Idempotency records of the inventory context (holds). */
  holdKeys: IdempotencyStore;
  now(): string;
  newId(prefix: string): string;
}

export function makePorts(
  doc: DynamoDBDocumentClient,
  tableNames: { inventory: string; orders: string },
  clock: () => Date = () => new Date(),
): Ports {
  return {
    doc,
    inventory: new InventoryStore(doc, tableNames.inventory),
    orders: new OrderStore(doc, tableNames.orders),
    orderKeys: new IdempotencyStore(doc, tableNames.orders),
    holdKeys: new IdempotencyStore(doc, tableNames.inventory),
    now: () => clock().toISOString(),
    newId: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
  };
}
