import type { Principal } from '../../platform/principals';
import type { ChannelRule, Location, Position } from './stock';
import { sellable } from './stock';

/**
 * Channel allocation rules, settled exactly. A SKU under rules has one allocation item that every
 * reservation of it moves in the same transaction as the positions, with a condition per rule:
 *
 * - `protectUnits` (N units kept for channel S): `atp[rule]` is what is sellable in the rule's
 *   scope (the network, or its locations); a reservation by another channel needs
 *   `atp ≥ quantity + the units protected for others in that scope`.
 * - `maxShareOfAtp` (channel C at most p%): the channel may hold at most ⌊p·(atp + held)/100⌋ units
 *   of the scope, where `held` is what C took under the rule and has not given back. `room[rule]` is
 *   what C may still take; C's reservation needs `room ≥ quantity`.
 *
 * Between two recomputations (each stock change, through the stream) writes only ever lower `atp`
 * and `room` (another channel's reservation lowers C's room by ⌈p·q/100⌉, the most its cap can
 * fall), so no burst of concurrent orders can take what a rule keeps; a release or a receipt raises
 * them only when the state is recomputed from the positions.
 */
export interface AllocationState {
  /** 0 when nothing is stored yet; every write of the item moves it. */
  version: number;
  /**
   * The rules and the closed locations the state was computed for ({@link ruleSetOf}); a
   * reservation refuses another set, so placement recomputes the state after either changes.
   */
  ruleSet: string;
  /** The version of the rule book it was computed from: a state for older rules never replaces it. */
  rulesVersion: number;
  atp: Record<string, number>;
  room: Record<string, number>;
  /** By {@link heldKey}: units a channel holds under a share rule. */
  held: Record<string, number>;
}

/** Units of a line counted in a share rule's `held`, given back when the line is released. */
export interface CountedUnits {
  key: string;
  quantity: number;
}

/** A share rule's count of held units starts over when the rule names another channel. */
export const heldKey = (rule: Pick<ChannelRule, 'ruleId' | 'channel'>) => `${rule.ruleId}:${rule.channel}`;

export const rulesFor = (rules: ChannelRule[], sku: string): ChannelRule[] =>
  rules.filter((r) => !r.skus || r.skus.includes(sku));

export const inScope = (rule: Pick<ChannelRule, 'locations'>, locationId: string): boolean =>
  !rule.locations || rule.locations.includes(locationId);

/**
 * The applicable rules as they were when the state was computed (ids and their last change) and the
 * SKU's locations that were closed then: closing or opening one moves what every rule counts.
 */
export function ruleSetOf(rules: ChannelRule[], closed: string[] = []): string {
  const text = `${rules
    .map((r) => `${r.ruleId}@${r.updatedAt}`)
    .sort()
    .join(',')}|${[...closed].sort().join(',')}`;
  let hash = 5381;
  for (let i = 0; i < text.length; i++) hash = ((hash * 33) ^ text.charCodeAt(i)) >>> 0;
  return `${rules.length}:${hash.toString(36)}`;
}

/**
 * The state as the positions say it is now: `atp` per rule from the sellable units of active
 * locations in its scope; `held` kept from the previous state (it is not derivable from positions);
 * `room` from both.
 */
export function recomputeAllocation(
  sku: string,
  positions: Pick<Position, 'locationId' | 'available'>[],
  locations: ReadonlyMap<string, Pick<Location, 'fulfils'>>,
  rules: ChannelRule[],
  previous?: AllocationState,
  rulesVersion = 0,
): Omit<AllocationState, 'version'> {
  const applicable = rulesFor(rules, sku);
  const isActive = (p: Pick<Position, 'locationId'>) =>
    (locations.get(p.locationId)?.fulfils.length ?? 0) > 0;
  const active = positions.filter(isActive);
  const closed = applicable.length > 0 ? positions.filter((p) => !isActive(p)).map((p) => p.locationId) : [];
  const state: Omit<AllocationState, 'version'> = {
    ruleSet: ruleSetOf(applicable, closed),
    rulesVersion,
    atp: {},
    room: {},
    held: {},
  };
  for (const rule of applicable) {
    const atp = active.filter((p) => inScope(rule, p.locationId)).reduce((s, p) => s + sellable(p), 0);
    state.atp[rule.ruleId] = atp;
    if (rule.type === 'maxShareOfAtp') {
      const held = Math.max(0, previous?.held[heldKey(rule)] ?? 0);
      state.held[heldKey(rule)] = held;
      state.room[rule.ruleId] = Math.floor((rule.percent * (atp + held)) / 100) - held;
    }
  }
  return state;
}

