import { getDistance } from 'geolib';
import type { Delivery, LineInput } from '../schemas';
import type { Constraint, CountedUnits } from './allocation';
import type { ShortLine } from './errors';
import { type Location, type Position, sellable } from './stock';

/** Units of one line taken from one location. */
export interface Allocation {
  locationId: string;
  quantity: number;
}

export interface AllocatedLine {
  sku: string;
  quantity: number;
  allocations: Allocation[];
  /** Units counted in a channel's share rules when reserved, given back to them on release. */
  counted?: CountedUnits[];
}

/**
 * How many candidates a decision lists: the chosen locations and the best of the rest. The record
 * is stored with the order, and a network of thousands of locations must not push an order past
 * DynamoDB's 400 KB item limit; the count of the others is kept.
 */
export const MAX_DECISION_CANDIDATES = 20;

/** Why the lines were placed where they were, in words and in data. */
export interface SourcingDecision {
  rule: 'pickup-at-store' | 'fewest-locations-then-priority';
  summary: string;
  /** Candidates beyond {@link MAX_DECISION_CANDIDATES} that are counted, not listed. */
  candidatesOmitted?: number;
  candidates: {
    locationId: string;
    priority: number;
    distanceKm?: number;
    unitsAvailable: number;
    coversAllLines: boolean;
  }[];
  chosen: { locationId: string; reason: string; lines: { sku: string; quantity: number }[] }[];
}

/**
 * A placement another context decided (the fulfillment context's sourcing profiles): what it says,
 * the profile version, and its full record (which replays to the same plan).
 */
export interface ProfileDecision {
  rule: 'sourcing-profile';
  summary: string;
  profileId: string;
  profileVersion: number;
  /**
   * The full record (it replays to the same plan). Kept on the order only until it is routed: the
   * fulfillment context's routing record keeps it from then on, and the order stays small.
   */
  record?: Record<string, unknown>;
}

/** Why an order's lines were placed where they were: a profile's decision, or the built-in placement's. */
export type PlacementDecision = SourcingDecision | ProfileDecision;

export type SourcingResult =
  | { ok: true; lines: AllocatedLine[]; decision: SourcingDecision }
  | { ok: false; short: ShortLine[] };

export interface SourcingInput {
  lines: LineInput[];
  delivery: Delivery;
  /** Every known location, by id. */
  locations: Map<string, Location>;
  /** Positions of each ordered SKU, by SKU. */
  positions: Map<string, Position[]>;
  /** What the ordering channel may get of each SKU by this delivery (after its rules). */
  channelLimit: Map<string, number>;
  /**
   * The rules' limits on the channel per SKU, each over a scope of locations: placement never puts
   * more units in a scope than its cap (the reservation's transaction would refuse them).
   */
  constraints?: Map<string, Constraint[]>;
}

/**
 * Places each line at one or more locations. Pickup: the chosen store only. Ship: the fewest
 * locations that cover the order (a single location if any can; otherwise greedily the location that
 * covers most remaining units), ties broken by priority (lower first), then distance to the address,
 * then location id so that the same input always gives the same answer.
 */
export function sourceOrder(input: SourcingInput): SourcingResult {
  return input.delivery.type === 'pickup'
    ? sourcePickup(input, input.delivery.locationId)
    : sourceShip(input);
}

/** Sellable units by SKU and location, indexed once per input: placement asks for them often. */
const stockIndex = new WeakMap<SourcingInput, Map<string, number>>();

function stockAt(input: SourcingInput, sku: string, locationId: string): number {
  let index = stockIndex.get(input);
  if (!index) {
    index = new Map();
    for (const [key, positions] of input.positions) {
      for (const p of positions) index.set(`${key}\u0000${p.locationId}`, sellable(p));
    }
    stockIndex.set(input, index);
  }
  return index.get(`${sku}\u0000${locationId}`) ?? 0;
}

