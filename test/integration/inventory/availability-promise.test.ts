import fc from 'fast-check';
import { publishAvailabilityChanges } from '../../../shared/inventory/use-cases/publish-availability';
import {
  getAvailability,
  putChannelRule,
  putLocation,
  setLocationStatus,
} from '../../../shared/inventory/use-cases/stock';
import { placeOrder } from '../../../shared/orders/use-cases/orders';
import { DomainError } from '../../../shared/platform/errors';
import { type Ports, portsWithNetwork, STORE, shipOrder, stock } from '../../support/network';

/**
 * The promise, as a property over random networks, stock, safety stock, channel rules and a store's
 * status (open, closed, pickup suspended): on an
 * idle system, whatever availability says a channel may get by a method (ship, or pickup at one
 * store), an order by that channel and method for that quantity succeeds, and one unit more gets 409.
 */
const fulfils = fc.constantFrom<('ship' | 'pickup')[]>(['ship'], ['pickup'], ['ship', 'pickup']);
const scenario = fc.record({
  extra: fc.array(fulfils, { minLength: 0, maxLength: 2 }),
  stock: fc.array(
    fc.record({ onHand: fc.integer({ min: 0, max: 8 }), safety: fc.integer({ min: 0, max: 2 }) }),
    {
      minLength: 4,
      maxLength: 4,
    },
  ),
  share: fc.option(fc.integer({ min: 0, max: 10 }).map((n) => n * 10)),
  protect: fc.option(fc.integer({ min: 0, max: 6 })),
  channel: fc.constantFrom('web' as const, 'store' as const),
  scopedShare: fc.boolean(),
  scopedProtect: fc.boolean(),
  /** Units the channel ordered before the read (held under its share rule). */
  prior: fc.integer({ min: 0, max: 3 }),
  storeState: fc.constantFrom('enabled' as const, 'disabled' as const, 'pickup-disabled' as const),
  method: fc.nat(),
});

async function outcome(promise: Promise<unknown>): Promise<number | string> {
  try {
    const result = (await promise) as { statusCode: number };
    return result.statusCode;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('the availability promise', () => {
  it('lets an order take exactly what availability offers, by ship and by pickup', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const { ports } = await portsWithNetwork();
        const ids = ['S1', 'DC1'];
        for (const [i, methods] of s.extra.entries()) {
          const id = `X${i}`;
          await putLocation(ports, id, { ...STORE, name: `Extra ${i}`, fulfils: methods });
          ids.push(id);
        }
        for (const [i, id] of ids.entries()) {
          const { onHand, safety } = s.stock[i] ?? { onHand: 0, safety: 0 };
          await stock(ports, 'SKU', id, onHand, safety);
        }
        if (s.share !== null) {
          await putChannelRule(ports, 'share', {
            type: 'maxShareOfAtp',
            name: 'web share',
            channel: 'web',
            percent: s.share,
            ...(s.scopedShare ? { locations: ['S1', 'DC1'] } : {}),
          });
        }
        if (s.protect !== null) {
          await putChannelRule(ports, 'keep', {
            type: 'protectUnits',
            name: 'kept for store',
            channel: 'store',
            units: s.protect,
            ...(s.scopedProtect ? { locations: ['DC1'] } : {}),
          });
        }
        if (s.storeState !== 'enabled') {
          await setLocationStatus(ports, 'S1', { state: s.storeState, reason: 'property test' });
        }
        if (s.prior > 0) {
          await outcome(
            placeOrder(ports as Ports, {
              channel: s.channel,
              scope: s.channel,
              idempotencyKey: 'prior',
              idempotencyKeyPath: 'h',
              input: shipOrder([{ sku: 'SKU', quantity: s.prior }]),
            }),
          );
        }
        // An idle system: the stream has recomputed the rules' state after the last change.
        await publishAvailabilityChanges(
          { inventory: ports.inventory, publish: async () => {}, now: ports.now },
          ['SKU'],
        );
        const [item] = (await getAvailability(ports, s.channel, { skus: ['SKU'] })).items;
        if (!item) throw new Error('no availability item');
        const targets = [
          { delivery: undefined, offered: item.ship },
          ...item.pickup.map((p) => ({
            delivery: { type: 'pickup' as const, locationId: p.locationId },
            offered: p.available,
          })),
        ];
        const target = targets[s.method % targets.length]!;
        const order = (quantity: number, key: string) =>
          placeOrder(ports as Ports, {
            channel: s.channel,
            scope: s.channel,
            idempotencyKey: key,
            idempotencyKeyPath: 'headers.Idempotency-Key',
            input: {
              ...shipOrder([{ sku: 'SKU', quantity }]),
              ...(target.delivery ? { delivery: target.delivery } : {}),
            },
          });

        expect(await outcome(order(target.offered + 1, 'one-more'))).toBe('INSUFFICIENT_STOCK');
        if (target.offered > 0) expect(await outcome(order(target.offered, 'exactly'))).toBe(201);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
