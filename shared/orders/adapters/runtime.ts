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
import {
  catalogProductFacts,
  makePricingPorts,
  noProductFacts,
  orderPricing,
  pricingTable,
} from '../../pricing';
import { ordersTable } from '../definition';
import type { CancelPorts, CustomerIdentity, OrderPorts, OrderQueryPorts } from '../use-cases/ports';
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
  pricing: string;
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
  // One clock for every context the intake writes: the inventory pool's (tests set it).
  const clock = () => new Date(inventory.now());
  return {
    orders: new OrderStore(doc, tables.orders),
    orderKeys: new IdempotencyStore(doc, tables.orders),
    catalog: makeCatalogPorts(doc, tables.catalog).catalog,
    customers: customerIdentity(makeCustomerPorts(doc, tables.customers, clock)),
    pricing: orderPricing(
      makePricingPorts(doc, tables.pricing, catalogProductFacts(makeCatalogPorts(doc, tables.catalog)), {
        clock,
      }),
    ),
    stock: stockReservations(inventory, planner),
    transact: inventory.transact,
    now: inventory.now,
    newId: inventory.newId,
  };
}

let intakePorts: OrderPorts | undefined;
let cancelPorts: CancelPorts | undefined;
let queryPorts: OrderQueryPorts | undefined;

/**
 * The ports of the intake's handlers (HTTP and marketplace), built when the module loads: a missing
 * table name fails the cold start, naming the variable. `planner` is the fulfillment context's
 * sourcing profiles, which decide where a ship order's lines go.
 */
export function runtimeOrderPorts(options: { planner?: Planner } = {}): OrderPorts {
  intakePorts ??= makeOrderPorts(
    documentClient(),
    {
      orders: requireEnv(ordersTable.envVar),
      catalog: requireEnv(catalogTable.envVar),
      customers: requireEnv(customersTable.envVar),
      pricing: requireEnv(pricingTable.envVar),
    },
    runtimeInventoryPorts(),
    options.planner,
  );
  return intakePorts;
}

/**
 * The ports of the cancel handler: the order, the stock it holds and the promotion uses it counted
 * (it reads no catalog and resolves no customer, so it is given neither table).
 */
export function runtimeCancelPorts(): CancelPorts {
  if (!cancelPorts) {
    const doc = documentClient();
    const inventory = runtimeInventoryPorts();
    cancelPorts = {
      orders: new OrderStore(doc, requireEnv(ordersTable.envVar)),
      stock: stockReservations(inventory),
      pricing: orderPricing(makePricingPorts(doc, requireEnv(pricingTable.envVar), noProductFacts)),
      transact: inventory.transact,
      now: inventory.now,
    };
  }
  return cancelPorts;
}

/** The ports of a handler that only reads orders (it is given only the orders table). */
export function runtimeOrderQueryPorts(): OrderQueryPorts {
  queryPorts ??= { orders: new OrderStore(documentClient(), requireEnv(ordersTable.envVar)) };
  return queryPorts;
}