/** A location's units of a SKU within the caps of the rules whose scope holds it. */
function takeableAt(input: SourcingInput, sku: string, locationId: string): number {
  let units = stockAt(input, sku, locationId);
  for (const c of input.constraints?.get(sku) ?? []) {
    if (!c.scope || c.scope.has(locationId)) units = Math.min(units, c.cap);
  }
  return units;
}

function limitFor(input: SourcingInput, sku: string): number {
  return input.channelLimit.get(sku) ?? 0;
}

function sourcePickup(input: SourcingInput, locationId: string): SourcingResult {
  const short: ShortLine[] = [];
  for (const line of input.lines) {
    const available = Math.min(takeableAt(input, line.sku, locationId), limitFor(input, line.sku));
    if (available < line.quantity)
      short.push({ sku: line.sku, requested: line.quantity, available, locationId });
  }
  if (short.length > 0) return { ok: false, short };
  const location = input.locations.get(locationId);
  return {
    ok: true,
    lines: input.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      allocations: [{ locationId, quantity: l.quantity }],
    })),
    decision: {
      rule: 'pickup-at-store',
      summary: `Reserved at ${location?.name ?? locationId} (${locationId}), the pickup store the customer chose.`,
      candidates: [
        {
          locationId,
          priority: location?.priority ?? 0,
          unitsAvailable: input.lines.reduce(
            (sum, l) => sum + Math.min(l.quantity, stockAt(input, l.sku, locationId)),
            0,
          ),
          coversAllLines: true,
        },
      ],
      chosen: [
        {
          locationId,
          reason: 'pickup store chosen by the customer',
          lines: input.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        },
      ],
    },
  };
}

