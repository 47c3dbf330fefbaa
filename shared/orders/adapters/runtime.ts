import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { catalogTable, makeCatalogPorts } from '../../catalog';
import {
  type CustomerPorts,
  customersTable,
  linkOrderOp,
  makeCustomerPorts,
  resolveCustomer,
} from '../../customers';
import { type InventoryPorts, type Planner, runtimeInventoryPorts, stockReservations } from '../../inventory';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { IdempotencyStore } from '../../platform/idempotency/store';
import { ordersTable } from '../definition';
import type { CustomerIdentity, OrderPorts, OrderQueryPorts } from '../use-cases/ports';
import { OrderStore } from './order-store';

/** The customers context's use cases behind the intake's identity port. */
const customerIdentity = (ports: CustomerPorts): CustomerIdentity => ({
  resolve: (command) => resolveCustomer(ports, command),
  linkOp: (customerId, orderId, channel, at) => linkOrderOp(ports, customerId, orderId, channel, at),
});

/** The tables an intake uses, by their keys in the definitions (`freshTables()` gives them all). */
export interface OrderTables {
  orders: string;
  catalog: string;
  customers: string;
}

/**
 * The order ports over the orders table, the catalog and the inventory pool's ports (whose transaction, clock
 * and ids they share, so an order and its reservations commit as one); tests build them over
 * DynamoDB Local.
 */
export function makeOrderPorts(
  doc: DynamoDBDocumentClient,
  tables: OrderTables,
  inventory: InventoryPorts,
  planner?: Planner,
): OrderPorts {
  return {
    orders: new OrderStore(doc, tables.orders),
    orderKeys: new IdempotencyStore(doc, tables.orders),
    catalog: makeCatalogPorts(doc, tables.catalog).catalog,
    customers: customerIdentity(makeCustomerPorts(doc, tables.customers, () => new Date(inventory.now()))),
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
      {
        orders: requireEnv(ordersTable.envVar),
        catalog: requireEnv(catalogTable.envVar),
        customers: requireEnv(customersTable.envVar),
      },
      runtimeInventoryPorts(),
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
