import { adjustInventory, getStockHistory, setCount } from '../../../shared/inventory/use-cases/stock';
import { placeOrder } from '../../../shared/orders/use-cases/orders';
import type { DomainError } from '../../../shared/platform/errors';
import { ensureProducts } from '../../support/catalog';
import { type Ports, portsWithNetwork, shipOrder } from '../../support/network';

/** Counts and movements apply as of the source system's time, whatever order they arrive in. */
describe('counts that never lose a sale', () => {
  let ports: Ports;
  // A day ago, on the minute: source times may not be ahead of this system's clock.
  const T = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 86_400_000).toISOString();
  const at = (minutes: number) => new Date(Date.parse(T) + minutes * 60_000).toISOString();
  const count = (onHand: number, countedAt: string, id: string) =>
    setCount(ports, 'TEE', 'S1', { onHand, countedAt, sourceSystem: 'pos-12', sourceEventId: id });
  const sale = (occurredAt: string, id: string, delta = -1) =>
    adjustInventory(ports, {
      sku: 'TEE',
      locationId: 'S1',
      delta,
      reason: 'sale',
      sourceSystem: 'pos-12',
      sourceEventId: id,
      occurredAt,
    });
  const position = async () => (await ports.inventory.getPosition('TEE', 'S1'))!;

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    await ensureProducts(ports.products, ['TEE'], ports.prices);
    await count(20, at(-60), 'opening');
  });

  it('keeps a sale that happened after a count that arrives later: 10 counted, then −1, is 9', async () => {
    const applied = await sale(at(1), 'sale-1');
    const counted = await count(10, at(0), 'count-1');

    expect(applied.body).toMatchObject({ applied: true, status: 'APPLIED' });
    expect(counted).toMatchObject({ applied: true, laterMovements: -1, onHand: 9 });
    expect(await position()).toMatchObject({ onHand: 9, lastCountAt: at(0) });
  });

  it('ignores a count older than the last applied one, says so, and the history shows both', async () => {
    await count(10, at(0), 'count-new');

    const old = await count(15, at(-5), 'count-old');

    expect(old).toMatchObject({
      applied: false,
      reason: 'OLDER_THAN_LAST_COUNT',
      countedAt: at(-5),
      lastCountAt: at(0),
      onHand: 10,
    });
    expect((await position()).onHand).toBe(10);
    const history = (await getStockHistory(ports, 'TEE', 'S1')).items;
    expect(history.map((h) => [h.kind, h.occurredAt, h.applied, h.reason ?? null])).toEqual([
      ['count', at(0), true, null],
      ['count', at(-5), false, 'OLDER_THAN_LAST_COUNT'],
      ['count', at(-60), true, null],
    ]);
  });

  it('ignores a movement from before the last count, which already includes it', async () => {
    await count(10, at(0), 'count-1');

    const late = await sale(at(-1), 'sale-late');

    expect(late.statusCode).toBe(200);
    expect(late.body).toMatchObject({ applied: false, status: 'IGNORED', reason: 'BEFORE_LAST_COUNT' });
    expect((await position()).onHand).toBe(10);
    expect((await sale(at(-1), 'sale-late')).replayed).toBe(true);
  });

  it('never loses a reservation: a count moves on hand around what is reserved', async () => {
    await placeOrder(ports, {
      channel: 'web',
      scope: 'web',
      idempotencyKey: 'k',
      idempotencyKeyPath: 'h',
      input: { ...shipOrder([{ sku: 'TEE', quantity: 3 }]), delivery: { type: 'pickup', locationId: 'S1' } },
    });

    await count(10, at(0), 'count-1');

    expect(await position()).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
  });

  it('ends where the shop floor is whatever order a count and five sales after it arrive in', async () => {
    await Promise.all([
      count(10, at(0), 'count-1'),
      ...[1, 2, 3, 4, 5].map((m) => sale(at(m), `sale-${m}`)),
      sale(at(-2), 'sale-before'),
    ]);

    expect((await position()).onHand).toBe(5);
    const history = (await getStockHistory(ports, 'TEE', 'S1')).items;
    expect(history.filter((h) => h.kind === 'adjustment' && h.applied)).toHaveLength(
      history.find((h) => h.sourceEventId === 'sale-before')?.applied ? 6 : 5,
    );
  });

  it('answers a repeated count with its first answer and refuses another count under the same id', async () => {
    const first = await count(10, at(0), 'count-1');
    await sale(at(1), 'sale-1');

    const again = await count(10, at(0), 'count-1');
    const other = await count(11, at(0), 'count-1').catch((e: DomainError) => e);

    expect(again).toEqual(first);
    expect(other).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await position()).onHand).toBe(9);
  });

  it('refuses a movement dated ahead of this system’s clock, and writes nothing', async () => {
    const ahead = new Date(Date.now() + 3_600_000).toISOString();

    const refused = await sale(ahead, 'sale-ahead').catch((e: DomainError) => e);

    expect(refused).toMatchObject({
      status: 422,
      code: 'SOURCE_TIME_IN_FUTURE',
      details: [{ path: 'occurredAt' }],
    });
    expect((await position()).onHand).toBe(20);
    expect(await ports.inventory.getAdjustment('pos-12', 'sale-ahead')).toBeUndefined();
  });

  it('takes a count without a source as of when it is received', async () => {
    await sale(at(1), 'sale-1');

    const counted = await setCount(ports, 'TEE', 'S1', { onHand: 4 });

    expect(counted).toMatchObject({ applied: true, onHand: 4 });
  });
});
