/**
 * The decisions recorded in `test/fixtures/fulfillment/decisions.json`, which `replay.test.ts`
 * re-runs. The fixture is history: it is written once (and again only when a change of the rules
 * is intended) with `npx tsx test/unit/fulfillment/scenarios.ts`, and committed.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PROFILE, type SourcingProfile } from '../../../shared/fulfillment/domain/profile';
import {
  type CandidateLocation,
  type DecisionRecord,
  type SourcingRequest,
  source,
} from '../../../shared/fulfillment/domain/sourcing';
import {
  BASE_FILTERS,
  HOME,
  lines,
  location,
  pickupOrder,
  profile,
  request,
  shipOrder,
  strategy,
} from './network';

export const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'fulfillment', 'decisions.json');

/** A regional profile: stores within 50 km first, then the DC network; splits that save 20 km. */
const REGIONAL: SourcingProfile = {
  profileId: 'regional',
  version: 3,
  status: 'active',
  defaults: { maxSplit: 3, allowShipToStore: true, splitRule: { minDistanceSavedKm: 20 } },
  strategies: [
    strategy('marketplace-by-priority', {
      conditions: { channels: ['marketplace'] },
      criteria: [{ name: 'fewestShipments' }, { name: 'priority' }, { name: 'distance' }],
    }),
    strategy('nearby-stores', {
      filters: [...BASE_FILTERS, { name: 'maxDistance', km: 50 }],
      criteria: [{ name: 'distance', bandKm: 2 }, { name: 'fewestShipments' }, { name: 'mostStock' }],
    }),
  ],
  fallbacks: [
    strategy('dc-network', {
      filters: BASE_FILTERS.filter((f) => f.name !== 'capacityLeft'),
      criteria: [{ name: 'fewestShipments' }, { name: 'carrierCutoff' }, { name: 'costPerShipment' }],
    }),
  ],
};

const TEST = profile();

export const PROFILES: SourcingProfile[] = [DEFAULT_PROFILE, REGIONAL, TEST];

/** mulberry32, so that the large network is the same on every generation. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 300 locations within ~150 km, thin stores and a few deep DCs, some closed or at capacity. */
function largeNetwork(seed: number): CandidateLocation[] {
  const random = prng(seed);
  const skus = Array.from({ length: 30 }, (_, i) => `K${i}`);
  return Array.from({ length: 300 }, (_, i) => {
    const dc = i % 40 === 0;
    const stock: Record<string, number> = {};
    for (const sku of skus)
      if (random() < (dc ? 0.9 : 0.25)) stock[sku] = Math.floor(random() * (dc ? 50 : 4)) + 1;
    const closed = random() < 0.05;
    return location(
      `${dc ? 'DC' : 'S'}${String(i).padStart(3, '0')}`,
      Math.round((random() - 0.5) * 300),
      stock,
      {
        geo: { lat: HOME.lat + (random() - 0.5) * 2.5, lon: HOME.lon + (random() - 0.5) * 4 },
        enabled: !closed,
        fulfils: closed ? [] : dc ? ['ship'] : ['ship', 'pickup'],
        priority: dc ? 50 : 100,
        costPerShipmentMinor: dc ? 900 : 450,
        carrierCutoff: random() < 0.5 ? '12:00' : '17:00',
        ...(random() < 0.15 ? { dailyCapacity: 10, usedCapacityToday: 10 } : {}),
      },
    );
  });
}

const A = () => location('A', 3.2, { X: 5, Y: 2 });
const DC1 = () => location('DC1', 41, { X: 100, Y: 100, Z: 4 }, { costPerShipmentMinor: 900 });
const XY = () => lines(['X', 2], ['Y', 1]);

export interface Scenario {
  name: string;
  profileId: string;
  request: SourcingRequest;
}

