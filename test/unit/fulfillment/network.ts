/**
 * Builders for sourcing tests: a customer address in Berlin and locations placed at a given
 * distance north of it, so that a test reads in kilometres rather than coordinates.
 */
import {
  DEFAULT_PROFILE,
  type Filter,
  type SourcingProfile,
  type Strategy,
} from '../../../shared/fulfillment/domain/profile';
import type {
  CandidateLocation,
  SourcingLine,
  SourcingOrder,
  SourcingRequest,
} from '../../../shared/fulfillment/domain/sourcing';

export const NOW = '2026-12-01T10:00:00.000Z';
export const HOME = { lat: 52.52, lon: 13.405 };

/** Degrees of latitude per kilometre on geolib's sphere (radius 6,378,137 m). */
const DEG_PER_KM = 180 / (Math.PI * 6_378.137);

/** A point `km` north of the customer (negative: south). */
export const north = (km: number) => ({ lat: HOME.lat + km * DEG_PER_KM, lon: HOME.lon });

export function location(
  locationId: string,
  km: number,
  stock: Record<string, number>,
  overrides: Partial<CandidateLocation> = {},
): CandidateLocation {
  return {
    locationId,
    type: locationId.startsWith('DC') ? 'dc' : 'store',
    geo: north(km),
    country: 'DE',
    fulfils: locationId.startsWith('DC') ? ['ship'] : ['ship', 'pickup'],
    enabled: true,
    priority: 100,
    stock,
    ...overrides,
  };
}

export const lines = (...specs: [string, number][]): SourcingLine[] =>
  specs.map(([sku, quantity], i) => ({ lineId: `L${i + 1}`, sku, quantity }));

export function shipOrder(orderLines: SourcingLine[], overrides: Partial<SourcingOrder> = {}): SourcingOrder {
  return {
    orderId: 'O1',
    channel: 'web',
    lines: orderLines,
    delivery: { type: 'ship', address: { country: 'DE', region: 'BE', postalCode: '10115', ...HOME } },
    ...overrides,
  };
}

export function pickupOrder(storeId: string, orderLines: SourcingLine[]): SourcingOrder {
  return {
    orderId: 'O1',
    channel: 'web',
    lines: orderLines,
    delivery: { type: 'pickup', locationId: storeId },
  };
}

export function request(
  order: SourcingOrder,
  candidates: CandidateLocation[],
  extra: Partial<SourcingRequest> = {},
): SourcingRequest {
  return { order, candidates, now: NOW, ...extra };
}

export const BASE_FILTERS: Filter[] = [
  { name: 'enabled' },
  { name: 'fulfilsDeliveryType' },
  { name: 'channelAllowed' },
  { name: 'notExcluded' },
  { name: 'capacityLeft' },
];

export function strategy(name: string, overrides: Partial<Strategy> = {}): Strategy {
  return {
    name,
    conditions: {},
    filters: BASE_FILTERS,
    criteria: [{ name: 'fewestShipments' }, { name: 'distance' }, { name: 'priority' }],
    ...overrides,
  };
}

/** A profile with one primary strategy, no fallback, and the given defaults. */
export function profile(overrides: Partial<SourcingProfile> = {}): SourcingProfile {
  return {
    profileId: 'test',
    version: 1,
    status: 'active',
    defaults: { maxSplit: 3 },
    strategies: [strategy('nearest')],
    fallbacks: [],
    ...overrides,
  };
}

export { DEFAULT_PROFILE };
