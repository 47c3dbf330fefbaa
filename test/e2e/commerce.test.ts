import { randomUUID } from 'node:crypto';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { callAs } from './system';

/**
 * One price book and one customer from outside, on the seeded demo system: quotes per channel with
 * their trace, dated promotions to the second, an exact usage limit under concurrent orders, stale
 * prices refused, identities resolved across channels, and the offer read.
 */

let stack: LocalStack;
const call = (method: string, path: string, key: string, body?: unknown, headers?: Record<string, string>) =>
  callAs(stack.url, method, path, key, body, headers);
const ops = (method: string, path: string, body?: unknown) => call(method, path, 'local-ops', body);
const address = { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' };
const order = (key: string, body: Record<string, unknown>) =>
  call(
    'POST',
    '/orders',
    key,
    { delivery: { type: 'ship', address }, ...body },
    { 'Idempotency-Key': randomUUID() },
  );
const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

type Line = {
  sku: string;
  unitPrice: number;
  lineTotal: number;
  trace: { kind: string; id?: string; name?: string }[];
};

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    tablePrefix: `com${randomUUID().slice(0, 6)}-`,
    quiet: true,
    seed: true,
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('one price book', () => {
  const cart = {
    lines: [
      { sku: 'HOOD-ZIP-GRY-M', quantity: 1 },
      { sku: 'JEAN-SLIM-IND-32', quantity: 2 },
    ],
  };

  it('quotes web and app the same, and marketplace exactly 5% more, naming the rule in the trace', async () => {
    const web = await call('POST', '/quotes', 'local-web', cart);
    const app = await call('POST', '/quotes', 'local-app', cart);
    const marketplace = await call('POST', '/quotes', 'local-marketplace', cart);

    const unitPrices = (q: typeof web) => (q.body.lines as Line[]).map((l) => l.unitPrice);
    expect([web.status, app.status, marketplace.status]).toEqual([201, 201, 201]);
    expect(web.body).toMatchObject({
      quoteId: expect.any(String),
      expiresAt: expect.any(String),
      currency: 'GBP',
    });
    expect(unitPrices(web)).toEqual([4500, 5500]);
    expect(app.body.lines).toEqual(web.body.lines);
    expect(unitPrices(marketplace)).toEqual([4725, 5775]);
    for (const line of marketplace.body.lines as Line[]) {
      expect(line.trace.map((t) => t.kind)).toEqual(['base', 'rule']);
      expect(line.trace[1]).toMatchObject({ id: 'marketplace-uplift', name: 'Marketplace +5%' });
    }
  });

  it('starts and ends a promotion at its timestamps, to the second', async () => {
    const second = (ms: number) => new Date(Math.ceil(ms / 1000) * 1000);
    const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
    const from = second(Date.now() + 2000);
    const to = new Date(from.getTime() + 2000);
    expect(
      (
        await ops('PUT', '/promotions/flash-caps', {
          name: 'Flash sale: caps 50% off',
          channels: ['web'],
          scope: { skus: ['CAP-LOGO-BLK'] },
          validFrom: iso(from),
          validTo: iso(to),
          kind: { type: 'percentOff', bps: 5000 },
        })
      ).status,
    ).toBe(201);
    const capLine = async () =>
      (
        (await call('POST', '/quotes', 'local-web', { lines: [{ sku: 'CAP-LOGO-BLK', quantity: 1 }] })).body
          .lines as (Line & { notApplied: { id: string; code: string }[] })[]
      )[0]!;

    const before = await capLine();
    await sleepUntil(from.getTime() + 150);
    const during = await capLine();
    await sleepUntil(to.getTime() + 150);
    const after = await capLine();

    expect(before.lineTotal).toBe(1800);
    expect(before.notApplied).toContainEqual(
      expect.objectContaining({ id: 'flash-caps', code: 'NOT_STARTED' }),
    );
    expect(during.lineTotal).toBe(900);
    expect(after.lineTotal).toBe(1800);
    expect(after.notApplied).toContainEqual(expect.objectContaining({ id: 'flash-caps', code: 'ENDED' }));
  }, 30_000);

  // 300 orders on a limit of 100 is the integration suite's (test/integration/pricing/order-pricing):
  // here, through HTTP and the workflows every order starts, the same race at a fifth of the size.
  it('never lets more than 20 of 60 concurrent orders use a promotion limited to 20 uses', async () => {
    await ops('PUT', '/inventory/BOTTLE-STEEL-750/dc-daventry', { onHand: 10_000 });
    await ops('PUT', '/promotions/bottle-20', {
      name: 'First 20 bottles £5 off',
      channels: ['app'],
      scope: { skus: ['BOTTLE-STEEL-750'] },
      validFrom: '2026-01-01T00:00:00Z',
      kind: { type: 'amountOff', amount: { amount: 500, currency: 'GBP' } },
      limits: { total: 20 },
    });

    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        order('local-app', {
          customer: { email: `buyer${i}@example.com` },
          lines: [{ sku: 'BOTTLE-STEEL-750', quantity: 1 }],
        }),
      ),
    );
    const placed = answers.filter((a) => a.status === 201);
    const discounted = placed.filter((a) =>
      (a.body.pricing.promotions as { promotionId: string }[]).some((p) => p.promotionId === 'bottle-20'),
    );
    const refused = answers.filter((a) => a.status !== 201);

    expect(discounted).toHaveLength(20);
    expect(new Set(refused.map((a) => a.status))).toEqual(refused.length > 0 ? new Set([409]) : new Set());
    const limitReached = refused.find((a) => a.body.error.code === 'PROMOTION_LIMIT_REACHED');
    // The loser of the race gets the cart priced again without the promotion, as a quote to order with.
    expect(limitReached?.body.error.details).toEqual([
      expect.objectContaining({ path: 'promotions', promotionId: 'bottle-20', limit: 20 }),
      expect.objectContaining({
        path: 'lines',
        quote: expect.objectContaining({ quoteId: expect.any(String) }),
      }),
    ]);
    expect((await ops('GET', '/promotions/bottle-20')).body.usage).toMatchObject({ total: 20 });
  }, 180_000);

  it('refuses a stale price with 409 and the current price, and stores the right one with its discounts', async () => {
    const tees = [{ sku: 'TEE-CREW-WHT-M', quantity: 3 }];

    const stale = await order('local-web', {
      customer: { email: 'tees@example.com' },
      lines: [{ ...tees[0], unitPrice: 1400 }],
    });
    const right = await order('local-web', {
      customer: { email: 'tees@example.com' },
      lines: [{ ...tees[0], unitPrice: 1500, lineTotal: 3000 }],
    });

    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({
      code: 'PRICE_MISMATCH',
      details: [expect.objectContaining({ path: 'lines.0.unitPrice', sent: 1400, current: 1500 })],
    });
    expect(right.status).toBe(201);
    // Tees 3 for 2: the third is free, and the order stores it on the line.
    expect(right.body.pricing.lines[0]).toMatchObject({
      sku: 'TEE-CREW-WHT-M',
      unitPrice: 1500,
      lineSubtotal: 4500,
      discounts: [expect.objectContaining({ promotionId: 'tees-3-for-2', amount: 1500 })],
      lineTotal: 3000,
    });
  });
});