export const sameAllocation = (a: Omit<AllocationState, 'version'>, b: Omit<AllocationState, 'version'>) =>
  a.ruleSet === b.ruleSet &&
  a.rulesVersion === b.rulesVersion &&
  sameRecord(a.atp, b.atp) &&
  sameRecord(a.room, b.room) &&
  sameRecord(a.held, b.held);

const sameRecord = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** A limit one rule puts on one channel: at most `cap` units from the locations of `scope`. */
export interface Constraint {
  ruleId: string;
  name: string;
  /** Undefined: the whole network. */
  scope?: ReadonlySet<string>;
  cap: number;
  describe(before: number, after: number): string;
}

const scopeWords = (rule: ChannelRule) => (rule.locations ? ` at ${rule.locations.join(', ')}` : '');

const containsScope = (outer: ChannelRule, inner: ChannelRule) =>
  !outer.locations || (inner.locations?.every((l) => outer.locations?.includes(l)) ?? false);

/**
 * What the rules allow `channel` of a SKU: one constraint per rule that limits it, in the order they
 * are explained (protections, then shares). Units protected for other channels add up within a
 * scope. `ops` is never limited.
 */
export function constraintsFor(
  channel: Principal,
  rules: ChannelRule[],
  state: Pick<AllocationState, 'atp' | 'room' | 'held'>,
): Constraint[] {
  if (channel === 'ops') return [];
  const protections = rules.filter(
    (r): r is Extract<ChannelRule, { type: 'protectUnits' }> =>
      r.type === 'protectUnits' && r.channel !== channel && r.units > 0,
  );
  const constraints: Constraint[] = protections.map((rule) => {
    const protectedUnits = protectedWithin(rule, protections);
    const atp = state.atp[rule.ruleId] ?? 0;
    return {
      ruleId: rule.ruleId,
      name: rule.name,
      ...(rule.locations ? { scope: new Set(rule.locations) } : {}),
      cap: Math.max(0, atp - protectedUnits),
      describe: (before, after) =>
        `${rule.units} units protected for ${rule.channel}${scopeWords(rule)}: ${before} → ${after}`,
    };
  });
  for (const rule of rules) {
    if (rule.type !== 'maxShareOfAtp' || rule.channel !== channel) continue;
    const atp = state.atp[rule.ruleId] ?? 0;
    const held = state.held[heldKey(rule)] ?? 0;
    const room = state.room[rule.ruleId] ?? 0;
    constraints.push({
      ruleId: rule.ruleId,
      name: rule.name,
      ...(rule.locations ? { scope: new Set(rule.locations) } : {}),
      cap: Math.max(0, room),
      describe: (before, after) =>
        `at most ${rule.percent}% of ${rule.locations ? `ATP${scopeWords(rule)}` : 'network ATP'} ${atp + held}` +
        `${held > 0 ? ` (${held} already held by ${channel})` : ''}: ${before} → ${after}`,
    });
  }
  return constraints;
}

/** Units protected for channels other than the one asking, within the scope of `rule`. */
const protectedWithin = (
  rule: Extract<ChannelRule, { type: 'protectUnits' }>,
  protections: Extract<ChannelRule, { type: 'protectUnits' }>[],
) => protections.filter((p) => containsScope(rule, p)).reduce((s, p) => s + p.units, 0);

/** What the channel may take in all from `units` (sellable units by location), and why it is not more. */
export interface ConstrainedTotal {
  total: number;
  applied: { ruleId: string; name: string; effect: string }[];
}

/**
 * The most a channel can take from these locations under laminar constraints (any two scopes are
 * nested or disjoint, which rule validation ensures): each scope takes the least of its cap and
 * what its locations and inner scopes give. Taking greedily up to each location's figure reaches
 * this total whatever the order, so placement can fill any quantity up to it.
 */