export const SCENARIOS: Scenario[] = [
  { name: 'ship to the nearest store', profileId: 'test', request: request(shipOrder(XY()), [DC1(), A()]) },
  {
    name: 'ship past a disabled store',
    profileId: 'test',
    request: request(shipOrder(XY()), [DC1(), { ...A(), enabled: false, fulfils: [] }]),
  },
  {
    name: 'ship after the store rejected',
    profileId: 'default',
    request: request(shipOrder(XY()), [DC1(), A()], { excludedLocationIds: ['A', 'GONE'] }),
  },
  {
    name: 'split over two stores',
    profileId: 'test',
    request: request(shipOrder(XY()), [location('S1', 2, { X: 5 }), location('S2', 6, { Y: 5 }), DC1()], {
      excludedLocationIds: ['DC1'],
    }),
  },
  {
    name: 'split rule saves distance',
    profileId: 'regional',
    request: request(shipOrder(XY()), [location('S1', 2, { X: 5 }), location('S2', 5, { Y: 5 }), DC1()]),
  },
  {
    name: 'nearby stores, then the DC network as fallback',
    profileId: 'regional',
    request: request(shipOrder(lines(['X', 1], ['Z', 2])), [
      location('S1', 2, { X: 5 }),
      { ...DC1(), geo: location('DC1', 80, {}).geo },
    ]),
  },
  {
    name: 'marketplace by priority',
    profileId: 'regional',
    request: request(shipOrder(XY(), { channel: 'marketplace' }), [A(), { ...DC1(), priority: 10 }]),
  },
  {
    name: 'maxSplit leaves a line unfilled',
    profileId: 'test',
    request: request(
      shipOrder(lines(['X', 1], ['Y', 1], ['Z', 1], ['W', 1])),
      ['X', 'Y', 'Z', 'W'].map((sku, i) => location(`S${i + 1}`, i + 1, { [sku]: 1 })),
    ),
  },
  {
    name: 'pickup at the store',
    profileId: 'default',
    request: request(pickupOrder('B', XY()), [location('B', 10, { X: 2, Y: 1 }), A()]),
  },
  {
    name: 'pickup with ship-to-store',
    profileId: 'regional',
    request: request(pickupOrder('B', lines(['X', 1], ['Y', 1], ['Z', 1])), [
      location('B', 10, { X: 2 }),
      location('S7', 14, { Y: 3 }),
      DC1(),
    ]),
  },
  {
    name: 'pickup without ship-to-store',
    profileId: 'test',
    request: request(pickupOrder('B', XY()), [location('B', 10, { X: 2 }), A()]),
  },
  {
    name: 'large network, 6 lines',
    profileId: 'regional',
    request: request(
      shipOrder(lines(['K1', 1], ['K4', 2], ['K9', 1], ['K13', 1], ['K21', 3], ['K27', 1])),
      largeNetwork(7),
      { excludedLocationIds: ['S001', 'S002', 'S003'], now: '2026-12-01T11:15:00.000Z' },
    ),
  },
  {
    name: 'large network, pickup with ship-to-store',
    profileId: 'default',
    request: request(pickupOrder('S014', lines(['K2', 1], ['K5', 1], ['K8', 2])), largeNetwork(11)),
  },
  {
    name: 'large network, pickup at a store over capacity',
    profileId: 'default',
    request: request(pickupOrder('S018', lines(['K2', 1], ['K5', 1], ['K8', 2])), largeNetwork(11)),
  },
  {
    name: 'large network, 4 lines under the default profile',
    profileId: 'default',
    request: request(shipOrder(lines(['K3', 1], ['K17', 1], ['K22', 2], ['K29', 1])), largeNetwork(23)),
  },
  {
    name: 'large network, 2 lines under the default profile',
    profileId: 'default',
    request: request(shipOrder(lines(['K3', 1], ['K17', 1])), largeNetwork(23)),
  },
];

export const profileFor = (record: Pick<DecisionRecord, 'profileId' | 'profileVersion'>): SourcingProfile => {
  const found = PROFILES.find((p) => p.profileId === record.profileId && p.version === record.profileVersion);
  if (!found) throw new Error(`no profile ${record.profileId} v${record.profileVersion}`);
  return found;
};

export interface DecisionFixture {
  generatedBy: string;
  profiles: SourcingProfile[];
  decisions: { scenario: string; record: DecisionRecord }[];
}

function record(): DecisionFixture {
  return {
    generatedBy: 'npx tsx test/unit/fulfillment/scenarios.ts',
    profiles: PROFILES,
    decisions: SCENARIOS.map((s) => {
      const p = PROFILES.find((candidate) => candidate.profileId === s.profileId)!;
      return { scenario: s.name, record: source(s.request, p).decision };
    }),
  };
}

if (require.main === module) {
  writeFileSync(FIXTURE, `${JSON.stringify(record(), null, 2)}\n`);
  // In the project's JSON layout, so that `npm run lint` (biome check .) passes on the fixture.
  execFileSync(process.execPath, [require.resolve('@biomejs/biome/bin/biome'), 'format', '--write', FIXTURE]);
  console.log(`wrote ${SCENARIOS.length} decisions to ${FIXTURE}`);
}
