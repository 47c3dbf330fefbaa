import { placeHold, releaseHold } from '../../../shared/inventory/use-cases/holds';
import { publishAvailabilityChanges } from '../../../shared/inventory/use-cases/publish-availability';
import {
  adjustInventory,
  getAvailability,
  putChannelRule,
  putLocation,
  setCount,
  setLocationStatus,
} from '../../../shared/inventory/use-cases/stock';
import { cancelOrder, placeOrder } from '../../../shared/orders/use-cases/orders';
import { DomainError } from '../../../shared/platform/errors';
import type { Channel, Principal } from '../../../shared/platform/principals';
import { type Ports, portsWithNetwork, STORE, shipOrder, stock } from '../../support/network';

/**
 * Channel allocation rules hold exactly under concurrency: they are settled in the reservation's
 * transaction (the SKU's allocation item), not checked from a read before it.
 */
describe('exact channel allocations', () => {
  let ports: Ports;
  let n = 0;
  const order = (channel: Channel, quantity = 1, sku = 'TEE') =>
    placeOrder(ports, {
      channel,
      scope: channel,
      idempotencyKey: `k-${n++}`,
      idempotencyKeyPath: 'h',
      input: shipOrder([{ sku, quantity }]),
    });
  const outcome = (promise: Promise<{ statusCode: number }>) =>
    promise.then(
      (r) => String(r.statusCode),
      (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
    );
  const count = (outcomes: string[]) => {
    const counted: Record<string, number> = {};
    for (const o of outcomes) counted[o] = (counted[o] ?? 0) + 1;
    return counted;
  };
  const reserved = async (sku = 'TEE') =>
    (await ports.inventory.getPositions(sku)).reduce((s, p) => s + p.reserved, 0);
  const availability = async (channel: Principal, sku = 'TEE') =>
    (await getAvailability(ports, channel, { skus: [sku] })).items[0]!;
  /** What the stream does after every change: recompute the rules' state from the positions. */
  const settle = (...skus: string[]) =>
    publishAvailabilityChanges({ inventory: ports.inventory, publish: async () => {}, now: ports.now }, skus);

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
  });

  it('lets exactly 10 of 50 concurrent web orders through "web at most 10% of 100 units"', async () => {
    await stock(ports, 'TEE', 'DC1', 100);
    await putChannelRule(ports, 'web-10', {
      type: 'maxShareOfAtp',
      name: 'web 10%',
      channel: 'web',
      percent: 10,
    });

    const outcomes = await Promise.all(Array.from({ length: 50 }, () => outcome(order('web'))));

    expect(count(outcomes)).toEqual({ '201': 10, INSUFFICIENT_STOCK: 40 });
    expect(await reserved()).toBe(10);
    await settle('TEE');
    const web = await availability('web');
    expect(web.ship).toBe(0);
    expect(web.limitedBy?.[0]).toMatchObject({ ruleId: 'web-10' });
    expect(web.limitedBy?.[0]?.effect).toContain('10 already held by web');
    expect((await availability('store')).ship).toBe(90);
  });

  it('never lets 50 concurrent web orders take the 3 units protected for stores; a store order can', async () => {
    await stock(ports, 'TEE', 'DC1', 20);
    await putChannelRule(ports, 'keep-3', {
      type: 'protectUnits',
      name: 'keep 3',
      channel: 'store',
      units: 3,
    });

    const outcomes = await Promise.all(Array.from({ length: 50 }, () => outcome(order('web'))));

    expect(count(outcomes)).toEqual({ '201': 17, INSUFFICIENT_STOCK: 33 });
    expect(await reserved()).toBe(17);
    const web = await availability('web');
    expect(web).toMatchObject({ ship: 0, limitedBy: [{ ruleId: 'keep-3' }] });
    expect(await outcome(order('store', 3))).toBe('201');
  });

  it('holds both kinds of rule exactly when many channels order at once', async () => {
    await stock(ports, 'TEE', 'DC1', 60);
    await putChannelRule(ports, 'web-25', {
      type: 'maxShareOfAtp',
      name: 'web 25%',
      channel: 'web',
      percent: 25,
    });
    await putChannelRule(ports, 'keep-10', {
      type: 'protectUnits',
      name: 'keep 10',
      channel: 'store',
      units: 10,
    });
    const channels: Channel[] = ['web', 'app', 'marketplace', 'callcenter'];

    const placed = await Promise.all(
      Array.from({ length: 80 }, (_, i) => {
        const channel = channels[i % channels.length] as Channel;
        return outcome(order(channel)).then((o) => ({ channel, o }));
      }),
    );

    const won = (c: Channel) => placed.filter((p) => p.channel === c && p.o === '201').length;
    expect(won('web')).toBeLessThanOrEqual(15);
    // Sixty orders of the other channels alone ask for more than the 50 unprotected units.
    expect(channels.reduce((s, c) => s + won(c), 0)).toBe(50);
    expect(placed.every((p) => p.o === '201' || p.o === 'INSUFFICIENT_STOCK')).toBe(true);
    const positions = await ports.inventory.getPositions('TEE');
    expect(positions[0]?.available).toBeGreaterThanOrEqual(10);
  });

  it('gives a share back when its order is cancelled, once the state is recomputed', async () => {
    await stock(ports, 'TEE', 'DC1', 100);
    await putChannelRule(ports, 'web-10', {
      type: 'maxShareOfAtp',
      name: 'web 10%',
      channel: 'web',
      percent: 10,
    });
    const first = await order('web', 10);
    expect(await outcome(order('web'))).toBe('INSUFFICIENT_STOCK');

    await cancelOrder(ports, 'web', String((first.body as { orderId: string }).orderId));
    await settle('TEE');

    expect((await availability('web')).ship).toBe(10);
    expect(await outcome(order('web', 10))).toBe('201');
    expect(await outcome(order('web'))).toBe('INSUFFICIENT_STOCK');
  });

  it('counts holds in the share and gives their units back on release', async () => {
    await stock(ports, 'TEE', 'DC1', 50);
    await putChannelRule(ports, 'web-10', {
      type: 'maxShareOfAtp',
      name: 'web 10%',
      channel: 'web',
      percent: 10,
    });
    const hold = await placeHold(ports, 'web', {
      lines: [{ sku: 'TEE', quantity: 5 }],
      delivery: shipOrder([]).delivery,
      expiresInSeconds: 60,
    });
    expect(await outcome(order('web'))).toBe('INSUFFICIENT_STOCK');

    await releaseHold(ports, 'web', String((hold.body as { holdId: string }).holdId), 'RELEASED');
    await settle('TEE');

    expect((await availability('web')).ship).toBe(5);
  });

  it('applies a rule change to the next order without waiting for the stream', async () => {
    await stock(ports, 'TEE', 'DC1', 100);
    await putChannelRule(ports, 'web-share', {
      type: 'maxShareOfAtp',
      name: 'web',
      channel: 'web',
      percent: 5,
    });
    await order('web', 5);
    expect(await outcome(order('web'))).toBe('INSUFFICIENT_STOCK');

    await putChannelRule(ports, 'web-share', {
      type: 'maxShareOfAtp',
      name: 'web',
      channel: 'web',
      percent: 20,
    });

    // 20% of the 95 left plus the 5 already held is 20: 15 more.
    expect(await outcome(order('web', 15))).toBe('201');
    expect(await outcome(order('web'))).toBe('INSUFFICIENT_STOCK');
  });

  it('lowers what a protection allows at once when a count or an adjustment takes stock away', async () => {
    await stock(ports, 'TEE', 'DC1', 20);
    await putChannelRule(ports, 'keep-3', {
      type: 'protectUnits',
      name: 'keep 3',
      channel: 'store',
      units: 3,
    });
    await order('web', 1);
    await setCount(ports, 'TEE', 'DC1', { onHand: 9 });
    await adjustInventory(ports, {
      sku: 'TEE',
      locationId: 'DC1',
      delta: -2,
      reason: 'damaged',
      sourceSystem: 'wms',
      sourceEventId: 'e1',
    });

    // 9 on hand − 2 damaged − 1 reserved = 6 sellable, of which 3 are kept for stores.
    const state = (await ports.inventory.getAllocations(['TEE'])).get('TEE');
    expect(state?.atp['keep-3']).toBeLessThanOrEqual(6);
    expect(await outcome(order('web', 4))).toBe('INSUFFICIENT_STOCK');
    expect(await outcome(order('web', 3))).toBe('201');
  });

  it('takes a closed store’s units out of what a protection counts before the next order', async () => {
    await stock(ports, 'TEE', 'DC1', 10);
    await stock(ports, 'TEE', 'S1', 5);
    await putChannelRule(ports, 'keep-5', {
      type: 'protectUnits',
      name: 'keep 5',
      channel: 'store',
      units: 5,
    });
    await order('web', 1); // the rules' state is recorded with both locations open
    await settle('TEE');

    await setLocationStatus(ports, 'S1', { state: 'disabled', reason: 'flood' });

    // 9 units left at the DC, 5 of them kept for stores: web may take 4, not 9.
    expect((await availability('web')).ship).toBe(4);
    expect(await outcome(order('web', 5))).toBe('INSUFFICIENT_STOCK');
    expect(await outcome(order('web', 4))).toBe('201');
  });

  it('takes orders for a SKU whose first stock fall came before its rules’ state was recorded', async () => {
    await stock(ports, 'TEE', 'DC1', 10);
    await putChannelRule(ports, 'keep-3', {
      type: 'protectUnits',
      name: 'keep 3',
      channel: 'store',
      units: 3,
    });
    await adjustInventory(ports, {
      sku: 'TEE',
      locationId: 'DC1',
      delta: -1,
      reason: 'damaged',
      sourceSystem: 'wms',
      sourceEventId: 'fall-1',
    });

    expect(await outcome(order('web', 6))).toBe('201');
    expect(await outcome(order('web', 1))).toBe('INSUFFICIENT_STOCK');
    await settle('TEE');
    expect((await ports.inventory.getAllocations(['TEE'])).get('TEE')).toMatchObject({
      atp: { 'keep-3': 3 },
    });
  });

  it('never records the rules’ state for an older rule book over a newer one', async () => {
    await stock(ports, 'TEE', 'DC1', 10);
    const state = { ruleSet: 'x', atp: {}, room: {}, held: { 'r:web': 4 } };
    expect(await ports.inventory.putAllocation('TEE', { ...state, rulesVersion: 2 }, 0, ports.now())).toBe(
      true,
    );

    const older = await ports.inventory.putAllocation(
      'TEE',
      { ...state, held: {}, rulesVersion: 1 },
      1,
      ports.now(),
    );

    expect(older).toBe(false);
    expect((await ports.inventory.getAllocations(['TEE'])).get('TEE')).toMatchObject({
      rulesVersion: 2,
      held: { 'r:web': 4 },
    });
  });

  describe('rules scoped to locations', () => {
    beforeEach(async () => {
      await putLocation(ports, 'S2', { ...STORE, name: 'Regent Street' });
      await stock(ports, 'TEE', 'S1', 5);
      await stock(ports, 'TEE', 'S2', 5);
      await stock(ports, 'TEE', 'DC1', 10);
    });

    it('keeps units at one store for store sales, and ships the rest', async () => {
      await putChannelRule(ports, 's1-keep', {
        type: 'protectUnits',
        name: 'S1 keeps 4 for its tills',
        channel: 'store',
        units: 4,
        locations: ['S1'],
      });

      const web = await availability('web');
      expect(web.ship).toBe(16);
      expect(web.pickup).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ locationId: 'S1', available: 1 }),
          expect.objectContaining({ locationId: 'S2', available: 5 }),
        ]),
      );
      expect(web.limitedBy?.[0]?.effect).toBe('4 units protected for store at S1: 5 → 1');

      const outcomes = await Promise.all(Array.from({ length: 30 }, () => outcome(order('web'))));
      expect(count(outcomes)).toEqual({ '201': 16, INSUFFICIENT_STOCK: 14 });
      const s1 = (await ports.inventory.getPositions('TEE')).find((p) => p.locationId === 'S1');
      expect(s1?.available).toBe(4);
    });

    it('caps a channel at a share of some locations only', async () => {
      await putChannelRule(ports, 'mp-stores', {
        type: 'maxShareOfAtp',
        name: 'marketplace half of store stock',
        channel: 'marketplace',
        percent: 50,
        locations: ['S1', 'S2'],
      });

      expect((await availability('marketplace')).ship).toBe(15);
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => outcome(order('marketplace'))));
      expect(count(outcomes)).toEqual({ '201': 15, INSUFFICIENT_STOCK: 5 });
      const atStores = (await ports.inventory.getPositions('TEE'))
        .filter((p) => p.locationId !== 'DC1')
        .reduce((s, p) => s + p.reserved, 0);
      expect(atStores).toBe(5);
    });

    it('refuses scopes that partly overlap and locations that do not exist', async () => {
      await putChannelRule(ports, 'a', {
        type: 'protectUnits',
        name: 'a',
        channel: 'store',
        units: 1,
        locations: ['S1', 'S2'],
      });
      await putChannelRule(ports, 'inner', {
        type: 'protectUnits',
        name: 'b',
        channel: 'store',
        units: 1,
        locations: ['S1'],
      });
      const refused = (input: Parameters<typeof putChannelRule>[2]) =>
        putChannelRule(ports, 'c', input).then(
          () => undefined,
          (e: DomainError) => ({ status: e.status, code: e.code, path: e.details[0]?.path }),
        );

      expect(
        await refused({
          type: 'protectUnits',
          name: 'c',
          channel: 'store',
          units: 1,
          locations: ['S2', 'DC1'],
        }),
      ).toEqual({ status: 409, code: 'RULE_SCOPE_OVERLAP', path: 'locations' });
      expect(
        await refused({
          type: 'protectUnits',
          name: 'c',
          channel: 'store',
          units: 1,
          locations: ['S1', 'NOPE'],
        }),
      ).toEqual({ status: 422, code: 'UNKNOWN_LOCATION', path: 'locations.1' });
    });
  });
});
