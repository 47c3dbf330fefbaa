import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type CatalogRepository, runtimeCatalogPorts } from '../../catalog';
import { type InventoryPorts, type Planner, runtimeInventoryPorts, stockReservations } from '../../inventory';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { IdempotencyStore } from '../../platform/idempotency/store';
import { ordersTable } from '../definition';
import type { OrderPorts, OrderQueryPorts } from '../use-cases/ports';
import { OrderStore } from './order-store';

/**
 * The order ports over the orders table, the catalog and the inventory pool's ports (whose transaction, clock
 * and ids they share, so an order and its reservations commit as one); tests build them over
 * DynamoDB Local.
 */
export function makeOrderPorts(
  doc: DynamoDBDocumentClient,
  ordersTableName: string,
  inventory: InventoryPorts,
  catalog: CatalogRepository,
  planner?: Planner,
): OrderPorts {
  return {
    orders: new OrderStore(doc, ordersTableName),
    orderKeys: new IdempotencyStore(doc, ordersTableName),
    catalog,
    stock: stockReservations(inventory, planner),
    transact: inventory.transact,
    now: inventory.now,
    newId: inventory.newId,
  };
}

let ports: OrderPorts | undefined;
let intakePorts: OrderPorts | undefined;
let queryPorts: OrderQueryPorts | undefined;

/**
 * The ports of a handler that places or cancels orders, built when its module loads: a missing
 * table name fails the cold start, naming the variable. The intake's handlers pass the planner
 * (the fulfillment context's sourcing profiles) that decides where a ship order's lines go; the
 * embedded runtime loads every handler in one process, so those ports are kept apart.
 */
export function runtimeOrderPorts(options: { planner?: Planner } = {}): OrderPorts {
  const build = () =>
    makeOrderPorts(
      documentClient(),
      requireEnv(ordersTable.envVar),
      runtimeInventoryPorts(),
      runtimeCatalogPorts().catalog,
      options.planner,
    );
  if (options.planner) {
    intakePorts ??= build();
    return intakePorts;
  }
  ports ??= build();
  return ports;
}

/** The ports of a handler that only reads orders (it is given only the orders table). */
export function runtimeOrderQueryPorts(): OrderQueryPorts {
  queryPorts ??= { orders: new OrderStore(documentClient(), requireEnv(ordersTable.envVar)) };
  return queryPorts;
}
