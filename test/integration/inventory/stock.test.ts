import { placeHold } from '../../../shared/inventory/use-cases/holds';
import {
  adjustInventory,
  getAvailability,
  getInventory,
  putChannelRule,
  putLocation,
  setCount,
} from '../../../shared/inventory/use-cases/stock';
import { DomainError } from '../../../shared/platform/errors';
import type { Ports } from '../../support/network';
import { portsWithNetwork, STORE, stock } from '../../support/network';

const hold = (ports: Ports, sku: string, quantity: number) =>
  placeHold(ports, 'store', {
    lines: [{ sku, quantity }],
    delivery: { type: 'pickup', locationId: 'S1' },
    expiresInSeconds: 600,
  });

describe('inventory positions', () => {
  let ports: Ports;
  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
  });

  it('keeps reservations when a count arrives', async () => {
    await stock(ports, 'TEE', 'S1', 10, 1);
    await hold(ports, 'TEE', 4);

    const counted = await setCount(ports, 'TEE', 'S1', { onHand: 7 });

    expect(counted).toMatchObject({ onHand: 7, reserved: 4, safetyStock: 1, available: 2 });
  });

  it('never shows available below zero when a count falls under what is reserved', async () => {
    await stock(ports, 'TEE', 'S1', 10);
    await hold(ports, 'TEE', 6);

    const counted = await setCount(ports, 'TEE', 'S1', { onHand: 3 });

    expect(counted).toMatchObject({ onHand: 3, reserved: 6, available: 0 });
  });

  it('rejects a count for an unknown location and writes nothing', async () => {
    const error = await setCount(ports, 'TEE', 'NOWHERE', { onHand: 3 }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({
      code: 'UNKNOWN_LOCATION',
      details: [expect.objectContaining({ path: 'locationId' })],
    });
    expect((await getInventory(ports, 'TEE')).positions).toEqual([]);
  });

  it('applies an adjustment once per source event id', async () => {
    await stock(ports, 'TEE', 'S1', 10);
    const receipt = {
      sku: 'TEE',
      locationId: 'S1',
      delta: 5,
      reason: 'receipt',
      sourceSystem: 'wms',
      sourceEventId: 'asn-1',
    };

    const first = await adjustInventory(ports, receipt);
    const again = await adjustInventory(ports, receipt);
    const reused = await adjustInventory(ports, { ...receipt, delta: 6 }).catch((e: unknown) => e);

    expect([first.statusCode, again.statusCode, again.replayed]).toEqual([201, 201, true]);
    expect(again.body).toEqual(first.body);
    expect(reused).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ onHand: 15, available: 15 });
  });

  it('scopes source event ids by source system', async () => {
    await stock(ports, 'TEE', 'S1', 10);
    const fromPos = {
      sku: 'TEE',
      locationId: 'S1',
      delta: -1,
      reason: 'sale',
      sourceSystem: 'pos',
      sourceEventId: 'e-1',
    };
    const fromWms = { ...fromPos, delta: 4, reason: 'receipt', sourceSystem: 'wms' };

    const first = await adjustInventory(ports, fromPos);
    const second = await adjustInventory(ports, fromWms);

    expect([first.replayed, second.replayed]).toEqual([false, false]);
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ onHand: 13 });
  });

  it('applies concurrent duplicates of one adjustment once', async () => {
    await stock(ports, 'TEE', 'S1', 10);
    const shrink = {
      sku: 'TEE',
      locationId: 'S1',
      delta: -2,
      reason: 'damaged',
      sourceSystem: 'pos',
      sourceEventId: 'pos-77',
    };

    await Promise.all(Array.from({ length: 8 }, () => adjustInventory(ports, shrink)));

    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ onHand: 8 });
  });

  it('refuses an adjustment that would take on hand below zero', async () => {
    await stock(ports, 'TEE', 'S1', 1);

    const error = await adjustInventory(ports, {
      sku: 'TEE',
      locationId: 'S1',
      delta: -2,
      reason: 'shrink',
      sourceSystem: 'pos',
      sourceEventId: 'x-1',
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 409, code: 'ADJUSTMENT_BELOW_ZERO', details: [{ onHand: 1 }] });
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ onHand: 1 });
  });
});