export function constrainedTotal(
  units: ReadonlyMap<string, number>,
  constraints: Constraint[],
): ConstrainedTotal {
  const size = (c: Constraint) => c.scope?.size ?? Number.POSITIVE_INFINITY;
  const nodes = constraints
    .map((c, index) => ({ c, index }))
    .sort((a, b) => size(a.c) - size(b.c) || a.index - b.index);
  const contains = (outer: Constraint, inner: Constraint) =>
    !outer.scope || (inner.scope !== undefined && [...inner.scope].every((l) => outer.scope?.has(l)));
  const parent = nodes.map((node, i) => nodes.findIndex((other, j) => j > i && contains(other.c, node.c)));
  const value: number[] = [];
  const covered: Set<string>[] = [];
  const applied: { index: number; ruleId: string; name: string; effect: string }[] = [];
  nodes.forEach((node, i) => {
    const children = nodes.map((_, j) => j).filter((j) => parent[j] === i);
    const inner = new Set(children.flatMap((j) => [...(covered[j] ?? [])]));
    let before = children.reduce((s, j) => s + (value[j] ?? 0), 0);
    const mine = new Set<string>(inner);
    for (const [locationId, n] of units) {
      const inside = !node.c.scope || node.c.scope.has(locationId);
      if (inside && !inner.has(locationId)) before += n;
      if (inside) mine.add(locationId);
    }
    const after = Math.min(before, node.c.cap);
    if (after < before)
      applied.push({
        index: node.index,
        ruleId: node.c.ruleId,
        name: node.c.name,
        effect: node.c.describe(before, after),
      });
    value[i] = after;
    covered[i] = mine;
  });
  const roots = nodes.map((_, i) => i).filter((i) => parent[i] === -1);
  const rootCovered = new Set(roots.flatMap((i) => [...(covered[i] ?? [])]));
  let total = roots.reduce((s, i) => s + (value[i] ?? 0), 0);
  for (const [locationId, n] of units) if (!rootCovered.has(locationId)) total += n;
  return {
    total,
    applied: applied.sort((a, b) => a.index - b.index).map(({ index: _i, ...rest }) => rest),
  };
}

/** What the channel may take at one location: its units, within every cap whose scope holds it. */
export const constrainedAt = (locationId: string, units: number, constraints: Constraint[]): number =>
  constraints.reduce((n, c) => (!c.scope || c.scope.has(locationId) ? Math.min(n, c.cap) : n), units);

/**
 * Whether a new scope keeps the rules laminar (any two scopes nested or disjoint); the rule ids it
 * would partly overlap otherwise.
 */
export function overlappingScopes(
  candidate: Pick<ChannelRule, 'ruleId' | 'locations'>,
  rules: ChannelRule[],
): string[] {
  if (!candidate.locations) return [];
  const mine = new Set(candidate.locations);
  return rules
    .filter((r) => r.ruleId !== candidate.ruleId && r.locations)
    .filter((r) => {
      const theirs = new Set(r.locations);
      const shared = [...mine].filter((l) => theirs.has(l)).length;
      return shared > 0 && shared < mine.size && shared < theirs.size;
    })
    .map((r) => r.ruleId);
}

/** The units of a reservation that fall in each applicable rule's scope. */
export function unitsByRule(rules: ChannelRule[], allocations: { locationId: string; quantity: number }[]) {
  return rules
    .map((rule) => ({
      rule,
      quantity: allocations.filter((a) => inScope(rule, a.locationId)).reduce((s, a) => s + a.quantity, 0),
    }))
    .filter((r) => r.quantity > 0);
}

/**
 * How one reservation of a SKU moves its allocation item: per rule the decrement and the floor it
 * must respect (`atLeast`: the attribute must be at least this before the write), plus the units
 * counted in the channel's `held`.
 */
export interface AllocationMove {
  ruleSet: string;
  decrements: { attribute: string; by: number; atLeast?: number }[];
  increments: { attribute: string; by: number }[];
  counted: CountedUnits[];
}

export const atpAttribute = (ruleId: string) => `atp:${ruleId}`;
export const roomAttribute = (ruleId: string) => `room:${ruleId}`;
export const heldAttribute = (key: string) => `held:${key}`;

export function reservationMove(
  channel: Principal,
  rules: ChannelRule[],
  ruleSet: string,
  allocations: { locationId: string; quantity: number }[],
): AllocationMove | undefined {
  const touched = unitsByRule(rules, allocations);
  if (touched.length === 0) return undefined;
  const protections = rules.filter(
    (r): r is Extract<ChannelRule, { type: 'protectUnits' }> =>
      r.type === 'protectUnits' && r.channel !== channel && r.units > 0 && channel !== 'ops',
  );
  const move: AllocationMove = { ruleSet, decrements: [], increments: [], counted: [] };
  for (const { rule, quantity } of touched) {
    if (rule.type === 'protectUnits') {
      const guarded = protections.includes(rule);
      move.decrements.push({
        attribute: atpAttribute(rule.ruleId),
        by: quantity,
        ...(guarded ? { atLeast: quantity + protectedWithin(rule, protections) } : {}),
      });
      continue;
    }
    move.decrements.push({ attribute: atpAttribute(rule.ruleId), by: quantity });
    if (rule.channel === channel) {
      move.decrements.push({ attribute: roomAttribute(rule.ruleId), by: quantity, atLeast: quantity });
      move.increments.push({ attribute: heldAttribute(heldKey(rule)), by: quantity });
      move.counted.push({ key: heldKey(rule), quantity });
    } else {
      move.decrements.push({
        attribute: roomAttribute(rule.ruleId),
        by: Math.ceil((rule.percent * quantity) / 100),
      });
    }
  }
  return move;
}

