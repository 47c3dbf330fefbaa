import type { CustomerDecision } from '../../../shared/customers';
import type { StockReservations } from '../../../shared/inventory';
import { canTransition, ORDER_STATUSES, type Order } from '../../../shared/orders/domain/order';
import type { OrderInput } from '../../../shared/orders/schemas';
import { cancelOrder, placeOrder } from '../../../shared/orders/use-cases/orders';
import type { OrderPorts, OrderRepository } from '../../../shared/orders/use-cases/ports';
import type { CancelledTransaction, TransactItem } from '../../../shared/platform/dynamodb';
import { DomainError } from '../../../shared/platform/errors';
import type { IdempotencyRecord, IdempotencyRepository } from '../../../shared/platform/idempotency/store';
import { fakeCatalog } from '../../support/catalog';

/**
 * The order use cases against fake ports: no DynamoDB, no module mocking. Each fake op is a tagged
 * object, and the fake transaction applies them (or cancels, as the test says).
 */
type FakeOp = { op: string; [key: string]: unknown };

function fakePorts(
  options: {
    cancel?: (items: FakeOp[]) => CancelledTransaction | undefined;
    products?: Parameters<typeof fakeCatalog>[0];
  } = {},
) {
  const orders = new Map<string, Order>();
  const keys = new Map<string, IdempotencyRecord>();
  const committed: FakeOp[][] = [];
  const repository: OrderRepository = {
    createOp: (order) => ({ op: 'createOrder', order }) as unknown as TransactItem,
    channelOrderGuardOp: (scope, channelOrderId, orderId) =>
      ({ op: 'guard', scope, channelOrderId, orderId }) as unknown as TransactItem,
    transitionOp: (order, to, now) => ({ op: 'transition', order, to, now }) as unknown as TransactItem,
    updateOp: (order, next, now) => ({ op: 'update', order, next, now }) as unknown as TransactItem,
    get: async (orderId) => orders.get(orderId),
    findByChannelOrderId: async () => [],
  };
  const orderKeys: IdempotencyRepository = {
    get: async (scope, key) => keys.get(`${scope}#${key}`),
    rememberOp: (record) => ({ op: 'remember', record }) as unknown as TransactItem,
  };
  const stock: StockReservations = {
    reserve: async (request) => ({
      lines: request.lines.map((l) => ({ ...l, allocations: [{ locationId: 'DC1', quantity: l.quantity }] })),
      decision: { rule: 'fewest-locations-then-priority', summary: 'from DC1', candidates: [], chosen: [] },
      stockOps: request.lines.map((l) => ({ op: 'reserve', sku: l.sku }) as unknown as TransactItem),
    }),
    explainHoldFailure: async () => {},
    releaseOps: (orderId, lines) =>
      lines.map((l) => ({ op: 'release', orderId, sku: l.sku }) as unknown as TransactItem),
    fulfilOps: (orderId, _movement, lines) =>
      lines.map((l) => ({ op: 'fulfil', orderId, sku: l.sku }) as unknown as TransactItem),
    restockOps: (orderId, _movement, locationId, lines) =>
      lines.map((l) => ({ op: 'restock', orderId, locationId, sku: l.sku }) as unknown as TransactItem),
  };
  let ids = 0;
  const ports: OrderPorts = {
    orders: repository,
    orderKeys,
    catalog: fakeCatalog(options.products),
    pricing: {
      price: async (request) => ({
        currency: 'GBP',
        pricedAt: request.now,
        lines: request.lines.map((l) => ({
          sku: l.sku,
          quantity: l.quantity,
          unitBase: 1000,
          unitPrice: 1000,
          lineSubtotal: 1000 * l.quantity,
          discounts: [],
          discountTotal: 0,
          lineTotal: 1000 * l.quantity,
          trace: [],
          notApplied: [],
        })),
        totals: { subtotal: 0, discount: 0, total: 0 },
        promotions: [],
        uses: [],
        usageOps: [],
      }),
      explainUsageFailure: async () => {},
      releaseUsageOps: () => [],
    },
    customers: {
      resolve: async (c) => ({
        customerId: `cus_${c.orderId}`,
        decision: { rule: 'new-customer', outcome: 'created' } as unknown as CustomerDecision,
        replayed: false,
      }),
      linkOp: (customerId, orderId) =>
        ({ op: 'linkCustomer', customerId, orderId }) as unknown as TransactItem,
    },
    stock,
    transact: async (items) => {
      const ops = items as unknown as FakeOp[];
      const cancelled = options.cancel?.(ops);
      if (cancelled) return cancelled;
      committed.push(ops);
      for (const op of ops) {
        if (op.op === 'createOrder') orders.set((op.order as Order).orderId, op.order as Order);
        if (op.op === 'remember') {
          const record = op.record as IdempotencyRecord;
          keys.set(`${record.scope}#${record.key}`, record);
        }
        if (op.op === 'update') {
          const order = op.order as Order;
          orders.set(order.orderId, { ...order, ...(op.next as Partial<Order>) });
        }
        if (op.op === 'transition') {
          const order = op.order as Order;
          orders.set(order.orderId, { ...order, status: op.to as Order['status'] });
        }
      }
      return { kind: 'committed' };
    },
    now: () => '2026-12-01T10:00:00.000Z',
    newId: (prefix) => `${prefix}_${++ids}`,
  };
  return { ports, committed, orders };
}