describe('one customer', () => {
  it('gives a store order by phone and a later web order by the same phone and an email one customer', async () => {
    const store = await order('local-store', {
      customer: { phone: '+447911123456', name: 'Grace' },
      lines: [{ sku: 'SOCK-3PK-WHT', quantity: 1 }],
    });
    const web = await order('local-web', {
      customer: { phone: '+44 7911 123456', email: 'Grace@Example.com' },
      lines: [{ sku: 'SOCK-3PK-WHT', quantity: 1 }],
    });

    expect([store.status, web.status]).toEqual([201, 201]);
    expect(web.body.customerId).toBe(store.body.customerId);
    const profile = await ops('GET', `/customers/${store.body.customerId}`);
    expect(profile.body.orders.map((o: { orderId: string }) => o.orderId).sort()).toEqual(
      [store.body.orderId, web.body.orderId].sort(),
    );
    expect(profile.body.channels).toEqual(['store', 'web']);
    const found = await call('GET', '/customers?email=grace%40example.com', 'local-callcenter');
    expect(found.body.items.map((c: { customerId: string }) => c.customerId)).toEqual([
      store.body.customerId,
    ]);
  });

  it('opens a review item for a conflicting identifier instead of merging, and an unmerge restores both', async () => {
    const first = await order('local-store', {
      customer: { loyaltyId: 'L-1001', email: 'lin@example.com' },
      lines: [{ sku: 'SOCK-3PK-WHT', quantity: 1 }],
    });
    const second = await order('local-web', {
      customer: { loyaltyId: 'L-2002', phone: '+447400123456' },
      lines: [{ sku: 'SOCK-3PK-WHT', quantity: 1 }],
    });
    // The same email with another loyalty id: two different strong identifiers of one kind.
    const conflicting = await order('local-web', {
      customer: { email: 'lin@example.com', phone: '+447400123456' },
      lines: [{ sku: 'SOCK-3PK-WHT', quantity: 1 }],
    });

    expect([first.status, second.status, conflicting.status]).toEqual([201, 201, 201]);
    expect(conflicting.body.customerDecision).toMatchObject({ reviewId: expect.any(String) });
    const reviewId = conflicting.body.customerDecision.reviewId as string;
    expect((await ops('GET', `/customers/${first.body.customerId}`)).body.mergedProfiles).toEqual([]);

    const merged = await ops('POST', `/customer-reviews/${reviewId}/merge`, {});
    const survivor = (await ops('GET', `/customers/${second.body.customerId}`)).body;
    const undone = await ops('POST', `/customer-merges/${merged.body.merges[0].mergeId}/undo`, {});
    const a = (await ops('GET', `/customers/${first.body.customerId}`)).body;
    const b = (await ops('GET', `/customers/${second.body.customerId}`)).body;

    expect(merged.status).toBe(200);
    expect(survivor.orders).toHaveLength(3);
    expect(undone.status).toBe(200);
    expect(a.customerId).not.toBe(b.customerId);
    expect(a.orders.map((o: { orderId: string }) => o.orderId)).toContain(first.body.orderId);
    expect(b.orders.map((o: { orderId: string }) => o.orderId)).toContain(second.body.orderId);
    expect(a.identifiers.map((i: { type: string }) => i.type)).toContain('loyaltyId');
    expect(b.identifiers.map((i: { type: string }) => i.type)).toContain('loyaltyId');
  });
});

