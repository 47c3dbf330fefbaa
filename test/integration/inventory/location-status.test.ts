import { placeHold } from '../../../shared/inventory/use-cases/holds';
import {
  endExpiredLocationStatuses,
  getAvailability,
  putLocation,
  setLocationStatus,
} from '../../../shared/inventory/use-cases/stock';
import { placeOrder } from '../../../shared/orders/use-cases/orders';
import { DomainError } from '../../../shared/platform/errors';
import { type Ports, portsWithNetwork, STORE, shipOrder, stock } from '../../support/network';

describe('location status', () => {
  let ports: Ports;
  let now: Date;
  const order = (key: string, input = shipOrder([{ sku: 'TEE', quantity: 1 }])) =>
    placeOrder(ports, { channel: 'web', scope: 'web', idempotencyKey: key, idempotencyKeyPath: 'h', input });
  const refusal = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };
  const availability = async () => (await getAvailability(ports, 'web', { skus: ['TEE'] })).items[0]!;

  beforeEach(async () => {
    now = new Date('2026-12-01T10:00:00.000Z');
    ({ ports } = await portsWithNetwork(() => now));
    await stock(ports, 'TEE', 'S1', 4);
    await stock(ports, 'TEE', 'DC1', 6);
  });

  it('takes a closed store out of ship and pickup availability at once, and gives it back when opened', async () => {
    await setLocationStatus(ports, 'S1', { state: 'disabled', reason: 'stock take' });
    const closed = await availability();
    await setLocationStatus(ports, 'S1', { state: 'enabled' });
    const open = await availability();

    expect(closed).toMatchObject({ ship: 6, pickup: [] });
    expect(open).toMatchObject({ ship: 10, pickup: [{ locationId: 'S1', available: 4 }] });
  });

  it('refuses a pickup at a closed store, saying why, and never ships from it', async () => {
    await setLocationStatus(ports, 'S1', { state: 'disabled', reason: 'store closed' });

    const pickup = await refusal(
      order('p', {
        ...shipOrder([{ sku: 'TEE', quantity: 1 }]),
        delivery: { type: 'pickup', locationId: 'S1' },
      }),
    );
    const tooMuch = await refusal(order('s', shipOrder([{ sku: 'TEE', quantity: 7 }])));
    const fits = await order('ok', shipOrder([{ sku: 'TEE', quantity: 6 }]));

    expect(pickup).toMatchObject({
      status: 422,
      code: 'LOCATION_CANNOT_FULFIL',
      details: [{ path: 'delivery.locationId' }],
    });
    expect(pickup.details[0]?.message).toContain('store closed');
    expect(tooMuch).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: [{ sku: 'TEE', requested: 7, available: 6 }],
    });
    expect(fits.statusCode).toBe(201);
  });

  it('keeps shipping from a store whose pickup alone is suspended', async () => {
    await setLocationStatus(ports, 'S1', { state: 'pickup-disabled', reason: 'no staff at the counter' });

    expect(await availability()).toMatchObject({ ship: 10, pickup: [] });
    const hold = await refusal(
      placeHold(ports, 'web', {
        lines: [{ sku: 'TEE', quantity: 1 }],
        delivery: { type: 'pickup', locationId: 'S1' },
        expiresInSeconds: 60,
      }),
    );
    expect(hold.code).toBe('LOCATION_CANNOT_FULFIL');
  });

  it('ends a status at its until-time, in the answers at once and in the record when the pass runs', async () => {
    await setLocationStatus(ports, 'S1', {
      state: 'disabled',
      reason: 'closed today',
      until: '2026-12-01T18:00:00Z',
    });
    expect((await availability()).pickup).toEqual([]);

    now = new Date('2026-12-01T18:00:01.000Z');
    const reopened = await availability();
    const ended = await endExpiredLocationStatuses(ports);

    expect(reopened.pickup).toEqual([expect.objectContaining({ locationId: 'S1', available: 4 })]);
    expect(ended).toBe(1);
    expect((await ports.inventory.getLocation('S1'))?.status).toMatchObject({ state: 'enabled' });
    expect(await endExpiredLocationStatuses(ports)).toBe(0);
  });

  it('keeps the status when the location is registered again, and refuses what makes no sense', async () => {
    await setLocationStatus(ports, 'S1', { state: 'disabled', reason: 'refit' });
    await putLocation(ports, 'S1', { ...STORE, name: 'Oxford Street (new)' });

    expect((await ports.inventory.getLocation('S1'))?.status).toMatchObject({
      state: 'disabled',
      reason: 'refit',
    });
    expect(await refusal(setLocationStatus(ports, 'NOPE', { state: 'disabled', reason: 'x' }))).toMatchObject(
      {
        code: 'UNKNOWN_LOCATION',
      },
    );
    expect(
      await refusal(
        setLocationStatus(ports, 'S1', { state: 'disabled', reason: 'x', until: '2026-12-01T09:00:00Z' }),
      ),
    ).toMatchObject({ code: 'UNTIL_IN_THE_PAST', details: [{ path: 'until' }] });
  });
});