/** A fall in stock (a count or an adjustment) lowers what the rules may give at once. */
export function stockFallMove(
  rules: ChannelRule[],
  ruleSet: string,
  locationId: string,
  fall: number,
): AllocationMove | undefined {
  if (fall <= 0) return undefined;
  return reservationMove('ops', rules, ruleSet, [{ locationId, quantity: fall }]);
}

/** How one SKU's network ATP was turned into what a channel may sell, for explanations. */
export interface ChannelAvailability {
  sku: string;
  channel: Principal;
  networkAtp: number;
  available: number;
  appliedRules: { ruleId: string; name: string; effect: string }[];
}

const unitsOf = (positions: Pick<Position, 'locationId' | 'available'>[]) =>
  new Map(positions.map((p) => [p.locationId, sellable(p)]));

/**
 * What a channel may sell of a SKU across these positions: network ATP (their sellable units), less
 * units protected for other channels, within the channel's share rules. Without a stored `state`
 * the rules are measured from the positions themselves, with nothing held yet. `ops` sees the raw ATP.
 */
export function channelAvailability(
  sku: string,
  channel: Principal,
  positions: Pick<Position, 'locationId' | 'available'>[],
  rules: ChannelRule[],
  state?: Pick<AllocationState, 'atp' | 'room' | 'held'>,
): ChannelAvailability {
  const applicable = rulesFor(rules, sku);
  const everywhere = new Map(positions.map((p) => [p.locationId, { fulfils: ['ship' as const] }]));
  const measured = state ?? recomputeAllocation(sku, positions, everywhere, applicable);
  const units = unitsOf(positions);
  const limited = constrainedTotal(units, constraintsFor(channel, applicable, measured));
  const networkAtp = [...units.values()].reduce((s, n) => s + n, 0);
  return { sku, channel, networkAtp, available: limited.total, appliedRules: limited.applied };
}

/**
 * What a channel may get of a SKU by each fulfilment method: `ship` from the locations that ship
 * (their sellable units together, within the channel's rules), and `pickup` at each store that
 * offers it (its own sellable units, within the rules that cover it). Order placement checks exactly
 * these numbers against the same state, so what this says is what an order by that method can
 * reserve.
 */
export interface MethodAvailability {
  sku: string;
  ship: number;
  pickup: { locationId: string; available: number }[];
  channel: ChannelAvailability;
  constraints: Constraint[];
}

export function availabilityByMethod(
  sku: string,
  channel: Principal,
  positions: Pick<Position, 'locationId' | 'available'>[],
  locations: ReadonlyMap<string, Pick<Location, 'fulfils'>>,
  rules: ChannelRule[],
  state?: Pick<AllocationState, 'atp' | 'room' | 'held'>,
): MethodAvailability {
  const applicable = rulesFor(rules, sku);
  const measured = state ?? recomputeAllocation(sku, positions, locations, applicable);
  const constraints = constraintsFor(channel, applicable, measured);
  const fulfils = (locationId: string, method: 'ship' | 'pickup') =>
    locations.get(locationId)?.fulfils.includes(method) ?? false;
  const active = positions.filter((p) => (locations.get(p.locationId)?.fulfils.length ?? 0) > 0);
  const network = constrainedTotal(unitsOf(active), constraints);
  const ship = constrainedTotal(unitsOf(positions.filter((p) => fulfils(p.locationId, 'ship'))), constraints);
  const applied = [...network.applied];
  for (const rule of ship.applied) if (!applied.some((a) => a.ruleId === rule.ruleId)) applied.push(rule);
  return {
    sku,
    ship: ship.total,
    pickup: positions
      .filter((p) => fulfils(p.locationId, 'pickup'))
      .map((p) => ({
        locationId: p.locationId,
        available: constrainedAt(p.locationId, sellable(p), constraints),
      })),
    channel: {
      sku,
      channel,
      networkAtp: active.reduce((s, p) => s + sellable(p), 0),
      available: network.total,
      appliedRules: applied,
    },
    constraints,
  };
}