describe('the offer read', () => {
  it("answers each SKU's product, channel price and availability by method in one call", async () => {
    const web = await call(
      'GET',
      '/offers?skus=TEE-CREW-WHT-M,MUG-LOGO-WHT,NO-SUCH&near=51.515,-0.142&limit=2',
      'local-web',
    );
    // A channel rule reaches the effective prices asynchronously (PriceRuleChanged → RecomputeChannelPrices).
    let marketplace = await call('GET', '/offers?skus=TEE-CREW-WHT-M,MUG-LOGO-WHT', 'local-marketplace');
    for (let i = 0; i < 200 && marketplace.body.items[0].price?.amount !== 1575; i++) {
      await new Promise((r) => setTimeout(r, 100));
      marketplace = await call('GET', '/offers?skus=TEE-CREW-WHT-M,MUG-LOGO-WHT', 'local-marketplace');
    }

    expect(web.status).toBe(200);
    const [tee, mug, none] = web.body.items;
    expect(tee).toMatchObject({
      sku: 'TEE-CREW-WHT-M',
      sellable: true,
      product: { title: 'Crew tee, white, M', category: 'apparel.tees' },
      price: {
        amount: 1500,
        currency: 'GBP',
        ruleIds: [],
        priceId: expect.stringMatching(/^TEE-CREW-WHT-M\/web\/GBP@\d+$/),
      },
      availability: { ship: expect.any(Number), pickup: expect.any(Array) },
    });
    expect(tee.availability.ship).toBeGreaterThan(0);
    expect(tee.availability.pickup.length).toBeLessThanOrEqual(2);
    expect(mug).toMatchObject({ sku: 'MUG-LOGO-WHT', sellable: true, price: { amount: 999 } });
    expect(none).toEqual({ sku: 'NO-SUCH', sellable: false, reason: 'UNKNOWN' });
    expect(marketplace.body.items[0].price).toMatchObject({ amount: 1575, ruleIds: ['marketplace-uplift'] });
    expect(marketplace.body.items[1]).toEqual({
      sku: 'MUG-LOGO-WHT',
      sellable: false,
      reason: 'NOT_PUBLISHED',
    });
  });
});
