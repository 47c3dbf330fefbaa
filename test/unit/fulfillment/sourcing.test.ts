import fc from 'fast-check';
import type { Criterion, SourcingProfile } from '../../../shared/fulfillment/domain/profile';
import {
  type CandidateLocation,
  conditionsMatch,
  MAX_LISTED_CANDIDATES,
  type SourcingResult,
  source,
} from '../../../shared/fulfillment/domain/sourcing';
import { linesArb, networkArb, profileArb, requestArb } from './arbitraries';
import {
  DEFAULT_PROFILE,
  lines,
  location,
  NOW,
  pickupOrder,
  profile,
  request,
  shipOrder,
  strategy,
} from './network';

const verdictOf = (result: SourcingResult, locationId: string) =>
  result.decision.candidates.find((c) => c.locationId === locationId);

const usedIds = (result: SourcingResult) => result.groups.map((g) => g.locationId);

const failedFilter = (result: SourcingResult, locationId: string) =>
  verdictOf(result, locationId)?.filters.find((f) => !f.passed);

/** A profile ranking by the given criteria only. */
const rankedBy = (...criteria: Criterion[]): SourcingProfile =>
  profile({ strategies: [strategy('s', { criteria })] });

const STORE_A = () => location('A', 3.2, { X: 5, Y: 2 });
const DC1 = () => location('DC1', 41, { X: 100, Y: 100 });
const XY = () => lines(['X', 2], ['Y', 1]);