describe('getAvailability', () => {
  let ports: Ports;
  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    await stock(ports, 'TEE', 'S1', 10, 2);
    await stock(ports, 'TEE', 'DC1', 30);
  });

  it('answers what a channel may sell after safety stock, per location', async () => {
    const result = await getAvailability(ports, 'web', { skus: ['TEE', 'GHOST'] });

    expect(result).toEqual({
      channel: 'web',
      items: [
        {
          sku: 'TEE',
          available: 38,
          ship: 38,
          pickup: [{ locationId: 'S1', name: 'Oxford Street', available: 8 }],
          locations: [
            { locationId: 'DC1', available: 30 },
            { locationId: 'S1', available: 8 },
          ],
        },
        { sku: 'GHOST', available: 0, ship: 0, pickup: [], locations: [] },
      ],
    });
  });

  it('applies a channel share and units protected for another channel', async () => {
    await putChannelRule(ports, 'mkt-share', {
      type: 'maxShareOfAtp',
      name: 'Marketplace 50%',
      channel: 'marketplace',
      percent: 50,
    });
    await putChannelRule(ports, 'store-protect', {
      type: 'protectUnits',
      name: 'Keep 5 for stores',
      channel: 'store',
      units: 5,
    });

    const [marketplace, store, web] = await Promise.all(
      (['marketplace', 'store', 'web'] as const).map((c) => getAvailability(ports, c, { skus: ['TEE'] })),
    );

    expect(marketplace?.items[0]?.available).toBe(19);
    expect(store?.items[0]?.available).toBe(38);
    expect(web?.items[0]?.available).toBe(33);
    expect(web?.items[0]?.limitedBy).toEqual([expect.objectContaining({ ruleId: 'store-protect' })]);
    expect(store?.items[0]?.limitedBy).toBeUndefined();
  });

  it('narrows to one location', async () => {
    const result = await getAvailability(ports, 'app', { skus: ['TEE'], locationId: 'S1' });

    expect(result.items[0]).toMatchObject({
      sku: 'TEE',
      available: 8,
      locations: [{ locationId: 'S1', available: 8 }],
    });
  });

  it('does not count units at a pickup-only store as shippable', async () => {
    await putLocation(ports, 'P1', { ...STORE, name: 'Pickup point', fulfils: ['pickup'] });
    await stock(ports, 'BAG', 'P1', 5);

    const [item] = (await getAvailability(ports, 'web', { skus: ['BAG'] })).items;

    expect(item).toMatchObject({ ship: 0, available: 0, pickup: [{ locationId: 'P1', available: 5 }] });
  });

  it('lists pickup stores nearest first with their distance, as many as asked', async () => {
    await putLocation(ports, 'P-LEEDS', { ...STORE, name: 'Leeds', geo: { lat: 53.7997, lon: -1.5492 } });
    await putLocation(ports, 'P-BRIGHTON', {
      ...STORE,
      name: 'Brighton',
      geo: { lat: 50.8225, lon: -0.1372 },
    });
    for (const id of ['P-LEEDS', 'P-BRIGHTON']) await stock(ports, 'TEE', id, 3);

    const near = { lat: 53.4808, lon: -2.2426 }; // Manchester
    const [item] = (await getAvailability(ports, 'web', { skus: ['TEE'], near, limit: 2 })).items;

    expect(item?.pickup.map((p) => p.locationId)).toEqual(['P-LEEDS', 'S1']);
    expect(item?.pickup[0]?.distanceKm).toBeGreaterThan(50);
    expect(item?.pickup[0]?.distanceKm).toBeLessThan(60);
  });
});
