import { putProduct } from '../../../shared/catalog/use-cases/products';
import { expireHolds, placeHold, releaseHold } from '../../../shared/inventory/use-cases/holds';
import { getInventory, putLocation } from '../../../shared/inventory/use-cases/stock';
import { placeOrder } from '../../../shared/orders/use-cases/orders';
import { sellableDraft } from '../../support/catalog';
import type { Ports } from '../../support/network';
import { portsWithNetwork, STORE, shipOrder, stock } from '../../support/network';

describe('holds', () => {
  let ports: Ports;
  let now: Date;
  beforeEach(async () => {
    now = new Date('2026-11-22T10:00:00.000Z');
    ({ ports } = await portsWithNetwork(() => now));
    await stock(ports, 'TEE', 'DC1', 10);
  });

  const holdTee = (quantity: number, expiresInSeconds = 60) =>
    placeHold(ports, 'web', {
      lines: [{ sku: 'TEE', quantity }],
      delivery: {
        type: 'ship',
        address: { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' },
      },
      expiresInSeconds,
    });

  it('refuses to hold a product the channel may not sell, taking nothing', async () => {
    await putProduct(ports.products, 'TEE', sellableDraft('TEE', { channels: ['store'] }));

    await expect(holdTee(1)).rejects.toMatchObject({
      status: 422,
      code: 'PRODUCT_NOT_SELLABLE',
      details: [expect.objectContaining({ path: 'lines.0.sku', reason: 'NOT_PUBLISHED' })],
    });
    expect((await getInventory(ports, 'TEE')).positions.map((p) => p.reserved)).toEqual([0]);
  });

  it('gives concurrent repeats of one hold request, racing for the last units, the first answer', async () => {
    await stock(ports, 'LAST', 'DC1', 1);
    const request = {
      lines: [{ sku: 'LAST', quantity: 1 }],
      delivery: { type: 'pickup' as const, locationId: 'S1' },
      expiresInSeconds: 60,
    };
    await stock(ports, 'LAST', 'S1', 1);

    const answers = await Promise.all(
      Array.from({ length: 6 }, () => placeHold(ports, 'web', request, 'cart-7')),
    );

    const ids = new Set(answers.map((a) => (a.body as { holdId: string }).holdId));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    const s1 = (await getInventory(ports, 'LAST')).positions.find((p) => p.locationId === 'S1');
    expect(s1).toMatchObject({ reserved: 1, available: 0 });
  });

  it('answers a repeat that read the key before its first request committed with the first hold, not 409', async () => {
    await stock(ports, 'LAST', 'S1', 1);
    const request = {
      lines: [{ sku: 'LAST', quantity: 1 }],
      delivery: { type: 'pickup' as const, locationId: 'S1' },
      expiresInSeconds: 60,
    };
    const first = await placeHold(ports, 'web', request, 'cart-8');
    // The repeat's first look at its key happened before the first request committed.
    let looks = 0;
    const lateKeys = {
      get: (scope: string, key: string) =>
        looks++ === 0 ? Promise.resolve(undefined) : ports.holdKeys.get(scope, key),
      rememberOp: ports.holdKeys.rememberOp.bind(ports.holdKeys),
    };

    const repeat = await placeHold({ ...ports, holdKeys: lateKeys }, 'web', request, 'cart-8');

    expect(repeat).toEqual({ ...first, replayed: true });
  });

  it('gives an expired hold its units back through the sweeper', async () => {
    await holdTee(4, 60);
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 4, available: 6 });

    now = new Date(now.getTime() + 61_000);
    const released = await expireHolds(ports);

    expect(released).toBe(1);
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 0, available: 10 });
    expect(await expireHolds(ports)).toBe(0);
  });

  it('leaves a hold alone until its time is up', async () => {
    await holdTee(4, 60);

    now = new Date(now.getTime() + 59_000);

    expect(await expireHolds(ports)).toBe(0);
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 4 });
  });

  it('releases a hold once, however often it is deleted', async () => {
    const { body } = await holdTee(3);
    const { holdId } = body as { holdId: string };

    await Promise.all([1, 2, 3].map(() => releaseHold(ports, 'web', holdId, 'RELEASED')));

    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 0, available: 10 });
  });

  it('hides a hold from other channels', async () => {
    const { body } = await holdTee(1);

    const error = await releaseHold(ports, 'app', (body as { holdId: string }).holdId, 'RELEASED').catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ status: 404 });
  });

  it('turns a hold into an order without taking the units twice', async () => {
    const { body } = await holdTee(2);
    const { holdId } = body as { holdId: string };

    const order = await placeOrder(ports, {
      channel: 'web',
      scope: 'web',
      idempotencyKey: 'o-1',
      idempotencyKeyPath: 'headers.Idempotency-Key',
      input: shipOrder([{ sku: 'TEE', quantity: 2 }], { holdId }),
    });
    now = new Date(now.getTime() + 3_600_000);
    await expireHolds(ports);

    expect(order.statusCode).toBe(201);
    expect((await getInventory(ports, 'TEE')).positions[0]).toMatchObject({ reserved: 2, available: 8 });
  });

  it('refuses an order that claims an expired hold', async () => {
    const { body } = await holdTee(2, 10);
    now = new Date(now.getTime() + 11_000);

    const error = await placeOrder(ports, {
      channel: 'web',
      scope: 'web',
      idempotencyKey: 'o-2',
      idempotencyKeyPath: 'headers.Idempotency-Key',
      input: shipOrder([{ sku: 'TEE', quantity: 2 }], {
        holdId: (body as { holdId: string }).holdId,
      }),
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 409, code: 'HOLD_NOT_ACTIVE' });
  });

  it('refuses a hold that would need more than one transaction, naming the field', async () => {
    await putLocation(ports, 'S2', { ...STORE, name: 'Second store' });
    const skus = Array.from({ length: 40 }, (_, i) => `SPLIT-${i}`);
    for (const sku of skus) {
      for (const location of ['S1', 'S2', 'DC1']) await stock(ports, sku, location, 1);
    }

    const error = await placeHold(ports, 'web', {
      lines: skus.map((sku) => ({ sku, quantity: 3 })),
      delivery: {
        type: 'ship',
        address: { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' },
      },
      expiresInSeconds: 60,
    }).catch((e: unknown) => e);

    expect(error).toMatchObject({
      status: 422,
      code: 'HOLD_TOO_LARGE',
      details: [expect.objectContaining({ path: 'lines' })],
    });
    expect((await getInventory(ports, 'SPLIT-0')).positions.every((p) => p.reserved === 0)).toBe(true);
  });
});
