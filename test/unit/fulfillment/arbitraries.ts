/**
 * fast-check arbitraries for sourcing: random networks (some closed, excluded, at capacity, far
 * away, on other channels), random orders over a small assortment, and random profiles (split
 * rules, fallbacks, ship-to-store), so that properties are checked far beyond hand-written cases.
 */
import fc from 'fast-check';
import type { Criterion, SourcingProfile, Strategy } from '../../../shared/fulfillment/domain/profile';
import type {
  CandidateLocation,
  SourcingLine,
  SourcingRequest,
} from '../../../shared/fulfillment/domain/sourcing';
import { BASE_FILTERS, HOME, NOW, north } from './network';

export const SKUS = ['A', 'B', 'C', 'D', 'E'];

/** True once in `n` draws, roughly. */
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((v) => v === 1);

const locationArb = (i: number): fc.Arbitrary<CandidateLocation> =>
  fc
    .record({
      km: fc.integer({ min: -300, max: 300 }),
      east: fc.integer({ min: -300, max: 300 }),
      enabled: oneIn(8).map((closed) => !closed),
      ships: oneIn(6).map((no) => !no),
      priority: fc.integer({ min: 0, max: 200 }),
      cost: fc.option(fc.integer({ min: 0, max: 2_000 }), { freq: 4 }),
      capacity: fc.option(
        fc.record({ daily: fc.integer({ min: 0, max: 5 }), used: fc.integer({ min: 0, max: 6 }) }),
      ),
      cutoff: fc.option(fc.constantFrom('08:00', '12:00', '18:00', 'soon')),
      channels: fc.option(fc.constantFrom(['web'], ['pos'], ['web', 'app'])),
      stock: fc.dictionary(fc.constantFrom(...SKUS), fc.integer({ min: -1, max: 6 }), {
        maxKeys: SKUS.length,
      }),
    })
    .map((r): CandidateLocation => {
      const id = `${i % 7 === 0 ? 'DC' : 'S'}${String(i).padStart(2, '0')}`;
      const geo = north(r.km);
      return {
        locationId: id,
        type: id.startsWith('DC') ? 'dc' : 'store',
        geo: { lat: geo.lat, lon: HOME.lon + r.east / 68 },
        country: r.km > 250 ? 'DK' : 'DE',
        fulfils: !r.enabled ? [] : r.ships ? ['ship', 'pickup'] : ['pickup'],
        enabled: r.enabled,
        priority: r.priority,
        ...(r.cost !== null ? { costPerShipmentMinor: r.cost } : {}),
        ...(r.capacity ? { dailyCapacity: r.capacity.daily, usedCapacityToday: r.capacity.used } : {}),
        ...(r.cutoff ? { carrierCutoff: r.cutoff } : {}),
        ...(r.channels ? { channels: [...r.channels] } : {}),
        stock: r.stock,
      };
    });

export const networkArb = (min: number, max: number): fc.Arbitrary<CandidateLocation[]> =>
  fc.integer({ min, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => locationArb(i))));

export const linesArb: fc.Arbitrary<SourcingLine[]> = fc
  .array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 4 }) }), {
    minLength: 1,
    maxLength: 5,
  })
  .map((lines) => lines.map((l, i) => ({ lineId: `L${i + 1}`, ...l })));

const criterionArb: fc.Arbitrary<Criterion[]> = fc
  .shuffledSubarray<Criterion>(
    [
      { name: 'distance' },
      { name: 'fewestShipments' },
      { name: 'priority' },
      { name: 'costPerShipment' },
      { name: 'mostStock' },
      { name: 'capacityLeft' },
      { name: 'carrierCutoff' },
    ],
    { minLength: 1 },
  )
  .chain((criteria) =>
    fc
      .option(fc.constantFrom(5, 50))
      .map((bandKm) => criteria.map((c) => (c.name === 'distance' && bandKm ? { ...c, bandKm } : c))),
  );

const strategyArb = (name: string): fc.Arbitrary<Strategy> =>
  fc
    .record({
      capacity: fc.boolean(),
      maxKm: fc.option(fc.constantFrom(20, 100, 250)),
      criteria: criterionArb,
      channels: fc.option(fc.constantFrom(['web'], ['app'])),
    })
    .map(({ capacity, maxKm, criteria, channels }) => ({
      name,
      conditions: channels ? { channels: [...channels] } : {},
      filters: [
        ...BASE_FILTERS.filter((f) => f.name !== 'capacityLeft'),
        ...(capacity ? [{ name: 'capacityLeft' as const }] : []),
        ...(maxKm ? [{ name: 'maxDistance' as const, km: maxKm }] : []),
      ],
      criteria,
    }));

export const profileArb: fc.Arbitrary<SourcingProfile> = fc
  .record({
    maxSplit: fc.integer({ min: 1, max: 4 }),
    splitRule: fc.option(
      fc.oneof(
        fc.record({ minDistanceSavedKm: fc.constantFrom(0, 10, 100) }),
        fc.record({ minCostSavedMinor: fc.constantFrom(0, 200) }),
      ),
    ),
    allowShipToStore: fc.boolean(),
    primary: fc.array(strategyArb('primary'), { minLength: 1, maxLength: 2 }),
    fallbacks: fc.array(strategyArb('fallback'), { maxLength: 2 }),
  })
  .map((r) => ({
    profileId: 'random',
    version: 1,
    defaults: {
      maxSplit: r.maxSplit,
      allowShipToStore: r.allowShipToStore,
      ...(r.splitRule ? { splitRule: r.splitRule } : {}),
    },
    strategies: r.primary.map((s, i) => ({ ...s, name: `primary-${i + 1}` })),
    fallbacks: r.fallbacks.map((s, i) => ({ ...s, name: `fallback-${i + 1}` })),
  }));

/** A request over a random network: ship to Berlin (sometimes without coordinates) or pickup. */
export const requestArb = (min: number, max: number): fc.Arbitrary<SourcingRequest> =>
  fc
    .record({
      candidates: networkArb(min, max),
      lines: linesArb,
      pickup: oneIn(3),
      coordinates: oneIn(8).map((none) => !none),
      channel: fc.constantFrom('web', 'web', 'app'),
      excludedEvery: fc.option(fc.integer({ min: 2, max: 5 })),
      storePick: fc.nat(),
      hour: fc.integer({ min: 0, max: 23 }),
    })
    .map((r) => {
      const store = r.candidates[r.storePick % r.candidates.length]!;
      const address = { country: 'DE', region: 'BE', postalCode: '10115', ...(r.coordinates ? HOME : {}) };
      return {
        order: {
          orderId: 'P1',
          channel: r.channel,
          lines: r.lines,
          delivery: r.pickup
            ? { type: 'pickup' as const, locationId: store.locationId }
            : { type: 'ship' as const, address },
        },
        candidates: r.candidates,
        excludedLocationIds: r.excludedEvery
          ? r.candidates.filter((_, i) => i % (r.excludedEvery ?? 1) === 1).map((c) => c.locationId)
          : [],
        now: NOW.replace('T10', `T${String(r.hour).padStart(2, '0')}`),
      };
    });
