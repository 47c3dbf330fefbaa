import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { putProduct } from '../../../shared/catalog/use-cases/products';
import { MAX_DECISION_CANDIDATES, type SourcingDecision } from '../../../shared/inventory/domain/sourcing';
import { getInventory, putLocation } from '../../../shared/inventory/use-cases/stock';
import {
  cancelOrder,
  getOrder,
  listOrdersByChannelOrderId,
  placeOrder,
} from '../../../shared/orders/use-cases/orders';
import { DomainError } from '../../../shared/platform/errors';
import { ensureProducts, sellableDraft } from '../../support/catalog';
import type { Ports } from '../../support/network';
import { DC, portsWithNetwork, shipOrder, stock } from '../../support/network';

const intake = (
  ports: Ports,
  key: string,
  input = shipOrder([{ sku: 'TEE', quantity: 1 }]),
  channel: 'web' | 'app' = 'web',
) =>
  placeOrder(ports, {
    channel,
    scope: channel,
    idempotencyKey: key,
    idempotencyKeyPath: 'headers.Idempotency-Key',
    input,
  });

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('placeOrder', () => {
  let ports: Ports;
  let client: DynamoDBClient;
  let names: Record<string, string>;
  beforeEach(async () => {
    ({ ports, client, names } = await portsWithNetwork());
  });

  it('reserves every line at the fewest locations and explains the choice', async () => {
    await stock(ports, 'TEE', 'DC1', 10);
    await stock(ports, 'MUG', 'DC1', 5);
    await stock(ports, 'TEE', 'S1', 10);

    const result = await intake(
      ports,
      'k1',
      shipOrder([
        { sku: 'TEE', quantity: 2 },
        { sku: 'MUG', quantity: 1 },
      ]),
    );

    expect(result.statusCode).toBe(201);
    const body = result.body as {
      lines: { allocations: { locationId: string }[] }[];
      decision: { summary: string };
    };
    expect(body.lines.flatMap((l) => l.allocations.map((a) => a.locationId))).toEqual(['DC1', 'DC1']);
    expect(body.decision.summary).toMatch(/DC1/);
    const tee = await getInventory(ports, 'TEE');
    expect(tee.positions.find((p) => p.locationId === 'DC1')).toMatchObject({ reserved: 2, available: 8 });
  });

  it('reserves all lines or none when one line is short', async () => {
    await stock(ports, 'TEE', 'DC1', 10);
    await stock(ports, 'MUG', 'DC1', 1);

    const error = await rejection(
      intake(
        ports,
        'k1',
        shipOrder([
          { sku: 'TEE', quantity: 2 },
          { sku: 'MUG', quantity: 3 },
        ]),
      ),
    );

    expect(error.code).toBe('INSUFFICIENT_STOCK');
    expect(error.details).toEqual([{ sku: 'MUG', requested: 3, available: 1 }]);
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 0, available: 10 });
    // Stock is looked at first: an order that will not exist creates no customer and no resolution.
    const customers = await client.send(new ScanCommand({ TableName: names.customers, Select: 'COUNT' }));
    expect(customers.Count).toBe(0);
  });

  it('honours safety stock', async () => {
    await stock(ports, 'TEE', 'DC1', 5, 4);

    const error = await rejection(intake(ports, 'k1', shipOrder([{ sku: 'TEE', quantity: 2 }])));

    expect(error.details).toEqual([{ sku: 'TEE', requested: 2, available: 1 }]);
  });

  it('refuses a SKU the catalog does not know with the field, before any stock is taken', async () => {
    await stock(ports, 'TEE', 'DC1', 5);

    const error = await rejection(
      intake(
        ports,
        'k1',
        shipOrder([
          { sku: 'TEE', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ]),
      ),
    );

    expect(error).toMatchObject({ status: 422, code: 'PRODUCT_NOT_SELLABLE' });
    expect(error.details).toEqual([expect.objectContaining({ path: 'lines.1.sku', reason: 'UNKNOWN' })]);
    expect((await getInventory(ports, 'TEE')).positions[0]?.reserved).toBe(0);
  });

  it('refuses a product no location stocks with the field and writes nothing', async () => {
    await stock(ports, 'TEE', 'DC1', 5);
    await ensureProducts(ports.products, ['CAP'], ports.prices);

    const error = await rejection(
      intake(
        ports,
        'k1',
        shipOrder([
          { sku: 'TEE', quantity: 1 },
          { sku: 'CAP', quantity: 1 },
        ]),
      ),
    );

    expect(error).toMatchObject({ status: 422, code: 'UNKNOWN_SKU' });
    expect(error.details[0]).toMatchObject({ path: 'lines.1.sku' });
    expect((await getInventory(ports, 'TEE')).positions[0]?.reserved).toBe(0);
  });

  it('refuses a discontinued product and one not published to the channel, naming each line', async () => {
    await stock(ports, 'TEE', 'DC1', 5);
    await stock(ports, 'CAP', 'DC1', 5);
    await putProduct(ports.products, 'TEE', sellableDraft('TEE', { status: 'discontinued' }));
    await putProduct(ports.products, 'CAP', sellableDraft('CAP', { channels: ['store'] }));

    const error = await rejection(
      intake(
        ports,
        'k1',
        shipOrder([
          { sku: 'TEE', quantity: 1 },
          { sku: 'CAP', quantity: 1 },
        ]),
      ),
    );

    expect(error).toMatchObject({ status: 422, code: 'PRODUCT_NOT_SELLABLE' });
    expect(error.details.map((d) => [d.path, d.reason])).toEqual([
      ['lines.0.sku', 'DISCONTINUED'],
      ['lines.1.sku', 'NOT_PUBLISHED'],
    ]);
    expect((await getInventory(ports, 'TEE')).positions[0]?.reserved).toBe(0);
  });

  it('reserves a pickup at the chosen store only', async () => {
    await stock(ports, 'TEE', 'DC1', 100);
    await stock(ports, 'TEE', 'S1', 1);
    const pickup = { type: 'pickup' as const, locationId: 'S1' };

    const first = await intake(ports, 'k1', shipOrder([{ sku: 'TEE', quantity: 1 }], { delivery: pickup }));
    const second = await rejection(
      intake(ports, 'k2', shipOrder([{ sku: 'TEE', quantity: 1 }], { delivery: pickup })),
    );

    expect((first.body as { lines: { allocations: unknown[] }[] }).lines[0]?.allocations).toEqual([
      { locationId: 'S1', quantity: 1 },
    ]);
    expect(second.details).toEqual([{ sku: 'TEE', requested: 1, available: 0, locationId: 'S1' }]);
  });

  it('rejects pickup at an unknown location and at a DC', async () => {
    await stock(ports, 'TEE', 'DC1', 5);

    const unknown = await rejection(
      intake(
        ports,
        'k1',
        shipOrder([{ sku: 'TEE', quantity: 1 }], { delivery: { type: 'pickup', locationId: 'X9' } }),
      ),
    );
    const dc = await rejection(
      intake(
        ports,
        'k2',
        shipOrder([{ sku: 'TEE', quantity: 1 }], { delivery: { type: 'pickup', locationId: 'DC1' } }),
      ),
    );

    expect(unknown).toMatchObject({
      code: 'UNKNOWN_LOCATION',
      details: [expect.objectContaining({ path: 'delivery.locationId' })],
    });
    expect(dc).toMatchObject({ code: 'LOCATION_CANNOT_FULFIL' });
  });

  it('gives one order for ten concurrent requests with one key, and 422 for another payload under it', async () => {
    await stock(ports, 'TEE', 'DC1', 50);

    const results = await Promise.all(Array.from({ length: 10 }, () => intake(ports, 'same-key')));
    const reused = await rejection(intake(ports, 'same-key', shipOrder([{ sku: 'TEE', quantity: 2 }])));

    const ids = new Set(results.map((r) => (r.body as { orderId: string }).orderId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect((await getInventory(ports, 'TEE')).positions[0]?.reserved).toBe(1);
    expect(reused).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('never oversells a hot SKU under concurrent intake', async () => {
    await stock(ports, 'HOT', 'DC1', 20);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        intake(ports, `hot-${i}`, shipOrder([{ sku: 'HOT', quantity: 1 }])),
      ),
    );

    const created = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => (o as PromiseRejectedResult).reason);
    expect(created).toHaveLength(20);
    expect(refused.every((e) => e instanceof DomainError && e.code === 'INSUFFICIENT_STOCK')).toBe(true);
    expect((await getInventory(ports, 'HOT')).positions[0]).toMatchObject({
      reserved: 20,
      available: 0,
      onHand: 20,
    });
  });

  it('stores a bounded decision for a network of a thousand locations', async () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => `N${i}`);
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map(async (id) => {
          await putLocation(ports, id, { ...DC, name: `DC ${id}` });
          await stock(ports, 'WIDE', id, 1);
        }),
      );
    }

    const created = await intake(ports, 'wide', shipOrder([{ sku: 'WIDE', quantity: 2 }]));
    const order = await ports.orders.get((created.body as { orderId: string }).orderId);

    expect(created.statusCode).toBe(201);
    const decision = order?.decision as SourcingDecision;
    expect(decision.candidates).toHaveLength(MAX_DECISION_CANDIDATES);
    expect(decision.candidatesOmitted).toBe(1_000 - MAX_DECISION_CANDIDATES);
  });

  it('refuses a second order with the same channel order id under another key', async () => {
    await stock(ports, 'TEE', 'DC1', 5);

    await intake(ports, 'k1', shipOrder([{ sku: 'TEE', quantity: 1 }], { channelOrderId: 'W-1' }));
    const error = await rejection(
      intake(ports, 'k2', shipOrder([{ sku: 'TEE', quantity: 1 }], { channelOrderId: 'W-1' })),
    );

    expect(error).toMatchObject({ status: 409, code: 'DUPLICATE_CHANNEL_ORDER_ID' });
    expect((await getInventory(ports, 'TEE')).positions[0]?.reserved).toBe(1);
  });
});

