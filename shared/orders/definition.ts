import { z } from 'zod';
import { CATALOG_TABLE_KEY } from '../catalog';
import { CUSTOMERS_TABLE_KEY } from '../customers';
import { INVENTORY_TABLE_KEY } from '../inventory';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  type RouteSpec,
  routeFunction,
  type TableActions,
  type TableDefinition,
} from '../platform/definition';
import { idempotencyKeySchema } from '../platform/idempotency/fingerprint';
import { PRICING_TABLE_KEY } from '../pricing';
import { ORDERS_TABLE_KEY } from './domain/record-events';
import { orderEventDescriptions, orderEvents } from './events';
import { marketplaceOrderSchema, orderInputSchema } from './schemas';

/** The orders context: orders with their lines, allocations and status history, in one table. */

// GSI1: orders by channel order id (channel sees its own, ops sees all).
/** The queue between the `MarketplaceOrderPlaced` rule and the intake. */
export const MARKETPLACE_ORDERS_QUEUE = 'MarketplaceOrders';

export const ordersTable: TableDefinition = contextTable(ORDERS_TABLE_KEY, 'Orders', 'ORDERS_TABLE');

const orderIdSchema = z.string().min(1).max(100);

/** The orders API: each route's schemas validate in the handler and generate the contracts. */
export const orderRoutes = {
  placeOrder: defineRoute({
    method: 'POST',
    path: '/orders',
    access: 'channel',
    summary: 'The one order intake for every channel',
    body: orderInputSchema,
    headers: z.object({ 'Idempotency-Key': idempotencyKeySchema }),
  }),
  getOrder: defineRoute({
    method: 'GET',
    path: '/orders/{orderId}',
    access: 'any',
    summary: 'One order',
    params: z.object({ orderId: orderIdSchema }),
  }),
  listOrders: defineRoute({
    method: 'GET',
    path: '/orders',
    access: 'any',
    summary: 'Orders by channel order id',
    query: z.object({ channelOrderId: z.string().trim().min(1).max(100) }),
  }),
  cancelOrder: defineRoute({
    method: 'POST',
    path: '/orders/{orderId}/cancel',
    access: 'any',
    summary: 'Cancel an order and release what it holds',
    params: z.object({ orderId: orderIdSchema }),
  }),
} as const;

const api = (
  name: string,
  file: string,
  spec: RouteSpec,
  tables: { reads: string[]; writes: string[]; dynamodb: TableActions },
) => routeFunction('orders', name, file, spec, tables);

const both = [INVENTORY_TABLE_KEY, ORDERS_TABLE_KEY];
/**
 * The intake also reads the routing profile (the fulfillment context's table, by its key, so that
 * this definition does not load that context): its planner decides where a ship order's lines go;
 * and the catalog, to refuse what the channel may not sell.
 */
const intakeReads = [...both, 'fulfillment', CATALOG_TABLE_KEY, CUSTOMERS_TABLE_KEY, PRICING_TABLE_KEY];
/**
 * The intake also resolves the order's customer and links the order to them, and counts its uses of
 * limited promotions (a cancel gives them back).
 */
const intakeWrites = [...both, CUSTOMERS_TABLE_KEY, PRICING_TABLE_KEY];
const cancelTables = [...both, PRICING_TABLE_KEY];

/**
 * The order intake's table actions, for PlaceOrder and AcceptMarketplaceOrder alike (one intake):
 * the union of what both did under the suites, plus, read from the code, the hold it consumes
 * (inventory GetItem) and the customer's active check (ConditionCheckItem) and promotion uses
 * (pricing UpdateItem) of a marketplace order.
 */
const ORDER_INTAKE: TableActions = {
  catalog: ['BatchGetItem'],
  customers: ['BatchGetItem', 'ConditionCheckItem', 'GetItem', 'PutItem', 'UpdateItem'],
  fulfillment: ['GetItem', 'Query'],
  inventory: ['BatchGetItem', 'GetItem', 'Query', 'Query:GSI1', 'UpdateItem'],
  orders: ['GetItem', 'PutItem'],
  pricing: ['BatchGetItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
};

export const orders: ContextDefinition = {
  name: 'orders',
  tables: [ordersTable],
  functions: [
    {
      ...api('PlaceOrder', 'place-order', orderRoutes.placeOrder, {
        reads: intakeReads,
        writes: intakeWrites,
        dynamodb: ORDER_INTAKE,
      }),
      // A hot SKU's losers re-read and retry with backoff (up to 20 times) before their 409; that
      // must finish inside API Gateway's 29 s, not be cut at the default 10 s as a 502.
      timeoutSeconds: 25,
    },
    api('GetOrder', 'get-order', orderRoutes.getOrder, {
      reads: [ORDERS_TABLE_KEY],
      writes: [],
      dynamodb: { orders: ['GetItem'] },
    }),
    api('ListOrders', 'list-orders', orderRoutes.listOrders, {
      reads: [ORDERS_TABLE_KEY],
      writes: [],
      dynamodb: { orders: ['Query:GSI1'] },
    }),
    api('CancelOrder', 'cancel-order', orderRoutes.cancelOrder, {
      reads: cancelTables,
      writes: cancelTables,
      // pricing UpdateItem read from the code: a cancel gives back the order's uses of limited
      // promotions (the suites cancel no order that used one).
      dynamodb: { inventory: ['UpdateItem'], orders: ['GetItem', 'UpdateItem'], pricing: ['UpdateItem'] },
    }),
    {
      name: 'AcceptMarketplaceOrder',
      entry: 'functions/orders/accept-marketplace-order.ts',
      description: 'Marketplace orders from their queue into the one order intake',
      trigger: { kind: 'queue', queue: MARKETPLACE_ORDERS_QUEUE },
      reads: intakeReads,
      writes: intakeWrites,
      dynamodb: ORDER_INTAKE,
      putsEvents: true,
      // Ten orders a batch, each with the intake's retries on a hot SKU (PlaceOrder allows 25 s for
      // one): a batch cut short by the timeout would count a receive against every order in it.
      timeoutSeconds: 60,
    },
  ],
  busRules: [
    {
      name: 'MarketplaceOrderPlaced',
      description: 'Marketplace orders enter the same intake as HTTP orders',
      eventPattern: { source: [{ prefix: 'marketplace.' }], 'detail-type': ['MarketplaceOrderPlaced'] },
      target: { queue: MARKETPLACE_ORDERS_QUEUE },
    },
  ],
  queues: [
    {
      name: MARKETPLACE_ORDERS_QUEUE,
      description:
        'Marketplace orders on their way into the intake: a failed one comes back, five failures park it in the dead-letter queue for a redrive',
      consumer: 'AcceptMarketplaceOrder',
      maxReceiveCount: 5,
      batchSize: 10,
    },
  ],
  events: { ...orderEvents, descriptions: orderEventDescriptions },
  inboundEvents: [
    {
      source: 'marketplace.<name>',
      detailType: 'MarketplaceOrderPlaced',
      description:
        'A marketplace put an order on the bus; it enters the same intake as HTTP orders (a refusal is `MarketplaceOrderRejected`)',
      detail: marketplaceOrderSchema,
    },
  ],
  eventSource: {
    table: ORDERS_TABLE_KEY,
    reads: [],
    writes: [],
    load: async () => (await import('./adapters/event-source')).ordersStream,
  },
};