describe('source', () => {
  describe('a ship order near store A, with stock at A and at a DC', () => {
    it('routes to A, and the decision says why: A is the nearest that can fill it', () => {
      const result = source(request(shipOrder(XY()), [DC1(), STORE_A()]), profile());

      expect(result.groups).toEqual([
        {
          groupId: 'O1-G1',
          locationId: 'A',
          lines: [
            { lineId: 'L1', sku: 'X', quantity: 2 },
            { lineId: 'L2', sku: 'Y', quantity: 1 },
          ],
          distanceKm: 3.2,
        },
      ]);
      expect(result.unfilled).toEqual([]);
      expect(result.decision.explanation).toBe(
        'Ships from A: nearest (3.2 km) of 2 eligible locations that can fill the whole order; DC1 is 41 km away.',
      );
      expect(result.decision).toMatchObject({
        profileId: 'test',
        profileVersion: 1,
        strategy: 'nearest',
        fallbacksUsed: [],
        at: NOW,
        plan: result.groups,
      });
      expect(verdictOf(result, 'A')).toMatchObject({ verdict: 'chosen', strategy: 'nearest' });
      expect(verdictOf(result, 'DC1')?.verdict).toBe('eligible');
      expect(verdictOf(result, 'DC1')?.scores).toContainEqual({
        criterion: 'distance',
        score: 0.7092,
        value: 41,
      });
    });

    it('routes to the DC when A is disabled, and the decision says A was excluded and why', () => {
      const a = { ...STORE_A(), enabled: false, fulfils: [] };
      const result = source(request(shipOrder(XY()), [DC1(), a]), profile());

      expect(usedIds(result)).toEqual(['DC1']);
      expect(verdictOf(result, 'A')?.verdict).toBe('excluded');
      expect(failedFilter(result, 'A')).toEqual({ name: 'enabled', passed: false, reason: 'disabled' });
      expect(result.decision.explanation).toBe(
        'Ships from DC1: the only eligible location. A (3.2 km) ranks higher but was excluded: disabled.',
      );
    });

    it('routes to the DC when A rejected the order, and says so', () => {
      const result = source(
        request(shipOrder(XY()), [DC1(), STORE_A()], { excludedLocationIds: ['A'] }),
        profile(),
      );

      expect(usedIds(result)).toEqual(['DC1']);
      expect(failedFilter(result, 'A')).toEqual({
        name: 'notExcluded',
        passed: false,
        reason: 'excluded after a reject or timeout',
      });
      expect(result.decision.explanation).toContain(
        'A (3.2 km) ranks higher but was excluded: excluded after a reject or timeout.',
      );
    });
  });

  describe('filters', () => {
    const routeWith = (a: CandidateLocation, p: SourcingProfile = profile()) =>
      source(request(shipOrder(XY()), [DC1(), a]), p);

    it('fulfilsDeliveryType: a store that only takes pickups does not ship', () => {
      const result = routeWith({ ...STORE_A(), fulfils: ['pickup'] });

      expect(usedIds(result)).toEqual(['DC1']);
      expect(failedFilter(result, 'A')).toMatchObject({
        name: 'fulfilsDeliveryType',
        reason: 'does not ship now',
      });
    });

    it('channelAllowed: a location serving other channels only is excluded', () => {
      const result = routeWith({ ...STORE_A(), channels: ['pos'] });

      expect(usedIds(result)).toEqual(['DC1']);
      expect(failedFilter(result, 'A')).toMatchObject({ reason: 'does not serve channel web' });
      expect(usedIds(routeWith({ ...STORE_A(), channels: ['pos', 'web'] }))).toEqual(['A']);
    });

    it('capacityLeft: a location that used its daily capacity is excluded, one with room is not', () => {
      const full = routeWith({ ...STORE_A(), dailyCapacity: 10, usedCapacityToday: 10 });
      const room = routeWith({ ...STORE_A(), dailyCapacity: 10, usedCapacityToday: 9 });

      expect(usedIds(full)).toEqual(['DC1']);
      expect(failedFilter(full, 'A')).toMatchObject({
        name: 'capacityLeft',
        reason: 'no capacity left today (10 of 10)',
      });
      expect(usedIds(room)).toEqual(['A']);
    });

    it('maxDistance: a location beyond the limit is excluded, and its line stays unfilled', () => {
      const a = location('A', 3.2, { X: 5 });
      const p = profile({
        strategies: [
          strategy('near', {
            filters: [{ name: 'enabled' }, { name: 'fulfilsDeliveryType' }, { name: 'maxDistance', km: 30 }],
          }),
        ],
      });
      const result = source(request(shipOrder(XY()), [DC1(), a]), p);

      expect(usedIds(result)).toEqual(['A']);
      expect(result.unfilled).toEqual([{ lineId: 'L2', sku: 'Y', quantity: 1, reason: 'noEligibleStock' }]);
      expect(failedFilter(result, 'DC1')).toEqual({
        name: 'maxDistance',
        passed: false,
        reason: '41 km away, over 30 km',
      });
    });

    it("maxDistance: the profile's default applies to a strategy that sets none, and not over its own", () => {
      const far = location('S9', 60, { X: 5, Y: 5 });
      const withDefault = profile({ defaults: { maxSplit: 3, maxDistanceKm: 50 } });
      const own = profile({
        defaults: { maxSplit: 3, maxDistanceKm: 50 },
        strategies: [
          strategy('own', {
            filters: [{ name: 'enabled' }, { name: 'fulfilsDeliveryType' }, { name: 'maxDistance', km: 100 }],
          }),
        ],
      });

      const limited = source(request(shipOrder(XY()), [far]), withDefault);
      expect(limited.groups).toEqual([]);
      expect(failedFilter(limited, 'S9')).toMatchObject({
        name: 'maxDistance',
        reason: '60 km away, over 50 km',
      });
      expect(usedIds(source(request(shipOrder(XY()), [far]), own))).toEqual(['S9']);
    });

    it('maxDistance: an address without coordinates cannot be shown to be near, so it excludes', () => {
      const order = shipOrder(XY(), {
        delivery: { type: 'ship', address: { country: 'DE', postalCode: '10115' } },
      });
      const result = source(
        request(order, [STORE_A()]),
        profile({ defaults: { maxSplit: 3, maxDistanceKm: 50 } }),
      );

      expect(result.groups).toEqual([]);
      expect(failedFilter(result, 'A')?.reason).toBe('distance unknown (the address has no coordinates)');
    });

    it('pickupStore: only the chosen store fills a pickup from its own stock', () => {
      const b = location('B', 10, { X: 5, Y: 5 });
      const result = source(request(pickupOrder('B', XY()), [STORE_A(), b]), profile());

      expect(result.groups).toEqual([
        {
          groupId: 'O1-G1',
          locationId: 'B',
          lines: [
            { lineId: 'L1', sku: 'X', quantity: 2 },
            { lineId: 'L2', sku: 'Y', quantity: 1 },
          ],
        },
      ]);
      expect(failedFilter(result, 'A')).toEqual({
        name: 'pickupStore',
        passed: false,
        reason: 'not the pickup store',
      });
      expect(result.decision.explanation).toBe('Picked up at store B from its own stock.');
    });
  });

  describe('criteria', () => {
    it('distance: the nearer wins; with bandKm, locations in the same band tie and the next criterion decides', () => {
      const a = location('A', 3, { X: 5 }, { priority: 100 });
      const b = location('B', 4, { X: 5 }, { priority: 10 });
      const order = shipOrder(lines(['X', 1]));

      expect(
        usedIds(source(request(order, [a, b]), rankedBy({ name: 'distance' }, { name: 'priority' }))),
      ).toEqual(['A']);
      const banded = source(
        request(order, [a, b]),
        rankedBy({ name: 'distance', bandKm: 5 }, { name: 'priority' }),
      );
      expect(usedIds(banded)).toEqual(['B']);
      expect(banded.decision.explanation).toContain('best priority (priority 10)');
    });

    it('fewestShipments: the location covering more of the remaining lines goes first', () => {
      const p = location('P', 30, { X: 1, Y: 1 });
      const q = location('Q', 2, { X: 1 });
      const r = location('R', 5, { Z: 1 });
      const order = shipOrder(lines(['X', 1], ['Y', 1], ['Z', 1]));

      const fewest = source(
        request(order, [p, q, r]),
        rankedBy({ name: 'fewestShipments' }, { name: 'distance' }),
      );
      const nearest = source(request(order, [p, q, r]), rankedBy({ name: 'distance' }));

      expect(usedIds(fewest)).toEqual(['P', 'R']);
      expect(usedIds(nearest)).toEqual(['Q', 'R', 'P']);
    });

    it('priority: the lower number wins', () => {
      const a = location('A', 3, { X: 5 }, { priority: 100 });
      const b = location('B', 10, { X: 5 }, { priority: 10 });

      const result = source(request(shipOrder(lines(['X', 1])), [a, b]), rankedBy({ name: 'priority' }));

      expect(usedIds(result)).toEqual(['B']);
      expect(result.decision.explanation).toContain('best priority (priority 10)');
      expect(result.decision.explanation).toContain('A has priority 100');
    });

    it('costPerShipment: the cheaper wins, and an unknown cost ranks below every known one', () => {
      const a = location('A', 3, { X: 5 }, { costPerShipmentMinor: 900 });
      const b = location('B', 10, { X: 5 }, { costPerShipmentMinor: 400 });
      const c = location('C', 1, { X: 5 });
      const order = shipOrder(lines(['X', 1]));
      const byCost = rankedBy({ name: 'costPerShipment' });

      expect(usedIds(source(request(order, [a, b, c]), byCost))).toEqual(['B']);
      expect(usedIds(source(request(order, [a, c]), byCost))).toEqual(['A']);
    });

    it('mostStock: a thin store is protected; the one left with more stock wins', () => {
      const thin = location('A', 3, { X: 2 });
      const deep = location('B', 20, { X: 10 });

      const result = source(
        request(shipOrder(lines(['X', 2])), [thin, deep]),
        rankedBy({ name: 'mostStock' }, { name: 'distance' }),
      );

      expect(usedIds(result)).toEqual(['B']);
      expect(verdictOf(result, 'B')?.scores).toEqual([
        { criterion: 'mostStock', score: 0.8, value: 8 },
        { criterion: 'distance', score: 0.8333, value: 20 },
      ]);
      expect(result.decision.explanation).toContain('A would keep 0 at its thinnest line');
    });

    it('capacityLeft: the larger share of daily capacity left wins; no limit counts as all left', () => {
      const busy = location('A', 3, { X: 5 }, { dailyCapacity: 10, usedCapacityToday: 9 });
      const quiet = location('B', 10, { X: 5 }, { dailyCapacity: 10, usedCapacityToday: 2 });
      const unlimited = location('C', 20, { X: 5 });
      const order = shipOrder(lines(['X', 1]));
      const byCapacity = rankedBy({ name: 'capacityLeft' }, { name: 'distance' });

      expect(usedIds(source(request(order, [busy, quiet]), byCapacity))).toEqual(['B']);
      expect(usedIds(source(request(order, [busy, quiet, unlimited]), byCapacity))).toEqual(['C']);
    });

    it('carrierCutoff: a location that can still ship today beats a nearer one past its cutoff', () => {
      const missed = location('A', 3, { X: 5 }, { carrierCutoff: '09:00' });
      const open = location('B', 10, { X: 5 }, { carrierCutoff: '17:00' });
      const order = shipOrder(lines(['X', 1]));
      const byCutoff = rankedBy({ name: 'carrierCutoff' }, { name: 'distance' });

      const at10 = source(request(order, [missed, open]), byCutoff);
      const at8 = source(request(order, [missed, open], { now: '2026-12-01T08:00:00Z' }), byCutoff);

      expect(usedIds(at10)).toEqual(['B']);
      expect(at10.decision.explanation).toContain('can still ship today (before its 17:00 UTC cutoff)');
      expect(at10.decision.explanation).toContain('A is past its 09:00 UTC cutoff');
      expect(usedIds(at8)).toEqual(['A']);
    });

    it('carrierCutoff: no cutoff ships whenever; an unreadable one counts as missed', () => {
      const unreadable = location('A', 3, { X: 5 }, { carrierCutoff: 'soon' });
      const none = location('B', 10, { X: 5 });
      const byCutoff = rankedBy({ name: 'carrierCutoff' }, { name: 'distance' });

      expect(usedIds(source(request(shipOrder(lines(['X', 1])), [unreadable, none]), byCutoff))).toEqual([
        'B',
      ]);
    });

    it('breaks a tie on every criterion by location id', () => {
      const b = location('B', 5, { X: 5 });
      const a = location('A', 5, { X: 5 });

      const result = source(request(shipOrder(lines(['X', 1])), [b, a]), profile());

      expect(usedIds(result)).toEqual(['A']);
      expect(result.decision.explanation).toContain('tied on every criterion and first by location id');
    });
  });

  describe('splitting', () => {
    it('splits a two-line order that no single location can fill into two groups', () => {
      const a = location('A', 3, { X: 5 });
      const b = location('B', 8, { Y: 5 });

      const result = source(request(shipOrder(XY()), [a, b]), profile());

      expect(result.groups).toEqual([
        {
          groupId: 'O1-G1',
          locationId: 'A',
          lines: [{ lineId: 'L1', sku: 'X', quantity: 2 }],
          distanceKm: 3,
        },
        {
          groupId: 'O1-G2',
          locationId: 'B',
          lines: [{ lineId: 'L2', sku: 'Y', quantity: 1 }],
          distanceKm: 8,
        },
      ]);
      expect(result.decision.explanation).toMatch(
        /^Ships from 2 locations \(A: 1 line, B: 1 line\): none of the 2/,
      );
    });

    it('never splits when one eligible location can fill the whole order (any network, any profile)', () => {
      fc.assert(
        fc.property(networkArb(1, 25), linesArb, profileArb, fc.nat(), (network, orderLines, p, pick) => {
          const candidates = network.map((c) => ({ ...c }));
          const k = pick % candidates.length;
          const stock: Record<string, number> = {};
          for (const l of orderLines) stock[l.sku] = (stock[l.sku] ?? 0) + l.quantity;
          candidates[k] = { ...location(`FULL${k}`, 0, stock), priority: 500 };
          const noSplitRule = { ...p, defaults: { ...p.defaults, splitRule: undefined } };
          const result = source(request(shipOrder(orderLines), candidates), noSplitRule);
          fc.pre(result.decision.strategy !== null || result.decision.fallbacksUsed.length > 0);

          expect(result.groups).toHaveLength(1);
          expect(result.unfilled).toEqual([]);
        }),
        { numRuns: 300 },
      );
    });

    it('respects maxSplit: the lines past the limit are unfilled with the reason', () => {
      const stores = ['X', 'Y', 'Z'].map((sku, i) => location(`S${i + 1}`, i + 1, { [sku]: 5 }));
      const order = shipOrder(lines(['X', 1], ['Y', 1], ['Z', 1]));

      const result = source(request(order, stores), profile({ defaults: { maxSplit: 2 } }));

      expect(usedIds(result)).toEqual(['S1', 'S2']);
      expect(result.unfilled).toEqual([{ lineId: 'L3', sku: 'Z', quantity: 1, reason: 'maxSplitReached' }]);
      expect(result.decision.explanation).toContain('the order reached its maximum number of shipments');
    });

    it('places every line once, within maxSplit and stock, from locations that pass the filters', () => {
      fc.assert(
        fc.property(requestArb(1, 30), profileArb, (req, p) => {
          const result = source(req, p);
          const placed = result.groups.flatMap((g) => g.lines.map((l) => l.lineId));
          const unfilled = result.unfilled.map((l) => l.lineId);

          expect(result.groups.length).toBeLessThanOrEqual(p.defaults.maxSplit);
          expect([...placed, ...unfilled].sort()).toEqual(req.order.lines.map((l) => l.lineId).sort());
          expect(new Set(result.groups.map((g) => g.locationId)).size).toBe(result.groups.length);
          for (const group of result.groups) {
            const loc = req.candidates.find((c) => c.locationId === group.locationId)!;
            const atStore = req.order.delivery.type === 'pickup' && group.transferTo === undefined;
            expect(loc.enabled).toBe(true);
            expect(loc.fulfils).toContain(atStore ? 'pickup' : 'ship');
            expect(req.excludedLocationIds).not.toContain(group.locationId);
            if (loc.channels) expect(loc.channels).toContain(req.order.channel);
            if (req.order.delivery.type === 'pickup') {
              expect(group.transferTo ?? group.locationId).toBe(req.order.delivery.locationId);
            }
            const bySku = new Map<string, number>();
            for (const l of group.lines) bySku.set(l.sku, (bySku.get(l.sku) ?? 0) + l.quantity);
            for (const [sku, quantity] of bySku) expect(loc.stock[sku] ?? 0).toBeGreaterThanOrEqual(quantity);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('fills a line from one location: it does not split a quantity across two', () => {
      const a = location('A', 3, { X: 3 });
      const b = location('B', 5, { X: 3 });

      const result = source(request(shipOrder(lines(['X', 5])), [a, b]), profile());

      expect(result.groups).toEqual([]);
      expect(result.unfilled).toEqual([{ lineId: 'L1', sku: 'X', quantity: 5, reason: 'noEligibleStock' }]);
    });

    it('counts stock once when two lines ask for the same SKU', () => {
      const a = location('A', 3, { X: 3 });
      const b = location('B', 9, { X: 2 });

      const result = source(request(shipOrder(lines(['X', 2], ['X', 2])), [a, b]), profile());

      expect(result.groups.map((g) => [g.locationId, g.lines.map((l) => l.lineId)])).toEqual([
        ['A', ['L1']],
        ['B', ['L2']],
      ]);
    });

    it('after the first group, prefers a location that can take all the rest', () => {
      const a = location('A', 1, { X: 1 });
      const b = location('B', 2, { Y: 1 });
      const c = location('C', 50, { Y: 1, Z: 1 });

      const result = source(
        request(shipOrder(lines(['X', 1], ['Y', 1], ['Z', 1])), [a, b, c]),
        rankedBy({ name: 'distance' }),
      );

      expect(usedIds(result)).toEqual(['A', 'C']);
    });
  });

  describe('the split rule', () => {
    const network = () => [
      location('DC1', 40, { X: 9, Y: 9 }, { costPerShipmentMinor: 1_500 }),
      location('S1', 2, { X: 9 }, { costPerShipmentMinor: 400 }),
      location('S2', 3, { Y: 9 }, { costPerShipmentMinor: 500 }),
    ];
    const withRule = (splitRule: SourcingProfile['defaults']['splitRule'], maxSplit = 3) =>
      profile({
        defaults: { maxSplit, splitRule },
        strategies: [strategy('s', { criteria: [{ name: 'distance' }, { name: 'priority' }] })],
      });
    const order = () => shipOrder(lines(['X', 1], ['Y', 1]));

    it('splits when the split saves more distance than the rule asks (single 40 km vs 2 + 3 km)', () => {
      const result = source(request(order(), network()), withRule({ minDistanceSavedKm: 10 }));

      expect(usedIds(result)).toEqual(['S1', 'S2']);
      expect(result.decision.splitChecks).toEqual([
        {
          strategy: 's',
          singleLocationId: 'DC1',
          splitLocationIds: ['S1', 'S2'],
          distanceSavedKm: 35,
          costSavedMinor: 600,
          applied: true,
          result: 'split',
        },
      ]);
      expect(result.decision.explanation).toBe(
        'Splits into 2 shipments (S1, S2) although DC1 can fill the whole order: the split saves 35 km and 600 in cost ' +
          '(split rule: more than 10 km).',
      );
    });

    it('does not split when the saving is under the threshold', () => {
      const result = source(request(order(), network()), withRule({ minDistanceSavedKm: 36 }));

      expect(usedIds(result)).toEqual(['DC1']);
      expect(result.decision.splitChecks[0]).toMatchObject({
        applied: false,
        result: 'savesTooLittle',
        distanceSavedKm: 35,
      });
      expect(result.decision.explanation).toBe(
        'Ships from DC1: the only one of the 3 eligible locations that can fill the whole order. ' +
          'A split over S1, S2 was considered, but it saves 35 km and 600 in cost; the split rule asks for more than 36 km.',
      );
    });

    it('splits on a cost saving strictly more than the threshold: 1,500 for one shipment against 400 + 500', () => {
      expect(usedIds(source(request(order(), network()), withRule({ minCostSavedMinor: 599 })))).toEqual([
        'S1',
        'S2',
      ]);
      expect(usedIds(source(request(order(), network()), withRule({ minCostSavedMinor: 600 })))).toEqual([
        'DC1',
      ]);
    });

    it('does not split when the split would not fit in maxSplit', () => {
      const result = source(request(order(), network()), withRule({ minDistanceSavedKm: 0 }, 1));

      expect(usedIds(result)).toEqual(['DC1']);
      expect(result.decision.splitChecks[0]).toMatchObject({
        splitLocationIds: ['S1'],
        applied: false,
        result: 'exceedsMaxSplit',
      });
    });
  });

  describe('fallbacks', () => {
    it('fill the lines the primary strategy could not', () => {
      const a = location('A', 3, { X: 5 });
      const p = profile({
        strategies: [
          strategy('nearby-stores', {
            filters: [{ name: 'enabled' }, { name: 'fulfilsDeliveryType' }, { name: 'maxDistance', km: 20 }],
          }),
        ],
        fallbacks: [strategy('dc')],
      });

      const result = source(request(shipOrder(XY()), [DC1(), a]), p);

      expect(result.groups.map((g) => [g.locationId, g.lines.map((l) => l.sku)])).toEqual([
        ['A', ['X']],
        ['DC1', ['Y']],
      ]);
      expect(result.decision.strategy).toBe('nearby-stores');
      expect(result.decision.fallbacksUsed).toEqual(['dc']);
      expect(verdictOf(result, 'DC1')).toMatchObject({ verdict: 'chosen', strategy: 'dc' });
      expect(result.decision.explanation).toContain('Fallback dc filled 1 line from DC1.');
    });

    it('the default profile ships over capacity rather than leave the order unfilled', () => {
      const busy = location('A', 3, { X: 5, Y: 5 }, { dailyCapacity: 5, usedCapacityToday: 5 });

      const result = source(request(shipOrder(XY()), [busy]), DEFAULT_PROFILE);

      expect(usedIds(result)).toEqual(['A']);
      expect(result.decision.fallbacksUsed).toEqual(['any-location-over-capacity']);
    });

    it('are skipped when their conditions do not match', () => {
      const p = profile({
        strategies: [
          strategy('none-qualify', {
            filters: [{ name: 'enabled' }, { name: 'fulfilsDeliveryType' }, { name: 'maxDistance', km: 1 }],
          }),
        ],
        fallbacks: [strategy('app-only', { conditions: { channels: ['app'] } })],
      });

      const result = source(request(shipOrder(XY()), [STORE_A()]), p);

      expect(result.groups).toEqual([]);
      expect(result.decision.fallbacksUsed).toEqual([]);
      expect(result.unfilled.map((u) => u.reason)).toEqual(['noEligibleStock', 'noEligibleStock']);
    });
  });

  describe('pickup', () => {
    // The store is 10 km north of the customer's address; A is 2 km from the store, the DC 10 km.
    const store = () => location('B', 10, { X: 5 });
    const nearStore = () => location('A', 12, { Y: 5 });
    const dcAtCustomer = () => location('DC1', 0, { Y: 5 });
    const shipToStore = profile({ defaults: { maxSplit: 3, allowShipToStore: true } });

    it('ships what the store lacks to the store, from the location nearest the store', () => {
      const result = source(
        request(pickupOrder('B', XY()), [dcAtCustomer(), nearStore(), store()]),
        shipToStore,
      );

      expect(result.groups).toEqual([
        { groupId: 'O1-G1', locationId: 'B', lines: [{ lineId: 'L1', sku: 'X', quantity: 2 }] },
        {
          groupId: 'O1-G2',
          locationId: 'A',
          lines: [{ lineId: 'L2', sku: 'Y', quantity: 1 }],
          transferTo: 'B',
          distanceKm: 2,
        },
      ]);
      expect(result.unfilled).toEqual([]);
      expect(result.decision.explanation).toBe(
        'Store B holds 1 of 2 lines for pickup. 1 line shipped to store B from A.',
      );
    });

    it('without allowShipToStore, leaves what the store lacks unfilled', () => {
      const result = source(
        request(pickupOrder('B', XY()), [dcAtCustomer(), nearStore(), store()]),
        profile(),
      );

      expect(usedIds(result)).toEqual(['B']);
      expect(result.unfilled).toEqual([
        { lineId: 'L2', sku: 'Y', quantity: 1, reason: 'notStockedAtPickupStore' },
      ]);
    });

    it('ships nothing to a store that does not take pickups', () => {
      const closed = { ...store(), enabled: false, fulfils: [] };

      const result = source(request(pickupOrder('B', XY()), [nearStore(), closed]), shipToStore);

      expect(result.groups).toEqual([]);
      expect(result.unfilled.map((u) => u.reason)).toEqual([
        'pickupStoreUnavailable',
        'pickupStoreUnavailable',
      ]);
    });

    it('after the store rejected the order, ships every line to it from elsewhere', () => {
      const both = location('A', 12, { X: 5, Y: 5 });

      const result = source(
        request(pickupOrder('B', XY()), [both, store()], { excludedLocationIds: ['B'] }),
        shipToStore,
      );

      expect(result.groups).toEqual([
        {
          groupId: 'O1-G1',
          locationId: 'A',
          lines: [
            { lineId: 'L1', sku: 'X', quantity: 2 },
            { lineId: 'L2', sku: 'Y', quantity: 1 },
          ],
          transferTo: 'B',
          distanceKm: 2,
        },
      ]);
    });

    it('leaves every line unfilled for a store that is not in the network', () => {
      const result = source(request(pickupOrder('NOPE', XY()), [nearStore()]), shipToStore);

      expect(result.unfilled.map((u) => u.reason)).toEqual([
        'pickupStoreUnavailable',
        'pickupStoreUnavailable',
      ]);
    });
  });

  describe('strategy conditions', () => {
    const order = shipOrder(
      [
        { lineId: 'L1', sku: 'X', quantity: 2, unitPriceMinor: 1_000, category: 'shoes' },
        { lineId: 'L2', sku: 'Y', quantity: 1, unitPriceMinor: 500 },
      ],
      { channel: 'marketplace' },
    );

    it('match on channel and delivery type', () => {
      expect(conditionsMatch({ channels: ['marketplace', 'web'] }, order)).toBe(true);
      expect(conditionsMatch({ channels: ['web'] }, order)).toBe(false);
      expect(conditionsMatch({ deliveryTypes: ['ship'] }, order)).toBe(true);
      expect(conditionsMatch({ deliveryTypes: ['pickup'] }, order)).toBe(false);
    });

    it('match on order value, inclusive, from the line prices when the order states none', () => {
      expect(conditionsMatch({ minOrderValueMinor: 2_500 }, order)).toBe(true);
      expect(conditionsMatch({ minOrderValueMinor: 2_501 }, order)).toBe(false);
      expect(conditionsMatch({ maxOrderValueMinor: 2_500 }, order)).toBe(true);
      expect(conditionsMatch({ maxOrderValueMinor: 2_499 }, order)).toBe(false);
      expect(conditionsMatch({ minOrderValueMinor: 10_000 }, { ...order, orderValueMinor: 10_000 })).toBe(
        true,
      );
      const unpriced = { ...order, lines: [{ sku: 'X', quantity: 1 }] };
      expect(conditionsMatch({ maxOrderValueMinor: 1_000_000 }, unpriced)).toBe(false);
    });

    it('match on a category of any line', () => {
      expect(conditionsMatch({ categories: ['bags', 'shoes'] }, order)).toBe(true);
      expect(conditionsMatch({ categories: ['bags'] }, order)).toBe(false);
    });

    it("match on country and region: the address's, or for a pickup the store's country", () => {
      expect(conditionsMatch({ countries: ['DE'], regions: ['BE'] }, order)).toBe(true);
      expect(conditionsMatch({ countries: ['FR'] }, order)).toBe(false);
      expect(conditionsMatch({ regions: ['BY'] }, order)).toBe(false);
      const pickup = pickupOrder('B', XY());
      expect(conditionsMatch({ countries: ['DE'] }, pickup, location('B', 1, {}))).toBe(true);
      expect(conditionsMatch({ countries: ['DE'] }, pickup, location('B', 1, {}, { country: 'AT' }))).toBe(
        false,
      );
      expect(conditionsMatch({ regions: ['BE'] }, pickup, location('B', 1, {}))).toBe(false);
    });

    it('choose the first strategy that matches as primary', () => {
      const a = location('A', 3, { X: 5, Y: 5 }, { priority: 100 });
      const b = location('B', 10, { X: 5, Y: 5 }, { priority: 1 });
      const p = profile({
        strategies: [
          strategy('big-shoe-orders', {
            conditions: { categories: ['shoes'], minOrderValueMinor: 5_000 },
            criteria: [{ name: 'distance' }],
          }),
          strategy('marketplace', {
            conditions: { channels: ['marketplace'] },
            criteria: [{ name: 'priority' }],
          }),
          strategy('rest', { criteria: [{ name: 'distance' }] }),
        ],
      });

      const marketplace = source(request(order, [a, b]), p);
      const big = source(request({ ...order, orderValueMinor: 9_000 }, [a, b]), p);
      const web = source(request({ ...order, channel: 'web' }, [a, b]), p);

      expect([marketplace.decision.strategy, usedIds(marketplace)]).toEqual(['marketplace', ['B']]);
      expect([big.decision.strategy, usedIds(big)]).toEqual(['big-shoe-orders', ['A']]);
      expect([web.decision.strategy, usedIds(web)]).toEqual(['rest', ['A']]);
    });

    it('leave the order unfilled, and say so, when no strategy or fallback matches', () => {
      const p = profile({ strategies: [strategy('web', { conditions: { channels: ['web'] } })] });

      const result = source(request(order, [STORE_A()]), p);

      expect(result.decision.strategy).toBeNull();
      expect(result.unfilled.map((u) => u.reason)).toEqual(['noStrategyMatched', 'noStrategyMatched']);
      expect(result.decision.explanation).toBe(
        'No strategy or fallback of profile test v1 applies to this marketplace ship order; nothing was sourced.',
      );
    });
  });

  describe('determinism and bounds', () => {
    it('gives a deep-equal result for the same input, and the same plan whatever the candidate order', () => {
      fc.assert(
        fc.property(requestArb(1, 30), profileArb, fc.nat(), (req, p, seed) => {
          const first = source(req, p);
          const again = source(structuredClone(req), p);
          const rotated = [
            ...req.candidates.slice(seed % req.candidates.length),
            ...req.candidates.slice(0, seed % req.candidates.length),
          ];
          const reordered = source({ ...req, candidates: rotated.reverse() }, p);

          expect(again).toEqual(first);
          expect(JSON.stringify(again)).toBe(JSON.stringify(first));
          expect(reordered.groups).toEqual(first.groups);
          expect(reordered.unfilled).toEqual(first.unfilled);
        }),
        { numRuns: 200 },
      );
    });

    it('lists at most MAX_LISTED_CANDIDATES candidates, the chosen among them, and counts the rest', () => {
      const network = Array.from({ length: 2_000 }, (_, i) =>
        location(`S${String(i).padStart(4, '0')}`, 1 + (i % 400), i % 3 === 0 ? { X: 5 } : { Y: 1 }, {
          enabled: i % 10 !== 0,
          fulfils: i % 10 === 0 ? [] : ['ship', 'pickup'],
        }),
      );

      const result = source(request(shipOrder(XY()), network), profile());
      const { decision } = result;

      expect(decision.candidates).toHaveLength(MAX_LISTED_CANDIDATES);
      expect(decision.candidates.filter((c) => c.verdict === 'chosen').map((c) => c.locationId)).toEqual(
        usedIds(result),
      );
      expect(decision.otherCandidates.count).toBe(2_000 - MAX_LISTED_CANDIDATES);
      const excluded = Object.values(decision.otherCandidates.excludedBy).reduce((s, n) => s + (n ?? 0), 0);
      expect(decision.otherCandidates.eligible + excluded).toBe(decision.otherCandidates.count);
      expect(decision.otherCandidates.excludedBy.enabled).toBeGreaterThan(150);
      expect(decision.candidatesConsidered).toBe(2_000);
      expect(decision.input.candidates.length).toBeLessThanOrEqual(MAX_LISTED_CANDIDATES + 3);
      expect(JSON.stringify(decision).length).toBeLessThan(40_000);
    });

    it('keeps only the ordered SKUs of each candidate in the record', () => {
      const a = location('A', 3, { X: 5, Y: 2, OTHER: 40 });

      const { decision } = source(request(shipOrder(XY()), [a]), profile());

      expect(decision.input.candidates.map((c) => c.stock)).toEqual([{ X: 5, Y: 2 }]);
    });

    it('refuses a now that is not a date-time and a quantity that is not a positive integer', () => {
      expect(() => source(request(shipOrder(XY()), [STORE_A()], { now: 'noon' }), profile())).toThrow(
        RangeError,
      );
      expect(() => source(request(shipOrder(lines(['X', 0])), [STORE_A()]), profile())).toThrow(
        /positive integer/,
      );
      expect(() => source(request(shipOrder(lines(['X', 1.5])), [STORE_A()]), profile())).toThrow(
        /positive integer/,
      );
    });
  });
});