describe('reading and cancelling orders', () => {
  let ports: Ports;
  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    await stock(ports, 'TEE', 'DC1', 5);
  });

  it('shows a channel only its own orders and ops all of them', async () => {
    const created = await intake(
      ports,
      'k1',
      shipOrder([{ sku: 'TEE', quantity: 1 }], { channelOrderId: 'W-9' }),
    );
    const { orderId } = created.body as { orderId: string };

    expect((await getOrder(ports, 'web', orderId)).orderId).toBe(orderId);
    expect((await getOrder(ports, 'ops', orderId)).orderId).toBe(orderId);
    expect((await rejection(getOrder(ports, 'app', orderId))).status).toBe(404);
    expect((await listOrdersByChannelOrderId(ports, 'web', 'W-9')).items).toHaveLength(1);
    expect((await listOrdersByChannelOrderId(ports, 'app', 'W-9')).items).toHaveLength(0);
  });

  it('releases what a cancelled order holds, once', async () => {
    const created = await intake(ports, 'k1', shipOrder([{ sku: 'TEE', quantity: 3 }]));
    const { orderId } = created.body as { orderId: string };

    const first = await cancelOrder(ports, 'web', orderId);
    const second = await cancelOrder(ports, 'web', orderId);

    expect(first.status).toBe('CANCELLED');
    expect(second.status).toBe('CANCELLED');
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 0, available: 5 });
  });

  /** An order of 2 TEE in fulfilment, its one group at DC1 in `status` (what fulfillment writes). */
  const orderInFulfilment = async (status: 'ACCEPTED' | 'SHIPPED') => {
    const created = await intake(ports, 'k1', shipOrder([{ sku: 'TEE', quantity: 2 }]));
    const { orderId } = created.body as { orderId: string };
    const now = new Date().toISOString();
    const order = await ports.orders.get(orderId);
    const group = {
      groupId: `${orderId}-G1`,
      locationId: 'DC1',
      lines: [{ sku: 'TEE', quantity: 2 }],
      status,
      updatedAt: now,
    };
    const next = { status: 'IN_FULFILLMENT' as const, lines: order!.lines, groups: [group] };
    expect(await ports.transact([ports.orders.updateOp(order!, next, now)])).toEqual({ kind: 'committed' });
    return orderId;
  };

  it('refuses to cancel an order once units have left a location, and keeps what it still holds', async () => {
    const orderId = await orderInFulfilment('SHIPPED');

    const error = await rejection(cancelOrder(ports, 'web', orderId));

    expect(error).toMatchObject({
      status: 409,
      code: 'ORDER_NOT_CANCELLABLE',
      details: [
        {
          path: 'orderId',
          status: 'IN_FULFILLMENT',
          groups: [{ groupId: `${orderId}-G1`, status: 'SHIPPED' }],
        },
      ],
    });
    expect((await getOrder(ports, 'web', orderId)).status).toBe('IN_FULFILLMENT');
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 2, available: 3 });
  });

  it('cancels an order in fulfilment while nothing has left, releasing what its lines hold now', async () => {
    const orderId = await orderInFulfilment('ACCEPTED');

    const cancelled = await cancelOrder(ports, 'web', orderId);

    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      cancelCause: 'request',
      groups: [{ status: 'CANCELLED' }],
    });
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 0, available: 5 });
  });
});