function sourceShip(input: SourcingInput): SourcingResult {
  // The channel's limit is checked per SKU before placing anything, so a short answer names what the
  // channel could have had, not what one location lacks.
  const short: ShortLine[] = [];
  for (const line of input.lines) {
    const shippable = [...input.locations.values()]
      .filter((loc) => loc.fulfils.includes('ship'))
      .reduce((sum, loc) => sum + stockAt(input, line.sku, loc.locationId), 0);
    const available = Math.min(shippable, limitFor(input, line.sku));
    if (available < line.quantity) short.push({ sku: line.sku, requested: line.quantity, available });
  }
  if (short.length > 0) return { ok: false, short };

  // What each rule still lets this order take in its scope, spent as lines are placed.
  const budgets = new Map(
    input.lines.map((l) => [l.sku, (input.constraints?.get(l.sku) ?? []).map((c) => ({ c, left: c.cap }))]),
  );
  const takeable = (sku: string, locationId: string) => {
    let units = stockAt(input, sku, locationId);
    for (const b of budgets.get(sku) ?? []) {
      if (!b.c.scope || b.c.scope.has(locationId)) units = Math.min(units, b.left);
    }
    return units;
  };
  const spend = (sku: string, locationId: string, quantity: number) => {
    for (const b of budgets.get(sku) ?? []) if (!b.c.scope || b.c.scope.has(locationId)) b.left -= quantity;
  };

  const address = input.delivery.type === 'ship' ? input.delivery.address : undefined;
  const candidates = [...input.locations.values()]
    .filter((loc) => loc.fulfils.includes('ship'))
    .map((loc) => {
      const distanceKm =
        address?.lat !== undefined && address.lon !== undefined
          ? Math.round(getDistance({ lat: address.lat, lon: address.lon }, loc.geo) / 100) / 10
          : undefined;
      const coversAllLines = input.lines.every((l) => takeable(l.sku, loc.locationId) >= l.quantity);
      const unitsAvailable = input.lines.reduce(
        (sum, l) => sum + Math.min(l.quantity, takeable(l.sku, loc.locationId)),
        0,
      );
      return { location: loc, distanceKm, coversAllLines, unitsAvailable };
    })
    .filter((c) => c.unitsAvailable > 0);

  const byPreference = (a: (typeof candidates)[number], b: (typeof candidates)[number]) =>
    a.location.priority - b.location.priority ||
    (a.distanceKm ?? 0) - (b.distanceKm ?? 0) ||
    a.location.locationId.localeCompare(b.location.locationId);

  const remaining = new Map(input.lines.map((l) => [l.sku, l.quantity]));
  const allocations = new Map<string, Allocation[]>(input.lines.map((l) => [l.sku, []]));
  const chosen: SourcingDecision['chosen'] = [];
  const pool = [...candidates];
  let first = true;

  while ([...remaining.values()].some((q) => q > 0) && pool.length > 0) {
    const covering = (c: (typeof candidates)[number]) =>
      [...remaining.entries()].reduce(
        (sum, [sku, q]) => sum + Math.min(q, takeable(sku, c.location.locationId)),
        0,
      );
    const score = new Map(pool.map((c) => [c, covering(c)]));
    pool.sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0) || byPreference(a, b));
    const best = pool.shift();
    if (!best || score.get(best) === 0) break;
    const takes: { sku: string; quantity: number }[] = [];
    for (const [sku, q] of remaining) {
      const take = Math.min(q, takeable(sku, best.location.locationId));
      if (take > 0) {
        spend(sku, best.location.locationId, take);
        takes.push({ sku, quantity: take });
        allocations.get(sku)?.push({ locationId: best.location.locationId, quantity: take });
        remaining.set(sku, q - take);
      }
    }
    const completes = [...remaining.values()].every((q) => q === 0);
    chosen.push({
      locationId: best.location.locationId,
      reason:
        first && completes
          ? 'holds every line; preferred by priority among the locations that do'
          : completes
            ? 'holds the rest of the order'
            : 'covers the most remaining units; preferred by priority on a tie',
      lines: takes,
    });
    first = false;
  }

  const unplaced = [...remaining.entries()].filter(([, q]) => q > 0);
  if (unplaced.length > 0) {
    return {
      ok: false,
      short: unplaced.map(([sku, q]) => {
        const requested = input.lines.find((l) => l.sku === sku)?.quantity ?? q;
        return { sku, requested, available: requested - q };
      }),
    };
  }

  const singleCandidates = candidates.filter((c) => c.coversAllLines).length;
  const listed = boundedCandidates(candidates, chosen, byPreference);
  const names = chosen.map((c) => input.locations.get(c.locationId)?.name ?? c.locationId);
  const summary =
    chosen.length === 1
      ? `Shipped from ${names[0]} (${chosen[0]?.locationId}) alone: ${singleCandidates} of ${candidates.length} ` +
        'candidate locations could ship the whole order, and it has the best priority among them.'
      : `Split across ${chosen.length} locations (${chosen.map((c) => c.locationId).join(', ')}): no single ` +
        'location holds every line, so each step took the location covering the most remaining units.';

  return {
    ok: true,
    lines: input.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      allocations: allocations.get(l.sku) ?? [],
    })),
    decision: {
      rule: 'fewest-locations-then-priority',
      summary,
      ...(listed.omitted > 0 ? { candidatesOmitted: listed.omitted } : {}),
      candidates: listed.candidates.map((c) => ({
        locationId: c.location.locationId,
        priority: c.location.priority,
        ...(c.distanceKm !== undefined ? { distanceKm: c.distanceKm } : {}),
        unitsAvailable: c.unitsAvailable,
        coversAllLines: c.coversAllLines,
      })),
      chosen,
    },
  };
}

/** The chosen locations first, then the most preferred of the others, up to the bound. */
function boundedCandidates<C extends { location: Location }>(
  candidates: C[],
  chosen: { locationId: string }[],
  byPreference: (a: C, b: C) => number,
): { candidates: C[]; omitted: number } {
  const chosenIds = new Set(chosen.map((c) => c.locationId));
  const picked = candidates.filter((c) => chosenIds.has(c.location.locationId));
  const others = candidates.filter((c) => !chosenIds.has(c.location.locationId)).sort(byPreference);
  const listed = [...picked, ...others.slice(0, Math.max(0, MAX_DECISION_CANDIDATES - picked.length))].sort(
    byPreference,
  );
  return { candidates: listed, omitted: candidates.length - listed.length };
}
