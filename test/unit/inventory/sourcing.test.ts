import fc from 'fast-check';
import {
  MAX_DECISION_CANDIDATES,
  type SourcingInput,
  type SourcingResult,
  sourceOrder,
} from '../../../shared/inventory/domain/sourcing';
import type { Location, Position } from '../../../shared/inventory/domain/stock';
import type { Delivery, LineInput } from '../../../shared/inventory/schemas';
import { CITY, location, pickupAt, position, shipTo, sourcingInput } from '../../fixtures/domain/network';

function placed(result: SourcingResult) {
  if (!result.ok) throw new Error(`expected a placement, got short ${JSON.stringify(result.short)}`);
  return result;
}

function short(result: SourcingResult) {
  if (result.ok) throw new Error(`expected a shortage, got ${JSON.stringify(result.lines)}`);
  return result.short;
}

const usedLocations = (result: SourcingResult) =>
  [...new Set(placed(result).lines.flatMap((l) => l.allocations.map((a) => a.locationId)))].sort();

describe('sourceOrder', () => {
  describe('the decision record', () => {
    it('lists at most MAX_DECISION_CANDIDATES candidates, the chosen among them, and counts the rest', () => {
      const ids = Array.from({ length: 5_000 }, (_, i) => `L${String(i).padStart(4, '0')}`);
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 3 }],
        delivery: shipTo(),
        locations: ids.map((id, i) => location(id, { priority: 5_000 - i })),
        stock: { A: Object.fromEntries(ids.map((id) => [id, 1])) },
      });

      const { decision } = placed(sourceOrder(input));

      expect(decision.candidates).toHaveLength(MAX_DECISION_CANDIDATES);
      expect(decision.candidatesOmitted).toBe(5_000 - MAX_DECISION_CANDIDATES);
      for (const chosen of decision.chosen) {
        expect(decision.candidates.map((c) => c.locationId)).toContain(chosen.locationId);
      }
      expect(JSON.stringify(decision).length).toBeLessThan(8_000);
    });
  });

  describe('shipping', () => {
    it('ships from the one location that holds every line, even over a better-priority partial one', () => {
      const input = sourcingInput({
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        delivery: shipTo(),
        locations: [
          location('DC1', { priority: 10 }),
          location('DC2', { priority: 20 }),
          location('S1', { type: 'store', priority: 1, fulfils: ['ship', 'pickup'] }),
        ],
        stock: { A: { DC1: 5, DC2: 10, S1: 5 }, B: { DC1: 5 } },
      });

      const result = placed(sourceOrder(input));

      expect(result.lines).toEqual([
        { sku: 'A', quantity: 2, allocations: [{ locationId: 'DC1', quantity: 2 }] },
        { sku: 'B', quantity: 1, allocations: [{ locationId: 'DC1', quantity: 1 }] },
      ]);
      expect(result.decision.rule).toBe('fewest-locations-then-priority');
      expect(result.decision.chosen).toEqual([
        {
          locationId: 'DC1',
          reason: 'holds every line; preferred by priority among the locations that do',
          lines: [
            { sku: 'A', quantity: 2 },
            { sku: 'B', quantity: 1 },
          ],
        },
      ]);
      expect(result.decision.summary).toContain('Shipped from Location DC1 (DC1) alone: 1 of 3 candidate');
    });

    it('prefers the lower priority number among locations that each hold the whole order', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 3 }],
        delivery: shipTo(),
        locations: [location('DC-A', { priority: 20 }), location('DC-B', { priority: 5 })],
        stock: { A: { 'DC-A': 10, 'DC-B': 10 } },
      });

      const result = sourceOrder(input);

      expect(usedLocations(result)).toEqual(['DC-B']);
      expect(placed(result).decision.candidates.map((c) => [c.locationId, c.priority])).toEqual([
        ['DC-B', 5],
        ['DC-A', 20],
      ]);
    });

    it('breaks a priority tie by distance to the address when the address has coordinates', () => {
      const locations = [
        location('A-LON', { geo: CITY.london, priority: 10 }),
        location('B-MAN', { geo: CITY.manchester, priority: 10 }),
      ];
      const stock = { A: { 'A-LON': 10, 'B-MAN': 10 } };
      const lines = [{ sku: 'A', quantity: 1 }];

      const toLeeds = sourceOrder(sourcingInput({ lines, delivery: shipTo('leeds'), locations, stock }));
      const toBristol = sourceOrder(sourcingInput({ lines, delivery: shipTo('bristol'), locations, stock }));

      expect(usedLocations(toLeeds)).toEqual(['B-MAN']);
      expect(usedLocations(toBristol)).toEqual(['A-LON']);
      const distances = placed(toLeeds).decision.candidates.map((c) => [c.locationId, c.distanceKm]);
      expect(distances[0]?.[0]).toBe('B-MAN');
      expect(distances[0]?.[1]).toBeGreaterThan(50);
      expect(distances[0]?.[1]).toBeLessThan(70);
      expect(distances[1]?.[1]).toBeGreaterThan(250);
    });

    it('lets priority win over distance', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 1 }],
        delivery: shipTo('leeds'),
        locations: [
          location('A-LON', { geo: CITY.london, priority: 10 }),
          location('B-MAN', { geo: CITY.manchester, priority: 20 }),
        ],
        stock: { A: { 'A-LON': 10, 'B-MAN': 10 } },
      });

      expect(usedLocations(sourceOrder(input))).toEqual(['A-LON']);
    });

    it('breaks a tie of priority by location id when the address has no coordinates', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 1 }],
        delivery: shipTo(),
        locations: [
          location('B-MAN', { geo: CITY.manchester, priority: 10 }),
          location('A-LON', { geo: CITY.london, priority: 10 }),
        ],
        stock: { A: { 'B-MAN': 10, 'A-LON': 10 } },
      });

      const result = placed(sourceOrder(input));

      expect(usedLocations(result)).toEqual(['A-LON']);
      expect(result.decision.candidates.every((c) => c.distanceKm === undefined)).toBe(true);
    });

    it('splits across locations when none holds every line, taking the one covering most units first', () => {
      const input = sourcingInput({
        lines: [
          { sku: 'A', quantity: 10 },
          { sku: 'B', quantity: 3 },
        ],
        delivery: shipTo(),
        locations: [location('DC1', { priority: 1 }), location('DC2', { priority: 50 })],
        stock: { A: { DC1: 6, DC2: 4 }, B: { DC2: 3 } },
      });

      const result = placed(sourceOrder(input));

      expect(result.lines).toEqual([
        {
          sku: 'A',
          quantity: 10,
          allocations: [
            { locationId: 'DC2', quantity: 4 },
            { locationId: 'DC1', quantity: 6 },
          ],
        },
        { sku: 'B', quantity: 3, allocations: [{ locationId: 'DC2', quantity: 3 }] },
      ]);
      expect(result.decision.chosen.map((c) => [c.locationId, c.reason])).toEqual([
        ['DC2', 'covers the most remaining units; preferred by priority on a tie'],
        ['DC1', 'holds the rest of the order'],
      ]);
      expect(result.decision.summary).toMatch(/^Split across 2 locations \(DC2, DC1\)/);
    });

    it('never ships from a location that does not ship, however well placed it is', () => {
      const input = sourcingInput({
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 2 },
        ],
        delivery: shipTo('london'),
        locations: [
          location('S-PICKUP', { type: 'store', priority: 1, fulfils: ['pickup'], geo: CITY.london }),
          location('DC1', { priority: 100, geo: CITY.manchester }),
        ],
        stock: { A: { 'S-PICKUP': 10, DC1: 10 }, B: { 'S-PICKUP': 10, DC1: 10 } },
      });

      const result = placed(sourceOrder(input));

      expect(usedLocations(result)).toEqual(['DC1']);
      expect(result.decision.candidates.map((c) => c.locationId)).toEqual(['DC1']);
    });

    it('reports a shortage when only locations that do not ship hold the stock', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 2 }],
        delivery: shipTo(),
        locations: [location('S-PICKUP', { type: 'store', fulfils: ['pickup'] }), location('DC1')],
        stock: { A: { 'S-PICKUP': 10, DC1: 1 } },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 2, available: 1 }]);
    });

    it('reports what the whole network could ship of each short SKU, and only the short ones', () => {
      const input = sourcingInput({
        lines: [
          { sku: 'A', quantity: 6 },
          { sku: 'B', quantity: 1 },
        ],
        delivery: shipTo(),
        locations: [location('DC1'), location('DC2')],
        stock: { A: { DC1: 3, DC2: 2 }, B: { DC1: 5 } },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 6, available: 5 }]);
    });

    it('counts a position with negative available as holding nothing', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 4 }],
        delivery: shipTo(),
        locations: [location('DC1'), location('DC2')],
        stock: { A: { DC1: -5, DC2: 3 } },
        limits: { A: 100 },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 4, available: 3 }]);
    });
  });

  describe('channel limit', () => {
    it('reports the channel limit as available when it is lower than the stock', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 5 }],
        delivery: shipTo(),
        locations: [location('DC1')],
        stock: { A: { DC1: 10 } },
        limits: { A: 3 },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 5, available: 3 }]);
    });

    it('places an order that fits within the channel limit', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 3 }],
        delivery: shipTo(),
        locations: [location('DC1')],
        stock: { A: { DC1: 10 } },
        limits: { A: 3 },
      });

      expect(placed(sourceOrder(input)).lines[0]?.allocations).toEqual([{ locationId: 'DC1', quantity: 3 }]);
    });

    it('caps a pickup by the channel limit too', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 5 }],
        delivery: pickupAt('S1'),
        locations: [location('S1', { type: 'store', fulfils: ['pickup'] })],
        stock: { A: { S1: 10 } },
        limits: { A: 2 },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 5, available: 2, locationId: 'S1' }]);
    });

    it('treats a SKU without a channel limit as one the channel may not sell', () => {
      const input: SourcingInput = {
        ...sourcingInput({
          lines: [{ sku: 'A', quantity: 1 }],
          delivery: shipTo(),
          locations: [location('DC1')],
          stock: { A: { DC1: 10 } },
        }),
        channelLimit: new Map(),
      };

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 1, available: 0 }]);
    });
  });

  describe('pickup', () => {
    const locations = [
      location('S1', { type: 'store', name: 'Leeds Briggate', fulfils: ['ship', 'pickup'], priority: 200 }),
      location('DC1', { priority: 1 }),
    ];

    it('reserves only at the pickup store, even when a better-priority location holds more', () => {
      const input = sourcingInput({
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        delivery: pickupAt('S1'),
        locations,
        stock: { A: { S1: 3, DC1: 100 }, B: { S1: 1, DC1: 100 } },
      });

      const result = placed(sourceOrder(input));

      expect(result.lines).toEqual([
        { sku: 'A', quantity: 2, allocations: [{ locationId: 'S1', quantity: 2 }] },
        { sku: 'B', quantity: 1, allocations: [{ locationId: 'S1', quantity: 1 }] },
      ]);
      expect(result.decision.rule).toBe('pickup-at-store');
      expect(result.decision.chosen).toEqual([
        {
          locationId: 'S1',
          reason: 'pickup store chosen by the customer',
          lines: [
            { sku: 'A', quantity: 2 },
            { sku: 'B', quantity: 1 },
          ],
        },
      ]);
      expect(result.decision.summary).toContain('Leeds Briggate (S1)');
    });

    it('is short, naming the store, when the store lacks a line the rest of the network holds', () => {
      const input = sourcingInput({
        lines: [
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
        delivery: pickupAt('S1'),
        locations,
        stock: { A: { S1: 1, DC1: 100 }, B: { S1: 1, DC1: 100 } },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 2, available: 1, locationId: 'S1' }]);
    });

    it('is short with nothing available when the store has no position for the SKU', () => {
      const input = sourcingInput({
        lines: [{ sku: 'A', quantity: 1 }],
        delivery: pickupAt('S1'),
        locations,
        stock: { A: { DC1: 100 } },
      });

      expect(short(sourceOrder(input))).toEqual([{ sku: 'A', requested: 1, available: 0, locationId: 'S1' }]);
    });
  });

  describe('properties', () => {
    const SKUS = ['A', 'B', 'C', 'D'];
    // Most random orders are short somewhere; enough runs that placed and split orders are common too.
    const RUNS = { numRuns: 500 };

    interface Scenario {
      input: SourcingInput;
      /** Locations listed in another order, positions too: the same network, written differently. */
      reordered: SourcingInput;
    }

    const locationSpec = fc.record({
      priority: fc.integer({ min: 1, max: 3 }),
      fulfils: fc.constantFrom<Location['fulfils']>(
        ['ship'],
        ['pickup'],
        ['ship', 'pickup'],
        ['pickup', 'ship'],
      ),
      lat: fc.double({ min: 49.9, max: 58.6, noNaN: true }),
      lon: fc.double({ min: -6, max: 1.7, noNaN: true }),
    });

    const scenario: fc.Arbitrary<Scenario> = fc
      .array(locationSpec, { minLength: 1, maxLength: 6 })
      .chain((specs) => {
        const locations = specs.map((s, i) =>
          location(`L${i}`, { priority: s.priority, fulfils: s.fulfils, geo: { lat: s.lat, lon: s.lon } }),
        );
        const stock = fc.tuple(
          ...SKUS.map(() =>
            fc.tuple(
              ...locations.map(() =>
                fc.option(fc.integer({ min: -3, max: 12 }), { nil: undefined, freq: 5 }),
              ),
            ),
          ),
        );
        const lines = fc
          .shuffledSubarray(SKUS, { minLength: 1 })
          .chain((skus) =>
            fc.tuple(
              ...skus.map((sku) => fc.integer({ min: 1, max: 8 }).map((quantity) => ({ sku, quantity }))),
            ),
          );
        const limits = fc.tuple(
          ...SKUS.map(() => fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined, freq: 8 })),
        );
        const pickupStores = locations.filter((l) => l.fulfils.includes('pickup'));
        const delivery: fc.Arbitrary<Delivery> = fc.oneof(
          fc.constant(shipTo()),
          fc
            .record({
              lat: fc.double({ min: 49.9, max: 58.6, noNaN: true }),
              lon: fc.double({ min: -6, max: 1.7, noNaN: true }),
            })
            .map(
              (geo): Delivery => ({
                type: 'ship',
                address: { ...(shipTo() as Extract<Delivery, { type: 'ship' }>).address, ...geo },
              }),
            ),
          ...(pickupStores.length > 0
            ? [fc.constantFrom(...pickupStores).map((l) => pickupAt(l.locationId))]
            : []),
        );
        return fc.record({
          locations: fc.constant(locations),
          stock,
          lines,
          limits,
          delivery,
          order: fc.shuffledSubarray(locations, { minLength: locations.length, maxLength: locations.length }),
        });
      })
      .map(({ locations, stock, lines, limits, delivery, order }) => {
        const positions = new Map<string, Position[]>();
        SKUS.forEach((sku, s) => {
          const list: Position[] = [];
          locations.forEach((l, i) => {
            const available = stock[s]?.[i];
            if (available !== undefined) list.push(position(sku, l.locationId, available));
          });
          positions.set(sku, list);
        });
        const channelLimit = new Map<string, number>();
        SKUS.forEach((sku, s) => {
          const limit = limits[s];
          if (limit !== undefined) channelLimit.set(sku, limit);
        });
        const input: SourcingInput = {
          lines: lines as LineInput[],
          delivery,
          locations: new Map(locations.map((l) => [l.locationId, l])),
          positions,
          channelLimit,
        };
        const reordered: SourcingInput = {
          ...input,
          locations: new Map(order.map((l) => [l.locationId, l])),
          positions: new Map([...positions].reverse().map(([sku, list]) => [sku, [...list].reverse()])),
        };
        return { input, reordered };
      });

    const stockAt = (input: SourcingInput, sku: string, locationId: string) =>
      Math.max(0, input.positions.get(sku)?.find((p) => p.locationId === locationId)?.available ?? 0);

    const eligible = (input: SourcingInput): string[] =>
      input.delivery.type === 'pickup'
        ? [input.delivery.locationId]
        : [...input.locations.values()].filter((l) => l.fulfils.includes('ship')).map((l) => l.locationId);

    /** What the channel could have of a SKU for this delivery: its limit, and the stock it may draw on. */
    const availableTo = (input: SourcingInput, sku: string) =>
      Math.min(
        input.channelLimit.get(sku) ?? 0,
        eligible(input).reduce((sum, id) => sum + stockAt(input, sku, id), 0),
      );

    it('places every line in full when it places the order at all', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const result = sourceOrder(input);
          if (!result.ok) return;

          expect(result.lines.map((l) => [l.sku, l.quantity])).toEqual(
            input.lines.map((l) => [l.sku, l.quantity]),
          );
          for (const line of result.lines) {
            expect(line.allocations.reduce((sum, a) => sum + a.quantity, 0)).toBe(line.quantity);
            for (const a of line.allocations) expect(a.quantity).toBeGreaterThan(0);
          }
        }),
        RUNS,
      );
    });

    it('never allocates more than a location can sell, nor more than the channel may sell', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const result = sourceOrder(input);
          if (!result.ok) return;

          for (const line of result.lines) {
            const perLocation = new Map<string, number>();
            for (const a of line.allocations) {
              perLocation.set(a.locationId, (perLocation.get(a.locationId) ?? 0) + a.quantity);
            }
            for (const [locationId, quantity] of perLocation) {
              expect(quantity).toBeLessThanOrEqual(stockAt(input, line.sku, locationId));
            }
            expect(line.quantity).toBeLessThanOrEqual(input.channelLimit.get(line.sku) ?? 0);
          }
        }),
        RUNS,
      );
    });

    it('allocates only at locations that fulfil the delivery type, and for pickup only at the store', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const result = sourceOrder(input);
          if (!result.ok) return;
          const type = input.delivery.type;

          for (const a of result.lines.flatMap((l) => l.allocations)) {
            expect(input.locations.get(a.locationId)?.fulfils).toContain(type);
            if (input.delivery.type === 'pickup') expect(a.locationId).toBe(input.delivery.locationId);
          }
        }),
        RUNS,
      );
    });

    it('is short exactly for the lines that ask for more than was available to them', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const result = sourceOrder(input);
          const overAsked = input.lines
            .filter((l) => l.quantity > availableTo(input, l.sku))
            .map((l) => ({
              sku: l.sku,
              requested: l.quantity,
              available: availableTo(input, l.sku),
              ...(input.delivery.type === 'pickup' ? { locationId: input.delivery.locationId } : {}),
            }));

          if (result.ok) {
            expect(overAsked).toEqual([]);
          } else {
            expect(result.short.length).toBeGreaterThan(0);
            expect(result.short).toEqual(overAsked);
          }
        }),
        RUNS,
      );
    });

    it('ships from a single location whenever one holds every line, the best by priority among them', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const result = sourceOrder(input);
          if (!result.ok || input.delivery.type !== 'ship') return;
          const covering = [...input.locations.values()].filter(
            (l) =>
              l.fulfils.includes('ship') &&
              input.lines.every((line) => stockAt(input, line.sku, l.locationId) >= line.quantity),
          );
          if (covering.length === 0) return;
          const used = usedLocations(result);

          expect(used).toHaveLength(1);
          const best = Math.min(...covering.map((l) => l.priority));
          expect(input.locations.get(used[0] ?? '')?.priority).toBe(best);
          if (input.delivery.address.lat === undefined) {
            const first = covering
              .filter((l) => l.priority === best)
              .map((l) => l.locationId)
              .sort()[0];
            expect(used).toEqual([first]);
          }
        }),
        RUNS,
      );
    });

    it('gives the same answer for the same input, however its locations and positions are listed', () => {
      fc.assert(
        fc.property(scenario, ({ input, reordered }) => {
          const first = sourceOrder(input);

          expect(sourceOrder(input)).toEqual(first);
          expect(sourceOrder(reordered)).toEqual(first);
        }),
        RUNS,
      );
    });
  });
});
