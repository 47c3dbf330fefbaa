import { randomUUID } from 'node:crypto';
import { getInventory } from '../../../shared/inventory/use-cases/stock';
import type { OrderInput } from '../../../shared/orders/schemas';
import { cancelOrder, getOrder, placeOrder } from '../../../shared/orders/use-cases/orders';
import { DomainError } from '../../../shared/platform/errors';
import { promotionInputSchema } from '../../../shared/pricing/schemas';
import { putPromotion } from '../../../shared/pricing/use-cases/price-book';
import { type Ports, portsWithNetwork, shipOrder, stock } from '../../support/network';

/** The order intake prices through the price book: stale prices refused, line prices stored, limits exact. */
describe('pricing at the order intake', () => {
  let ports: Ports;

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    await stock(ports, 'TEE', 'DC1', 1000);
    await stock(ports, 'CAP', 'DC1', 1000);
  });

  const intake = (input: OrderInput, key = randomUUID()) =>
    placeOrder(ports, { channel: 'web', scope: 'web', idempotencyKey: key, idempotencyKeyPath: 'h', input });
  const promote = (id: string, body: Record<string, unknown>) =>
    putPromotion(
      ports.prices,
      id,
      promotionInputSchema.parse({
        name: id,
        channels: ['web'],
        validFrom: '2026-01-01T00:00:00Z',
        ...body,
      }),
    );

  it('refuses a stale price with 409 and the current price and trace, taking nothing', async () => {
    const refused = await intake(shipOrder([{ sku: 'TEE', quantity: 1, unitPrice: 900 } as never])).catch(
      (e: unknown) => e as DomainError,
    );

    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ status: 409, code: 'PRICE_MISMATCH' });
    expect((refused as DomainError).details[0]).toMatchObject({
      path: 'lines.0.unitPrice',
      sent: 900,
      current: 1000,
      trace: [expect.objectContaining({ kind: 'base' })],
    });
    expect((await getInventory(ports, 'TEE')).positions[0]?.reserved).toBe(0);
  });

  it('stores the price of each line with its discounts, an order discount allocated to the pence', async () => {
    // Lower priority applies first: the line promotion, then the order's pound on what is left.
    await promote('tee-10', {
      kind: { type: 'percentOff', bps: 1000 },
      scope: { skus: ['TEE'] },
      priority: 10,
    });
    await promote('order-1-off', {
      kind: { type: 'orderAmountOff', amount: { amount: 100, currency: 'GBP' } },
      priority: 20,
    });

    const placed = await intake(
      shipOrder([
        { sku: 'TEE', quantity: 3, unitPrice: 1000, lineTotal: 2627 } as never,
        { sku: 'CAP', quantity: 1 },
      ]),
    );
    const order = await getOrder(ports, 'web', (placed.body as { orderId: string }).orderId);

    expect(placed.statusCode).toBe(201);
    const [tee, cap] = order.pricing?.lines ?? [];
    // £1 off the order, split by value after the line promotions: 2,700 : 1,000 → 72.97 : 27.03 pence;
    // each takes its whole pence (72, 27) and the leftover penny goes to the larger remainder (TEE).
    expect(tee).toMatchObject({ sku: 'TEE', unitPrice: 1000, lineSubtotal: 3000, lineTotal: 2627 });
    expect(tee?.discounts.map((d) => [d.promotionId, d.amount])).toEqual([
      ['tee-10', 300],
      ['order-1-off', 73],
    ]);
    expect(cap).toMatchObject({ sku: 'CAP', lineSubtotal: 1000, lineTotal: 973 });
    expect(order.pricing?.totals).toEqual({ subtotal: 4000, discount: 400, total: 3600 });
    expect((tee?.lineTotal ?? 0) + (cap?.lineTotal ?? 0)).toBe(order.pricing?.totals.total);
  });

  it('never lets more orders use a limited promotion than its limit, and a cancel gives a use back', async () => {
    await promote('first-5', { kind: { type: 'percentOff', bps: 2000 }, limits: { total: 5 } });

    const answers = await Promise.allSettled(
      Array.from({ length: 15 }, () => intake(shipOrder([{ sku: 'TEE', quantity: 1 }]))),
    );
    const placed = answers.flatMap((a) =>
      a.status === 'fulfilled' ? [a.value.body as { orderId: string }] : [],
    );
    const orders = await Promise.all(placed.map((p) => getOrder(ports, 'web', p.orderId)));
    const discounted = orders.filter((o) => o.pricing?.promotions.some((p) => p.promotionId === 'first-5'));
    const refusals = answers.flatMap((a) =>
      a.status === 'rejected' ? [(a.reason as DomainError).code] : [],
    );

    expect(discounted).toHaveLength(5);
    expect(refusals.every((c) => c === 'PROMOTION_LIMIT_REACHED' || c === 'CONCURRENT_UPDATE')).toBe(true);
    expect(orders.length + refusals.length).toBe(15);
    expect((await ports.prices.pricing.getUsage(['first-5'])).get('first-5')?.total).toBe(5);

    await cancelOrder(ports, 'web', discounted[0]!.orderId);
    const again = await intake(shipOrder([{ sku: 'TEE', quantity: 1 }]));
    const reordered = await getOrder(ports, 'web', (again.body as { orderId: string }).orderId);
    expect(reordered.pricing?.promotions.map((p) => p.promotionId)).toEqual(['first-5']);
    expect((await ports.prices.pricing.getUsage(['first-5'])).get('first-5')?.total).toBe(5);
  });
});
