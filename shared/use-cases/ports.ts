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
  tableNames: { readonly inventory: string; readonly orders: string },
  clock: () => Date = () => new Date(),
): Ports {
  // Stores are built on first use, so a function reads the name of only the tables it touches.
  const lazy = <T>(build: () => T) => {
    let value: T | undefined;
    return () => {
      value ??= build();
      return value;
    };
  };
  const inventory = lazy(() => new InventoryStore(doc, tableNames.inventory));
  const orders = lazy(() => new OrderStore(doc, tableNames.orders));
  const orderKeys = lazy(() => new IdempotencyStore(doc, tableNames.orders));
  const holdKeys = lazy(() => new IdempotencyStore(doc, tableNames.inventory));
  return {
    doc,
    get inventory() {
      return inventory();
    },
    get orders() {
      return orders();
    },
    get orderKeys() {
      return orderKeys();
    },
    get holdKeys() {
      return holdKeys();
    },
    now: () => clock().toISOString(),
    newId: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
  };
}