const input: OrderInput = {
  customer: { email: 'ada@example.com' },
  lines: [{ sku: 'TEE', quantity: 2 }],
  delivery: {
    type: 'ship',
    address: { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' },
  },
};
const command = {
  channel: 'web' as const,
  scope: 'web',
  idempotencyKey: 'k1',
  idempotencyKeyPath: 'headers.Idempotency-Key',
  input,
};

describe('placeOrder', () => {
  it('commits the order, its reservations, its idempotency record and its customer link in one transaction', async () => {
    const { ports, committed } = fakePorts();

    const result = await placeOrder(ports, command);

    expect(result).toMatchObject({
      statusCode: 201,
      replayed: false,
      body: { orderId: 'ord_1', status: 'CREATED' },
    });
    expect(committed).toHaveLength(1);
    expect(committed[0]?.map((op) => op.op)).toEqual(['reserve', 'createOrder', 'remember', 'linkCustomer']);
    expect(result.body).toMatchObject({ customerId: 'cus_ord_1' });
  });

  it.each([
    ['unknown', undefined, 'UNKNOWN'],
    ['discontinued', { status: 'discontinued' as const }, 'DISCONTINUED'],
    ['not published to the channel', { channels: ['store' as const] }, 'NOT_PUBLISHED'],
  ])('refuses a line whose SKU is %s with 422, writing nothing', async (_case, product, reason) => {
    const { ports, committed } = fakePorts({ products: { TEE: product } });

    const refused = placeOrder(ports, command);

    await expect(refused).rejects.toMatchObject({
      status: 422,
      code: 'PRODUCT_NOT_SELLABLE',
      details: [expect.objectContaining({ path: 'lines.0.sku', reason })],
    });
    expect(committed).toHaveLength(0);
  });

  it('answers a repeat of the same key with the first answer, and refuses the key with another payload', async () => {
    let first = true;
    const { ports } = fakePorts({
      // The second call loses on its idempotency put (index 2), as DynamoDB would report it.
      cancel: () => {
        if (first) return undefined;
        return {
          kind: 'cancelled',
          reasons: [{ code: 'None' }, { code: 'None' }, { code: 'ConditionalCheckFailed' }],
        };
      },
    });
    const original = await placeOrder(ports, command);
    first = false;

    const repeat = await placeOrder(ports, command);
    const other = placeOrder(ports, {
      ...command,
      input: { ...input, lines: [{ sku: 'TEE', quantity: 3 }] },
    });

    expect(repeat).toEqual({ ...original, replayed: true });
    await expect(other).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      details: [{ path: 'headers.Idempotency-Key' }],
    });
  });

  it('claims the channel order id in the same transaction and names the field when another order has it', async () => {
    const { ports } = fakePorts({
      cancel: (ops) =>
        ops.some((op) => op.op === 'guard')
          ? {
              kind: 'cancelled',
              reasons: ops.map((op) => ({ code: op.op === 'guard' ? 'ConditionalCheckFailed' : 'None' })),
            }
          : undefined,
    });

    const placing = placeOrder(ports, { ...command, input: { ...input, channelOrderId: 'W-1' } });

    await expect(placing).rejects.toBeInstanceOf(DomainError);
    await expect(placing).rejects.toMatchObject({
      code: 'DUPLICATE_CHANNEL_ORDER_ID',
      details: [{ path: 'channelOrderId' }],
    });
  });
});

describe('the order status machine', () => {
  it('lets an order be cancelled until it is completed (a shipment is checked on its groups)', () => {
    const cancellable = ORDER_STATUSES.filter((status) => canTransition(status, 'CANCELLED'));

    expect(cancellable).toEqual(['CREATED', 'ROUTED', 'IN_FULFILLMENT', 'READY_FOR_PICKUP']);
  });

  it('has no way out of a final status', () => {
    expect(
      ORDER_STATUSES.filter((from) => ORDER_STATUSES.some((to) => canTransition(from, to))),
    ).not.toContain('COMPLETED');
    expect(ORDER_STATUSES.some((to) => canTransition('CANCELLED', to))).toBe(false);
  });
});

describe('cancelOrder', () => {
  it('refuses with 409 ORDER_NOT_CANCELLABLE once the order has shipped, and writes nothing', async () => {
    const { ports, committed, orders } = fakePorts();
    const placed = await placeOrder(ports, command);
    const orderId = (placed.body as { orderId: string }).orderId;
    const order = orders.get(orderId)!;
    orders.set(orderId, {
      ...order,
      status: 'IN_FULFILLMENT',
      groups: [
        {
          groupId: `${orderId}-G1`,
          locationId: 'DC1',
          lines: [{ sku: 'TEE', quantity: 1 }],
          status: 'SHIPPED',
          updatedAt: order.createdAt,
        },
      ],
    });

    await expect(cancelOrder(ports, 'web', orderId)).rejects.toMatchObject({
      status: 409,
      code: 'ORDER_NOT_CANCELLABLE',
    });
    expect(committed).toHaveLength(1);
  });

  it('moves the order to CANCELLED and releases its units in one transaction', async () => {
    const { ports, committed } = fakePorts();
    const placed = await placeOrder(ports, command);
    const orderId = (placed.body as { orderId: string }).orderId;

    const cancelled = await cancelOrder(ports, 'web', orderId);

    expect(cancelled.status).toBe('CANCELLED');
    expect(committed[1]?.map((op) => op.op)).toEqual(['update', 'release']);
  });

  it("does not let a channel see or cancel another channel's order", async () => {
    const { ports } = fakePorts();
    const placed = await placeOrder(ports, command);

    await expect(
      cancelOrder(ports, 'store', (placed.body as { orderId: string }).orderId),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
