/**
 * The sourcing engine: which locations fulfil which lines of an order, and why. Pure and
 * deterministic: the same request and profile give a deep-equal result, so a decision can be
 * replayed from its record (see `replay.ts`) and explained to the people who run the network.
 *
 * How a plan is built, in short (the profile's doc comments say what each part means):
 * 1. Strategies are matched on the order; the first matching one is primary, and the matching
 *    fallbacks follow in profile order. Each runs as a phase over the lines still unfilled.
 * 2. A phase keeps the candidates that pass all of its filters, then fills in rounds. In each round
 *    a location that can take every remaining line wins over any that cannot (so an order one
 *    location can fill is never split); among equals the strategy's criteria decide,
 *    lexicographically, then the location id. The winner takes every remaining line it can.
 * 3. A line is filled by one location, whole: quantities are never split across locations.
 * 4. The number of groups across all phases is at most `defaults.maxSplit`.
 * 5. A pickup order first takes what the pickup store holds; with `allowShipToStore` the rest is
 *    shipped to the store from locations ranked by distance to the store (`transferTo`).
 * 6. When one location can fill a phase's lines and the profile has a split rule, the split the
 *    strategy's ranking would build instead is priced (see `evaluateSplitRule`) and taken if it
 *    saves more than a threshold.
 * 7. Each criterion scores 0..1 from one candidate's own data (`1 / (1 + value / scale)` for
 *    distances, priorities and costs; shares for stock, capacity and lines; 1 or 0 for the cutoff),
 *    never relative to the other candidates, so dropping a candidate never reorders the rest.
 * 8. The decision record lists at most {@link MAX_LISTED_CANDIDATES} candidates and keeps in its
 *    `input` only the candidates the plan depends on (see `replayCandidates`), so it stays small
 *    for any network and still replays to the same plan.
 */
import { getDistance } from 'geolib';
import type {
  Criterion,
  CriterionName,
  DeliveryType,
  Filter,
  FilterName,
  SourcingProfile,
  Strategy,
  StrategyConditions,
} from './profile';

export interface SourcingLine {
  lineId?: string;
  sku: string;
  /** A positive integer. */
  quantity: number;
  category?: string;
  unitPriceMinor?: number;
}

export interface ShipAddress {
  country: string;
  region?: string;
  postalCode: string;
  lat?: number;
  lon?: number;
}

export type SourcingDelivery =
  | { type: 'ship'; address: ShipAddress }
  | { type: 'pickup'; locationId: string };

export interface SourcingOrder {
  orderId: string;
  channel: string;
  lines: SourcingLine[];
  /** The order's value for strategy conditions; else the sum of line prices when every line has one. */
  orderValueMinor?: number;
  currency?: string;
  delivery: SourcingDelivery;
}

export interface CandidateLocation {
  locationId: string;
  type: 'store' | 'dc';
  geo: { lat: number; lon: number };
  country: string;
  /** Already reflects the location's status: a closed location fulfils nothing. */
  fulfils: DeliveryType[];
  enabled: boolean;
  /** Lower is preferred; {@link DEFAULT_PRIORITY} when absent. */
  priority?: number;
  /** Channels this location serves; absent means every channel. */
  channels?: string[];
  /** Orders per day; absent means no limit. */
  dailyCapacity?: number;
  usedCapacityToday?: number;
  costPerShipmentMinor?: number;
  /** 'HH:MM' in UTC: a location can still ship today while now's time of day is before it. */
  carrierCutoff?: string;
  /** Sellable units for the ordering channel, by SKU. */
  stock: Record<string, number>;
}

export interface SourcingRequest {
  order: SourcingOrder;
  candidates: CandidateLocation[];
  /** Locations that rejected this order or timed out on it. */
  excludedLocationIds?: string[];
  /** ISO 8601; the only clock the engine reads. */
  now: string;
}

export interface PlannedLine {
  lineId?: string;
  sku: string;
  quantity: number;
}

export interface SourcingGroup {
  /** `${orderId}-G${n}`, numbered in plan order. */
  groupId: string;
  locationId: string;
  lines: PlannedLine[];
  /** Set on a ship-to-store group: the pickup store the units travel to. */
  transferTo?: string;
  /** Great-circle distance to the address (or, for a transfer, to the store), 0.1 km precision. */
  distanceKm?: number;
}

export type UnfilledReason =
  | 'noEligibleStock'
  | 'maxSplitReached'
  | 'notStockedAtPickupStore'
  | 'pickupStoreUnavailable'
  | 'noStrategyMatched';

export interface UnfilledLine extends PlannedLine {
  reason: UnfilledReason;
}

export interface FilterResult {
  name: FilterName;
  passed: boolean;
  reason?: string;
}

export interface CriterionScore {
  criterion: CriterionName;
  /** 0..1, higher is better, rounded to 4 decimals here (the ranking compares unrounded scores). */
  score: number;
  /** What the score was computed from: km, priority, minor units, orders, lines or units. */
  value?: number;
}

export interface CandidateVerdict {
  locationId: string;
  verdict: 'chosen' | 'eligible' | 'excluded';
  /** The strategy that chose it (chosen candidates only). */
  strategy?: string;
  filters: FilterResult[];
  scores: CriterionScore[];
}

export interface OtherCandidates {
  count: number;
  eligible: number;
  /** Not listed and excluded, counted by the first filter that excluded them. */
  excludedBy: Partial<Record<FilterName, number>>;
}

/** A split-rule check: the single location, the split the strategy's ranking would build instead. */
export interface SplitCheck {
  strategy: string;
  singleLocationId: string;
  /**
   * The locations of the alternative, in the order its rounds chose them: the split when it places
   * every line, else what fitted in the budget (`exceedsMaxSplit`) or the one location (`notASplit`).
   */
  splitLocationIds: string[];
  distanceSavedKm?: number;
  costSavedMinor?: number;
  applied: boolean;
  /**
   * `split`: a saving passed its threshold. `savesTooLittle`: none did. `notASplit`: the strategy's
   * ranking puts the single location first anyway. `exceedsMaxSplit`: no split fits in the budget.
   */
  result: 'split' | 'savesTooLittle' | 'notASplit' | 'exceedsMaxSplit';
}

export interface DecisionRecord {
  profileId: string;
  profileVersion: number;
  /** The primary strategy, or null when none matched the order. */
  strategy: string | null;
  fallbacksUsed: string[];
  at: string;
  /**
   * A request that gives the same plan when sourced again: the order, `now`, and the candidates
   * the plan depends on (see {@link replayCandidates}), with stock trimmed to the order's SKUs.
   */
  input: Required<SourcingRequest>;
  /** How many candidates the original request had (the input keeps only the decisive ones). */
  candidatesConsidered: number;
  /** At most {@link MAX_LISTED_CANDIDATES}: the chosen, then the best-ranked of the rest. */
  candidates: CandidateVerdict[];
  otherCandidates: OtherCandidates;
  splitChecks: SplitCheck[];
  plan: SourcingGroup[];
  unfilled: UnfilledLine[];
  explanation: string;
}

export interface SourcingResult {
  groups: SourcingGroup[];
  unfilled: UnfilledLine[];
  decision: DecisionRecord;
}

/**
 * How many candidates a decision lists. The record is stored with the order, and a network of
 * thousands of locations must not make it large; the rest are counted in `otherCandidates`.
 */
export const MAX_LISTED_CANDIDATES = 20;
export const DEFAULT_PRIORITY = 100;

/** Scales of the score curves `1 / (1 + value / scale)`: the value at which a score is 0.5. */
const DISTANCE_SCALE_M = 100_000;
const PRIORITY_SCALE = 100;
const COST_SCALE_MINOR = 1_000;

/**
 * `ship`: to the order's address. `atStore`: a pickup order from the pickup store's own stock.
 * `shipToStore`: a pickup order's remaining lines shipped to the store from other locations.
 */
type Mode = 'ship' | 'atStore' | 'shipToStore';

interface Phase {
  strategy: Strategy;
  fallback: boolean;
  mode: Mode;
  /** The strategy's filters plus the built-in ones (`pickupStore`, the default `maxDistance`). */
  filters: Filter[];
}

/** Everything derived once per request, so that no round recomputes it. */
interface Context {
  request: SourcingRequest;
  profile: SourcingProfile;
  lines: SourcingLine[];
  candidates: CandidateLocation[];
  /** Index of each line's SKU among the order's distinct SKUs. */
  lineSku: Int32Array;
  lineQty: Float64Array;
  skus: string[];
  duplicateSkus: boolean;
  /** Where distances are measured to: the address (ship) or the pickup store (pickup). */
  target?: { lat: number; lon: number };
  storeIndex: number;
  excluded: Set<string>;
  nowMinutes: number;
  /** Metres to the target per candidate; NaN until computed, -1 when unknown. */
  distanceM: Float64Array;
  /** Sellable units per candidate and distinct SKU (row-major), filled on first use. */
  stock: Int32Array;
  stockReady: Uint8Array;
  /** Scratch for orders that list one SKU on several lines. */
  usedBySku: Float64Array;
  take: { count: number; minFraction: number; minLeft: number };
}

/** One phase's ranking state: its eligible candidates and a row of criterion scores for each. */
interface PhaseState {
  phase: Phase;
  criteria: Criterion[];
  eligible: number[];
  /** Index of the first failing filter per candidate (-1: passed); kept for the display phase. */
  firstFail?: Int8Array;
  keys: Float64Array;
  /**
   * The display pass measured every candidate against the phase's starting lines: the first round
   * of the phase (and of its split-rule alternative) reads those counts and scores instead.
   */
  firstRound?: { rest: number[]; counts: Int32Array; keys: Float64Array };
}

interface RoundStats {
  rest: number[];
  eligible: number;
  completers: number;
  winner: number;
  winnerComplete: boolean;
  runnerUp: number;
}

interface Pick {
  candidate: number;
  lines: number[];
}

interface Fill {
  picks: Pick[];
  rest: number[];
  stoppedByBudget: boolean;
  first?: RoundStats;
}

interface PhaseOutcome {
  phase: Phase;
  state: PhaseState;
  startLines: number[];
  picks: Pick[];
  how: 'single' | 'split' | 'splitRule' | 'atStore' | 'none';
  first?: RoundStats;
  check?: SplitCheck;
}

/** Sources an order under a profile that passed `validateProfile`. */
export function source(request: SourcingRequest, profile: SourcingProfile): SourcingResult {
  const ctx = prepare(request, profile);
  const phases = planPhases(ctx);
  const used = new Uint8Array(ctx.candidates.length);
  const decisive = new Set<number>();
  if (ctx.storeIndex >= 0) decisive.add(ctx.storeIndex);
  const outcomes: PhaseOutcome[] = [];
  const splitChecks: SplitCheck[] = [];
  let remaining = ctx.lines.map((_, i) => i);
  let budget = profile.defaults.maxSplit;
  let budgetHit = false;
  let display: { state: PhaseState; keys: Float64Array; rest: number[] } | undefined;

  for (const phase of phases) {
    if (remaining.length === 0) break;
    const state = preparePhase(ctx, phase, used, display === undefined);
    if (!display) display = { state, keys: displayKeys(ctx, state, remaining), rest: remaining };
    const outcome = runPhase(ctx, state, remaining, budget, used, splitChecks, decisive);
    outcomes.push(outcome);
    for (const pick of outcome.picks) {
      used[pick.candidate] = 1;
      decisive.add(pick.candidate);
    }
    budget -= outcome.picks.length;
    if (outcome.stoppedByBudget) budgetHit = true;
    remaining = outcome.rest;
  }

  const groups = buildGroups(ctx, outcomes);
  const reason = unfilledReason(ctx, phases, outcomes, budgetHit);
  const unfilled = remaining.map((l) => ({ ...plannedLine(ctx.lines[l]!), reason }));
  const listing = listCandidates(ctx, display, outcomes);
  for (const c of listing.eligibleListed) decisive.add(c);
  const primary = phases.find((p) => !p.fallback)?.strategy.name ?? null;
  const fallbacksUsed = [
    ...new Set(
      outcomes.filter((o) => o.phase.fallback && o.picks.length > 0).map((o) => o.phase.strategy.name),
    ),
  ];
  return {
    groups,
    unfilled,
    decision: {
      profileId: profile.profileId,
      profileVersion: profile.version,
      strategy: primary,
      fallbacksUsed,
      at: request.now,
      input: replayInput(ctx, decisive),
      candidatesConsidered: ctx.candidates.length,
      candidates: listing.verdicts,
      otherCandidates: listing.others,
      splitChecks,
      plan: groups,
      unfilled,
      explanation: explain(ctx, phases, outcomes, display, unfilled),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Preparation

function prepare(request: SourcingRequest, profile: SourcingProfile): Context {
  const { order, candidates } = request;
  const instant = Date.parse(request.now);
  if (Number.isNaN(instant)) throw new RangeError(`now is not an ISO date-time: ${request.now}`);
  for (const line of order.lines) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) {
      throw new RangeError(
        `line ${line.lineId ?? line.sku} has quantity ${line.quantity}; a positive integer is needed`,
      );
    }
  }
  const skuIndex = new Map<string, number>();
  const lineSku = new Int32Array(order.lines.length);
  const lineQty = new Float64Array(order.lines.length);
  order.lines.forEach((line, i) => {
    let u = skuIndex.get(line.sku);
    if (u === undefined) {
      u = skuIndex.size;
      skuIndex.set(line.sku, u);
    }
    lineSku[i] = u;
    lineQty[i] = line.quantity;
  });
  const delivery = order.delivery;
  const storeIndex =
    delivery.type === 'pickup' ? candidates.findIndex((c) => c.locationId === delivery.locationId) : -1;
  const day = new Date(instant);
  return {
    request,
    profile,
    lines: order.lines,
    candidates,
    lineSku,
    lineQty,
    skus: [...skuIndex.keys()],
    duplicateSkus: skuIndex.size < order.lines.length,
    target: targetOf(order.delivery, candidates[storeIndex]),
    storeIndex,
    excluded: new Set(request.excludedLocationIds ?? []),
    nowMinutes: day.getUTCHours() * 60 + day.getUTCMinutes(),
    distanceM: new Float64Array(candidates.length).fill(Number.NaN),
    stock: new Int32Array(candidates.length * skuIndex.size),
    stockReady: new Uint8Array(candidates.length),
    usedBySku: new Float64Array(skuIndex.size),
    take: { count: 0, minFraction: 0, minLeft: 0 },
  };
}

function targetOf(delivery: SourcingDelivery, store: CandidateLocation | undefined) {
  if (delivery.type === 'pickup') return store?.geo;
  const { lat, lon } = delivery.address;
  return lat !== undefined && lon !== undefined ? { lat, lon } : undefined;
}

/** Metres from a candidate to the target, computed once per candidate and request. */
function distanceOf(ctx: Context, c: number): number | undefined {
  let d = ctx.distanceM[c]!;
  if (Number.isNaN(d)) {
    d = ctx.target ? getDistance(ctx.target, ctx.candidates[c]!.geo) : -1;
    ctx.distanceM[c] = d;
  }
  return d < 0 ? undefined : d;
}

const toKm = (metres: number) => Math.round(metres / 100) / 10;

/** Stock is held in 32-bit integers; more units than this at one location count as this many. */
const MAX_UNITS = 2 ** 31 - 1;

/** Units of each ordered SKU at a candidate: non-numbers and negatives count as 0, fractions round down. */
function ensureStock(ctx: Context, c: number): number {
  const base = c * ctx.skus.length;
  if (ctx.stockReady[c] === 0) {
    const stock = ctx.candidates[c]!.stock;
    for (let u = 0; u < ctx.skus.length; u++) {
      const v = stock[ctx.skus[u]!];
      ctx.stock[base + u] = typeof v === 'number' && v > 0 ? Math.min(Math.floor(v), MAX_UNITS) : 0;
    }
    ctx.stockReady[c] = 1;
  }
  return base;
}

// ---------------------------------------------------------------------------------------------
// Strategies and phases

function orderValue(order: SourcingOrder): number | undefined {
  if (order.orderValueMinor !== undefined) return order.orderValueMinor;
  let sum = 0;
  for (const line of order.lines) {
    if (line.unitPriceMinor === undefined) return undefined;
    sum += line.unitPriceMinor * line.quantity;
  }
  return sum;
}

/** Every listed condition must hold. An order without a known value fails a value condition. */
export function conditionsMatch(
  conditions: StrategyConditions,
  order: SourcingOrder,
  pickupStore?: CandidateLocation,
): boolean {
  const { delivery } = order;
  if (conditions.channels && !conditions.channels.includes(order.channel)) return false;
  if (conditions.deliveryTypes && !conditions.deliveryTypes.includes(delivery.type)) return false;
  if (conditions.minOrderValueMinor !== undefined || conditions.maxOrderValueMinor !== undefined) {
    const value = orderValue(order);
    if (value === undefined) return false;
    if (conditions.minOrderValueMinor !== undefined && value < conditions.minOrderValueMinor) return false;
    if (conditions.maxOrderValueMinor !== undefined && value > conditions.maxOrderValueMinor) return false;
  }
  if (conditions.categories) {
    const wanted = conditions.categories;
    if (!order.lines.some((l) => l.category !== undefined && wanted.includes(l.category))) return false;
  }
  const country = delivery.type === 'ship' ? delivery.address.country : pickupStore?.country;
  if (conditions.countries && (country === undefined || !conditions.countries.includes(country)))
    return false;
  const region = delivery.type === 'ship' ? delivery.address.region : undefined;
  if (conditions.regions && (region === undefined || !conditions.regions.includes(region))) return false;
  return true;
}

/**
 * The phases in the order they run. Pickup: every strategy first tries the store's own stock, and
 * only then (with `allowShipToStore`, and a store that takes pickups) ships the rest to the store,
 * because a transfer is slower and dearer than stock already on the shelf.
 */
function planPhases(ctx: Context): Phase[] {
  const { profile, request } = ctx;
  const store = ctx.candidates[ctx.storeIndex];
  const matches = (s: Strategy) => conditionsMatch(s.conditions, request.order, store);
  const primary = profile.strategies.find(matches);
  const chain = [
    ...(primary ? [{ strategy: primary, fallback: false }] : []),
    ...profile.fallbacks.filter(matches).map((strategy) => ({ strategy, fallback: true })),
  ];
  const phase = (s: { strategy: Strategy; fallback: boolean }, mode: Mode): Phase => ({
    ...s,
    mode,
    filters: effectiveFilters(s.strategy, mode, profile.defaults.maxDistanceKm),
  });
  if (request.order.delivery.type === 'ship') return chain.map((s) => phase(s, 'ship'));
  const atStore = chain.map((s) => phase(s, 'atStore'));
  if (!profile.defaults.allowShipToStore || !store || !takesPickups(store)) return atStore;
  return [...atStore, ...chain.map((s) => phase(s, 'shipToStore'))];
}

/** A transfer destination must be open for pickups; a reject only stops the use of its own stock. */
const takesPickups = (store: CandidateLocation) => store.enabled && store.fulfils.includes('pickup');

function effectiveFilters(strategy: Strategy, mode: Mode, defaultMaxKm: number | undefined): Filter[] {
  const filters = [...strategy.filters];
  if (mode !== 'ship' && !filters.some((f) => f.name === 'pickupStore'))
    filters.unshift({ name: 'pickupStore' });
  if (defaultMaxKm !== undefined && !filters.some((f) => f.name === 'maxDistance')) {
    filters.push({ name: 'maxDistance', km: defaultMaxKm });
  }
  return filters;
}

// ---------------------------------------------------------------------------------------------
// Filters

/** Why a filter excludes a candidate, or undefined when it passes. */
function filterFailure(ctx: Context, filter: Filter, mode: Mode, c: number): string | undefined {
  const loc = ctx.candidates[c]!;
  switch (filter.name) {
    case 'enabled':
      return loc.enabled ? undefined : 'disabled';
    case 'fulfilsDeliveryType': {
      const needed: DeliveryType = mode === 'atStore' ? 'pickup' : 'ship';
      if (loc.fulfils.includes(needed)) return undefined;
      return needed === 'ship' ? 'does not ship now' : 'does not take pickups now';
    }
    case 'channelAllowed': {
      const channel = ctx.request.order.channel;
      return !loc.channels || loc.channels.includes(channel)
        ? undefined
        : `does not serve channel ${channel}`;
    }
    case 'capacityLeft': {
      if (loc.dailyCapacity === undefined) return undefined;
      const used = loc.usedCapacityToday ?? 0;
      return used < loc.dailyCapacity
        ? undefined
        : `no capacity left today (${used} of ${loc.dailyCapacity})`;
    }
    case 'notExcluded':
      return ctx.excluded.has(loc.locationId) ? 'excluded after a reject or timeout' : undefined;
    case 'maxDistance': {
      if (mode === 'atStore') return undefined;
      const d = distanceOf(ctx, c);
      if (d === undefined) return 'distance unknown (the address has no coordinates)';
      return d <= filter.km * 1000 ? undefined : `${toKm(d)} km away, over ${filter.km} km`;
    }
    case 'pickupStore':
      if (mode === 'atStore') return c === ctx.storeIndex ? undefined : 'not the pickup store';
      if (mode === 'shipToStore') return c === ctx.storeIndex ? 'is the pickup store itself' : undefined;
      return undefined;
  }
}

function firstFailing(ctx: Context, filters: Filter[], mode: Mode, c: number): number {
  for (let i = 0; i < filters.length; i++) {
    if (filterFailure(ctx, filters[i]!, mode, c) !== undefined) return i;
  }
  return -1;
}

function filterResults(ctx: Context, phase: Phase, c: number): FilterResult[] {
  return phase.filters.map((filter) => {
    const reason = filterFailure(ctx, filter, phase.mode, c);
    return reason === undefined
      ? { name: filter.name, passed: true }
      : { name: filter.name, passed: false, reason };
  });
}

// ---------------------------------------------------------------------------------------------
// Criteria: each a score in 0..1, higher is better, from one candidate's data alone. No score is
// normalised against the other candidates, so removing a candidate never reorders the rest: that
// is what lets a record keep only the decisive candidates and still replay exactly.

const isDynamic = (name: CriterionName) => name === 'fewestShipments' || name === 'mostStock';

const curve = (value: number, scale: number) => 1 / (1 + Math.max(0, value) / scale);

function parseCutoff(cutoff: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(cutoff);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** Scores that depend on the candidate only (computed once per phase). */
function staticScore(ctx: Context, criterion: Criterion, c: number): number {
  const loc = ctx.candidates[c]!;
  switch (criterion.name) {
    case 'distance': {
      const d = distanceOf(ctx, c);
      if (d === undefined) return 0;
      if (criterion.bandKm === undefined) return curve(d, DISTANCE_SCALE_M);
      const band = criterion.bandKm * 1000;
      return curve(Math.floor(d / band) * band, DISTANCE_SCALE_M);
    }
    case 'priority':
      return curve(loc.priority ?? DEFAULT_PRIORITY, PRIORITY_SCALE);
    case 'costPerShipment':
      // An unknown cost is not assumed free: it ranks below every known cost.
      return loc.costPerShipmentMinor === undefined ? 0 : curve(loc.costPerShipmentMinor, COST_SCALE_MINOR);
    case 'capacityLeft': {
      if (loc.dailyCapacity === undefined) return 1;
      if (loc.dailyCapacity <= 0) return 0;
      return Math.max(0, loc.dailyCapacity - (loc.usedCapacityToday ?? 0)) / loc.dailyCapacity;
    }
    case 'carrierCutoff':
      return canShipToday(ctx, loc) ? 1 : 0;
    default:
      return 0;
  }
}

/** No cutoff: ships whenever. An unreadable cutoff is treated as missed, never as a promise. */
function canShipToday(ctx: Context, loc: CandidateLocation): boolean {
  if (loc.carrierCutoff === undefined) return true;
  const cutoff = parseCutoff(loc.carrierCutoff);
  return cutoff !== undefined && ctx.nowMinutes < cutoff;
}

/** Scores that depend on the lines still to fill, from the last `measureTake`. */
function dynamicScore(ctx: Context, criterion: Criterion, restLength: number): number {
  if (criterion.name === 'fewestShipments') return restLength === 0 ? 0 : ctx.take.count / restLength;
  return ctx.take.count === 0 ? 0 : ctx.take.minFraction;
}

/**
 * What a candidate could take of `rest`: each line whole, in line order, from stock not already
 * promised to an earlier line of the same SKU. Sets `ctx.take`; returns the count of lines.
 * `minFraction` is the smallest share of a taken SKU's stock left after the pick (mostStock).
 */
function measureTake(ctx: Context, c: number, rest: number[]): number {
  const base = ensureStock(ctx, c);
  const { stock, lineSku, lineQty } = ctx;
  let count = 0;
  let minFraction = 1;
  let minLeft = Number.POSITIVE_INFINITY;
  if (!ctx.duplicateSkus) {
    for (const l of rest) {
      const s = stock[base + lineSku[l]!]!;
      const q = lineQty[l]!;
      if (s >= q) {
        count++;
        const left = s - q;
        if (left / s < minFraction) minFraction = left / s;
        if (left < minLeft) minLeft = left;
      }
    }
  } else {
    const used = ctx.usedBySku;
    for (const l of rest) {
      const u = lineSku[l]!;
      if (stock[base + u]! - used[u]! >= lineQty[l]!) {
        used[u] = used[u]! + lineQty[l]!;
        count++;
      }
    }
    for (const l of rest) {
      const u = lineSku[l]!;
      if (used[u]! > 0) {
        const s = stock[base + u]!;
        const left = s - used[u]!;
        if (left / s < minFraction) minFraction = left / s;
        if (left < minLeft) minLeft = left;
        used[u] = 0;
      }
    }
  }
  ctx.take.count = count;
  ctx.take.minFraction = minFraction;
  ctx.take.minLeft = count === 0 ? 0 : minLeft;
  return count;
}

/** The lines a candidate takes of `rest`, by the same rule as {@link measureTake}. */
function takeLines(ctx: Context, c: number, rest: number[]): number[] {
  const base = ensureStock(ctx, c);
  const promised = new Map<number, number>();
  const taken: number[] = [];
  for (const l of rest) {
    const u = ctx.lineSku[l]!;
    const already = promised.get(u) ?? 0;
    if (ctx.stock[base + u]! - already >= ctx.lineQty[l]!) {
      promised.set(u, already + ctx.lineQty[l]!);
      taken.push(l);
    }
  }
  return taken;
}

/**
 * Lexicographic on the criteria in profile order, then the location id (code-unit order). A
 * static score is computed when a comparison first reaches it (NaN marks "not yet"), so a distance
 * is only measured for candidates that tie on the criteria before it.
 */
function ranksAbove(ctx: Context, criteria: Criterion[], keys: Float64Array, a: number, b: number): boolean {
  for (let k = 0; k < criteria.length; k++) {
    const ka = keyAt(ctx, criteria, keys, a, k);
    const kb = keyAt(ctx, criteria, keys, b, k);
    if (ka !== kb) return ka > kb;
  }
  return ctx.candidates[a]!.locationId < ctx.candidates[b]!.locationId;
}

function keyAt(ctx: Context, criteria: Criterion[], keys: Float64Array, c: number, k: number): number {
  const i = c * criteria.length + k;
  let key = keys[i]!;
  if (Number.isNaN(key)) {
    key = staticScore(ctx, criteria[k]!, c);
    keys[i] = key;
  }
  return key;
}

function writeDynamicKeys(ctx: Context, state: PhaseState, c: number, restLength: number): void {
  const { criteria, keys } = state;
  for (let k = 0; k < criteria.length; k++) {
    const criterion = criteria[k]!;
    if (isDynamic(criterion.name)) keys[c * criteria.length + k] = dynamicScore(ctx, criterion, restLength);
  }
}

function copyDynamicKeys(state: PhaseState, from: Float64Array, c: number): void {
  const { criteria, keys } = state;
  for (let k = 0; k < criteria.length; k++) {
    if (isDynamic(criteria[k]!.name)) keys[c * criteria.length + k] = from[c * criteria.length + k]!;
  }
}

/** One criterion's score and value for one candidate against `rest` (for records and sentences). */
function scoreOf(ctx: Context, criterion: Criterion, c: number, rest: number[]): CriterionScore {
  const loc = ctx.candidates[c]!;
  let score: number;
  let value: number | undefined;
  if (isDynamic(criterion.name)) {
    measureTake(ctx, c, rest);
    score = dynamicScore(ctx, criterion, rest.length);
    value = criterion.name === 'fewestShipments' ? ctx.take.count : ctx.take.minLeft;
  } else {
    score = staticScore(ctx, criterion, c);
    switch (criterion.name) {
      case 'distance': {
        const d = distanceOf(ctx, c);
        value = d === undefined ? undefined : toKm(d);
        break;
      }
      case 'priority':
        value = loc.priority ?? DEFAULT_PRIORITY;
        break;
      case 'costPerShipment':
        value = loc.costPerShipmentMinor;
        break;
      case 'capacityLeft':
        value =
          loc.dailyCapacity === undefined
            ? undefined
            : Math.max(0, loc.dailyCapacity - (loc.usedCapacityToday ?? 0));
        break;
      case 'carrierCutoff':
        value = loc.carrierCutoff === undefined ? undefined : (parseCutoff(loc.carrierCutoff) ?? undefined);
        break;
    }
  }
  const rounded = Math.round(score * 10_000) / 10_000;
  return value === undefined
    ? { criterion: criterion.name, score: rounded }
    : { criterion: criterion.name, score: rounded, value };
}

// ---------------------------------------------------------------------------------------------
// Phases

/** Filters every candidate not yet chosen; the display phase keeps each one's first failure. */
function preparePhase(ctx: Context, phase: Phase, used: Uint8Array, isDisplay: boolean): PhaseState {
  const n = ctx.candidates.length;
  const criteria = phase.strategy.criteria;
  const state: PhaseState = {
    phase,
    criteria,
    eligible: [],
    keys: new Float64Array(n * criteria.length).fill(Number.NaN),
    ...(isDisplay ? { firstFail: new Int8Array(n) } : {}),
  };
  // An at-store phase can only use the store, so only the display phase looks at the others.
  const evaluated =
    phase.mode === 'atStore' && !isDisplay ? (ctx.storeIndex >= 0 ? [ctx.storeIndex] : []) : undefined;
  for (let i = 0; i < (evaluated ? evaluated.length : n); i++) {
    const c = evaluated ? evaluated[i]! : i;
    const fail = firstFailing(ctx, phase.filters, phase.mode, c);
    if (state.firstFail) state.firstFail[c] = fail;
    if (fail < 0 && used[c] === 0) state.eligible.push(c);
  }
  return state;
}

/**
 * The display ranking: every candidate scored by the first phase's criteria against the lines it
 * started with, as if it were eligible, so that a decision can say that the nearest store was
 * excluded and why. Kept apart from the phase's keys, which later rounds overwrite. The same pass
 * is the phase's first round for the eligible candidates (see `PhaseState.firstRound`).
 */
function displayKeys(ctx: Context, state: PhaseState, rest: number[]): Float64Array {
  const keys = new Float64Array(ctx.candidates.length * state.criteria.length).fill(Number.NaN);
  const counts = new Int32Array(ctx.candidates.length);
  const scratch: PhaseState = { ...state, keys };
  for (let c = 0; c < ctx.candidates.length; c++) {
    counts[c] = measureTake(ctx, c, rest);
    writeDynamicKeys(ctx, scratch, c, rest.length);
  }
  state.firstRound = { rest, counts, keys };
  return keys;
}

/**
 * One round: the best candidate that can take at least one line. With `preferCompleters`, one that
 * can take every remaining line beats any that cannot; the runner-up is the next in the winner's tier.
 */
function rankRound(
  ctx: Context,
  state: PhaseState,
  rest: number[],
  pool: number[],
  skip: (c: number) => boolean,
  preferCompleters: boolean,
): RoundStats & { takers: number[] } {
  /** Whether `a` ranks above `b`, where -1 is "nobody" and ranks below everyone. */
  const above = (a: number, b: number) =>
    a >= 0 && (b < 0 || ranksAbove(ctx, state.criteria, state.keys, a, b));
  let bestFull = -1;
  let secondFull = -1;
  let bestPart = -1;
  let secondPart = -1;
  let completers = 0;
  const takers: number[] = [];
  const cached = state.firstRound?.rest === rest ? state.firstRound : undefined;
  for (const c of pool) {
    if (skip(c)) continue;
    const count = cached ? cached.counts[c]! : measureTake(ctx, c, rest);
    if (count === 0) continue;
    if (cached) copyDynamicKeys(state, cached.keys, c);
    else writeDynamicKeys(ctx, state, c, rest.length);
    takers.push(c);
    if (count === rest.length) {
      completers++;
      if (above(c, bestFull)) {
        secondFull = bestFull;
        bestFull = c;
      } else if (above(c, secondFull)) secondFull = c;
    } else if (above(c, bestPart)) {
      secondPart = bestPart;
      bestPart = c;
    } else if (above(c, secondPart)) secondPart = c;
  }
  const stats = { rest, eligible: state.eligible.length, completers, takers };
  if (preferCompleters || bestPart < 0 || bestFull < 0) {
    const full = bestFull >= 0 && (preferCompleters || bestPart < 0);
    return full
      ? { ...stats, winner: bestFull, winnerComplete: true, runnerUp: secondFull }
      : { ...stats, winner: bestPart, winnerComplete: false, runnerUp: secondPart };
  }
  // Plain ranking (the split rule's alternative): the best of both tiers, completers given no precedence.
  return above(bestFull, bestPart)
    ? {
        ...stats,
        winner: bestFull,
        winnerComplete: true,
        runnerUp: above(secondFull, bestPart) ? secondFull : bestPart,
      }
    : {
        ...stats,
        winner: bestPart,
        winnerComplete: false,
        runnerUp: above(secondPart, bestFull) ? secondPart : bestFull,
      };
}

/** Rounds until the lines are placed, no candidate can take any, or the group budget is spent. */
function fill(
  ctx: Context,
  state: PhaseState,
  remaining: number[],
  budget: number,
  used: Uint8Array,
  preferCompleters: boolean,
): Fill {
  const picks: Pick[] = [];
  const picked = new Set<number>();
  const skip = (c: number) => used[c] === 1 || picked.has(c);
  let rest = remaining;
  let first: RoundStats | undefined;
  // A candidate that can take none of the remaining lines cannot take any once fewer remain, so
  // each round looks only at the previous round's takers.
  let pool = state.eligible;
  while (rest.length > 0) {
    if (picks.length >= budget) return { picks, rest, stoppedByBudget: true, first };
    const round = rankRound(ctx, state, rest, pool, skip, preferCompleters);
    if (round.winner < 0) break;
    first ??= round;
    pool = round.takers;
    const lines = takeLines(ctx, round.winner, rest);
    picks.push({ candidate: round.winner, lines });
    picked.add(round.winner);
    const taken = new Set(lines);
    rest = rest.filter((l) => !taken.has(l));
  }
  return { picks, rest, stoppedByBudget: false, first };
}

function runPhase(
  ctx: Context,
  state: PhaseState,
  remaining: number[],
  budget: number,
  used: Uint8Array,
  splitChecks: SplitCheck[],
  decisive: Set<number>,
): PhaseOutcome & { rest: number[]; stoppedByBudget: boolean } {
  const { phase } = state;
  const main = fill(ctx, state, remaining, budget, used, true);
  const base = { phase, state, startLines: remaining, first: main.first, rest: main.rest };
  const stoppedByBudget = main.stoppedByBudget;
  if (main.picks.length === 0) return { ...base, picks: [], how: 'none', stoppedByBudget };
  if (phase.mode === 'atStore') return { ...base, picks: main.picks, how: 'atStore', stoppedByBudget };
  if (!main.first?.winnerComplete || main.picks.length !== 1) {
    return { ...base, picks: main.picks, how: 'split', stoppedByBudget };
  }
  const single = main.picks[0]!.candidate;
  // One line cannot be split (a line is filled whole by one location), so there is nothing to check.
  if (!ctx.profile.defaults.splitRule || remaining.length < 2) {
    return { ...base, picks: main.picks, how: 'single', stoppedByBudget };
  }
  const check = evaluateSplitRule(ctx, state, remaining, budget, used, single);
  splitChecks.push(check.record);
  // The check's outcome depends on the single location and on every winner of the alternative's
  // rounds (even when the alternative is not a valid split), so all of them are kept for replay.
  decisive.add(single);
  for (const c of check.considered) decisive.add(c);
  return check.record.applied
    ? { ...base, picks: check.alternative, how: 'splitRule', check: check.record, stoppedByBudget }
    : { ...base, picks: main.picks, how: 'single', check: check.record, stoppedByBudget };
}

/**
 * The split rule. The alternative is the plan the strategy's own criteria build when a location
 * that can fill everything gets no precedence (the best-ranked location takes what it can, then the
 * next, within the group budget). It counts only if it places every line in 2 or more groups.
 * Distance saved = the single location's distance to the target minus the sum of the alternative's
 * groups' distances (one trip per group), in metres from geolib, compared in km; cost saved = the
 * single location's `costPerShipmentMinor` minus the sum over the groups. A saving is only computed
 * when every location involved has the figure. The split is taken when a saving is strictly more
 * than its threshold (either threshold suffices).
 */
function evaluateSplitRule(
  ctx: Context,
  state: PhaseState,
  remaining: number[],
  budget: number,
  used: Uint8Array,
  single: number,
): { record: SplitCheck; alternative: Pick[]; considered: number[] } {
  const rule = ctx.profile.defaults.splitRule ?? {};
  const alt = fill(ctx, state, remaining, budget, used, false);
  const alternative = alt.rest.length === 0 && alt.picks.length >= 2 ? alt.picks : [];
  const considered = alt.picks.map((p) => p.candidate);
  const ids = (c: number) => ctx.candidates[c]!.locationId;
  const record: SplitCheck = {
    strategy: state.phase.strategy.name,
    singleLocationId: ids(single),
    splitLocationIds: considered.map(ids),
    applied: false,
    result: alt.rest.length > 0 ? 'exceedsMaxSplit' : 'notASplit',
  };
  if (alternative.length === 0) return { record, alternative, considered };
  const sum = (values: (number | undefined)[]) =>
    values.some((v) => v === undefined) ? undefined : values.reduce<number>((s, v) => s + (v ?? 0), 0);
  const singleM = distanceOf(ctx, single);
  const splitM = sum(alternative.map((p) => distanceOf(ctx, p.candidate)));
  const singleCost = ctx.candidates[single]!.costPerShipmentMinor;
  const splitCost = sum(alternative.map((p) => ctx.candidates[p.candidate]!.costPerShipmentMinor));
  let applied = false;
  if (singleM !== undefined && splitM !== undefined) {
    const savedM = singleM - splitM;
    record.distanceSavedKm = toKm(savedM);
    if (rule.minDistanceSavedKm !== undefined && savedM > rule.minDistanceSavedKm * 1000) applied = true;
  }
  if (singleCost !== undefined && splitCost !== undefined) {
    const saved = singleCost - splitCost;
    record.costSavedMinor = saved;
    if (rule.minCostSavedMinor !== undefined && saved > rule.minCostSavedMinor) applied = true;
  }
  record.applied = applied;
  record.result = applied ? 'split' : 'savesTooLittle';
  return { record, alternative, considered };
}

// ---------------------------------------------------------------------------------------------
// Results

const plannedLine = (line: SourcingLine): PlannedLine =>
  line.lineId === undefined
    ? { sku: line.sku, quantity: line.quantity }
    : { lineId: line.lineId, sku: line.sku, quantity: line.quantity };

function buildGroups(ctx: Context, outcomes: PhaseOutcome[]): SourcingGroup[] {
  const groups: SourcingGroup[] = [];
  const store = ctx.candidates[ctx.storeIndex];
  for (const outcome of outcomes) {
    for (const pick of outcome.picks) {
      const loc = ctx.candidates[pick.candidate]!;
      const group: SourcingGroup = {
        groupId: `${ctx.request.order.orderId}-G${groups.length + 1}`,
        locationId: loc.locationId,
        lines: [...pick.lines].sort((a, b) => a - b).map((l) => plannedLine(ctx.lines[l]!)),
      };
      if (outcome.phase.mode === 'shipToStore' && store) group.transferTo = store.locationId;
      const d = outcome.phase.mode === 'atStore' ? undefined : distanceOf(ctx, pick.candidate);
      if (d !== undefined) group.distanceKm = toKm(d);
      groups.push(group);
    }
  }
  return groups;
}

/** The same reason for every line left: they all stopped at the same place. */
function unfilledReason(
  ctx: Context,
  phases: Phase[],
  outcomes: PhaseOutcome[],
  budgetHit: boolean,
): UnfilledReason {
  if (phases.length === 0) return 'noStrategyMatched';
  if (budgetHit) return 'maxSplitReached';
  if (ctx.request.order.delivery.type === 'ship') return 'noEligibleStock';
  if (phases.some((p) => p.mode === 'shipToStore')) return 'noEligibleStock';
  const storeEligible = outcomes.some(
    (o) => o.phase.mode === 'atStore' && o.state.eligible.includes(ctx.storeIndex),
  );
  return storeEligible && !ctx.profile.defaults.allowShipToStore
    ? 'notStockedAtPickupStore'
    : 'pickupStoreUnavailable';
}

interface Listing {
  verdicts: CandidateVerdict[];
  others: OtherCandidates;
  eligibleListed: number[];
}

/** The chosen (plan order), then the best of the rest by the display ranking, up to the bound. */
function listCandidates(
  ctx: Context,
  display: { state: PhaseState; keys: Float64Array; rest: number[] } | undefined,
  outcomes: PhaseOutcome[],
): Listing {
  const n = ctx.candidates.length;
  if (!display)
    return { verdicts: [], others: { count: n, eligible: 0, excludedBy: {} }, eligibleListed: [] };
  const chosenBy = new Map<number, string>();
  for (const o of outcomes) for (const p of o.picks) chosenBy.set(p.candidate, o.phase.strategy.name);
  const above = (a: number, b: number) => ranksAbove(ctx, display.state.criteria, display.keys, a, b);
  const room = Math.max(0, MAX_LISTED_CANDIDATES - chosenBy.size);
  const top: number[] = [];
  for (let c = 0; c < n; c++) {
    if (chosenBy.has(c) || room === 0) continue;
    if (top.length === room && !above(c, top[room - 1]!)) continue;
    let at = top.length;
    while (at > 0 && above(c, top[at - 1]!)) at--;
    top.splice(at, 0, c);
    if (top.length > room) top.pop();
  }
  const firstFail = display.state.firstFail!;
  const listed = [...chosenBy.keys(), ...top];
  const verdicts = listed.map((c): CandidateVerdict => {
    const strategy = chosenBy.get(c);
    const verdict = strategy !== undefined ? 'chosen' : firstFail[c]! < 0 ? 'eligible' : 'excluded';
    return {
      locationId: ctx.candidates[c]!.locationId,
      verdict,
      ...(strategy !== undefined ? { strategy } : {}),
      filters: filterResults(ctx, display.state.phase, c),
      scores: display.state.criteria.map((k) => scoreOf(ctx, k, c, display.rest)),
    };
  });
  const inList = new Set(listed);
  const others: OtherCandidates = { count: n - listed.length, eligible: 0, excludedBy: {} };
  for (let c = 0; c < n; c++) {
    if (inList.has(c)) continue;
    const fail = firstFail[c]!;
    if (fail < 0) others.eligible++;
    else {
      const name = display.state.phase.filters[fail]!.name;
      others.excludedBy[name] = (others.excludedBy[name] ?? 0) + 1;
    }
  }
  return { verdicts, others, eligibleListed: top.filter((c) => firstFail[c]! < 0) };
}

/**
 * The candidates a record keeps so that sourcing its input again gives the same plan. Every choice
 * the engine makes is the best of a set by a per-candidate predicate ("can take a line", "can take
 * all") and per-candidate scores, so any subset that still holds each round's winner gives the same
 * winners. The decisive candidates are therefore: every chosen location, the single location and
 * the alternative of each split-rule check, and the pickup store; the listed eligible ones are
 * added so that a replay also re-ranks the closest competitors. Stock is kept for ordered SKUs only.
 */
function replayCandidates(ctx: Context, decisive: Set<number>): CandidateLocation[] {
  return [...decisive]
    .sort((a, b) => a - b)
    .map((c) => {
      const loc = ctx.candidates[c]!;
      const stock: Record<string, number> = {};
      for (const sku of ctx.skus) if (Object.hasOwn(loc.stock, sku)) stock[sku] = loc.stock[sku]!;
      return { ...loc, stock };
    });
}

function replayInput(ctx: Context, decisive: Set<number>): Required<SourcingRequest> {
  const kept = replayCandidates(ctx, decisive);
  const ids = new Set(kept.map((c) => c.locationId));
  return {
    order: ctx.request.order,
    candidates: kept,
    excludedLocationIds: (ctx.request.excludedLocationIds ?? []).filter((id) => ids.has(id)),
    now: ctx.request.now,
  };
}

// ---------------------------------------------------------------------------------------------
// The explanation: one paragraph for the people who run the network.

const LEAD: Record<CriterionName, string> = {
  distance: 'nearest',
  fewestShipments: 'covers the most lines',
  priority: 'best priority',
  costPerShipment: 'cheapest shipment',
  mostStock: 'most stock left after the pick',
  capacityLeft: 'most capacity left today',
  carrierCutoff: 'can still ship today',
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A criterion's value in words: "3.2 km", "priority 10", "cost 450". */
function valueWords(score: CriterionScore, rest: number[]): string {
  const v = score.value;
  switch (score.criterion) {
    case 'distance':
      return v === undefined ? 'distance unknown' : `${v} km`;
    case 'priority':
      return `priority ${v}`;
    case 'costPerShipment':
      return v === undefined ? 'cost unknown' : `cost ${v}`;
    case 'mostStock':
      return `${v} left at its thinnest line`;
    case 'capacityLeft':
      return v === undefined ? 'no capacity limit' : `${plural(v, 'order')} of capacity left`;
    case 'carrierCutoff':
      if (v === undefined) return 'no carrier cutoff';
      return `${score.score === 1 ? 'before' : 'past'} its ${formatMinutes(v)} UTC cutoff`;
    case 'fewestShipments':
      return `covers ${v} of ${rest.length} lines`;
  }
}

/** How the runner-up compares on the deciding criterion: "DC1 is 41 km away". */
function runnerWords(id: string, score: CriterionScore, rest: number[]): string {
  const v = score.value;
  switch (score.criterion) {
    case 'distance':
      return v === undefined ? `${id} is at an unknown distance` : `${id} is ${v} km away`;
    case 'priority':
      return `${id} has priority ${v}`;
    case 'costPerShipment':
      return v === undefined ? `${id} has no known cost` : `${id} costs ${v}`;
    case 'mostStock':
      return `${id} would keep ${v} at its thinnest line`;
    case 'capacityLeft':
      return `${id} has ${v === undefined ? 'no limit' : `${plural(v, 'order')} of capacity left`}`;
    case 'carrierCutoff':
      return `${id} is ${valueWords(score, rest)}`;
    case 'fewestShipments':
      return `${id} ${valueWords(score, rest)}`;
  }
}

/** The first criterion on which `a` beats `b`, or undefined when only the id separates them. */
function decidingCriterion(ctx: Context, criteria: Criterion[], a: number, b: number, rest: number[]) {
  for (const criterion of criteria) {
    if (rawScore(ctx, criterion, a, rest) !== rawScore(ctx, criterion, b, rest)) {
      return { a: scoreOf(ctx, criterion, a, rest), b: scoreOf(ctx, criterion, b, rest) };
    }
  }
  return undefined;
}

function rawScore(ctx: Context, criterion: Criterion, c: number, rest: number[]): number {
  if (!isDynamic(criterion.name)) return staticScore(ctx, criterion, c);
  measureTake(ctx, c, rest);
  return dynamicScore(ctx, criterion, rest.length);
}

/** "saves 35 km and 600 in cost", "saves 3 km but adds 200 in cost". */
function savingWords(check: SplitCheck): string {
  const saved: string[] = [];
  const added: string[] = [];
  const { distanceSavedKm: km, costSavedMinor: cost } = check;
  if (km !== undefined) (km >= 0 ? saved : added).push(`${Math.abs(km)} km`);
  if (cost !== undefined) (cost >= 0 ? saved : added).push(`${Math.abs(cost)} in cost`);
  const words = [
    saved.length > 0 ? `saves ${saved.join(' and ')}` : '',
    added.length > 0 ? `adds ${added.join(' and ')}` : '',
  ].filter((w) => w !== '');
  return words.length > 0 ? words.join(' but ') : 'has no known distance or cost';
}

function thresholdWords(ctx: Context): string {
  const rule = ctx.profile.defaults.splitRule ?? {};
  return [
    rule.minDistanceSavedKm !== undefined ? `${rule.minDistanceSavedKm} km` : undefined,
    rule.minCostSavedMinor !== undefined ? `${rule.minCostSavedMinor} in cost` : undefined,
  ]
    .filter((t) => t !== undefined)
    .join(' or ');
}

/** Why the split rule did not split, when that is worth saying. */
function unappliedSplitWords(ctx: Context, check: SplitCheck): string | undefined {
  if (check.result === 'savesTooLittle') {
    return (
      `A split over ${check.splitLocationIds.join(', ')} was considered, but it ${savingWords(check)}; ` +
      `the split rule asks for more than ${thresholdWords(ctx)}.`
    );
  }
  if (check.result === 'exceedsMaxSplit') {
    return 'No split within the shipment limit places every line, so the split rule does not apply.';
  }
  return undefined;
}

function explainFirst(ctx: Context, outcome: PhaseOutcome): string {
  const id = (c: number) => ctx.candidates[c]!.locationId;
  const store = ctx.candidates[ctx.storeIndex];
  const scope = outcome.startLines.length === ctx.lines.length ? 'the whole order' : 'the remaining lines';
  const verb =
    outcome.phase.mode === 'shipToStore'
      ? `Ships to store ${store?.locationId} for pickup from`
      : 'Ships from';
  const first = outcome.first!;
  const criteria = outcome.state.criteria;
  const check = outcome.check;
  switch (outcome.how) {
    case 'atStore': {
      const taken = outcome.picks[0]!.lines.length;
      const store = id(outcome.picks[0]!.candidate);
      const under = outcome.phase.fallback ? ` under fallback ${outcome.phase.strategy.name}` : '';
      return taken === ctx.lines.length
        ? `Picked up at store ${store} from its own stock${under}.`
        : `Store ${store} holds ${taken} of ${plural(ctx.lines.length, 'line')} for pickup${under}.`;
    }
    case 'splitRule': {
      return (
        `Splits into ${outcome.picks.length} shipments (${outcome.picks.map((p) => id(p.candidate)).join(', ')}) ` +
        `although ${check?.singleLocationId} can fill ${scope}: the split ${check ? savingWords(check) : ''} ` +
        `(split rule: more than ${thresholdWords(ctx)}).`
      );
    }
    case 'split': {
      const ranking = criteria.map((c) => c.name).join(', then ');
      const none =
        first.eligible === 1
          ? `it is the only eligible location and cannot fill ${scope}`
          : `none of the ${first.eligible} eligible locations can fill ${scope}`;
      if (outcome.picks.length === 1) {
        const pick = outcome.picks[0]!;
        const share = `${pick.lines.length} of ${plural(outcome.startLines.length, 'line')}`;
        const rank = first.eligible === 1 ? '' : `, and it ranks best by ${ranking}`;
        return `${verb} ${id(pick.candidate)} (${share}): ${none}${rank}.`;
      }
      const parts = outcome.picks
        .map((p) => `${id(p.candidate)}: ${plural(p.lines.length, 'line')}`)
        .join(', ');
      return `${verb} ${outcome.picks.length} locations (${parts}): ${none}, so each step took the one ranked best by ${ranking}.`;
    }
    default: {
      const winner = first.winner;
      if (first.completers === 1 || first.runnerUp < 0) {
        const only =
          first.eligible === 1
            ? 'the only eligible location'
            : `the only one of the ${first.eligible} eligible locations that can fill ${scope}`;
        return `${verb} ${id(winner)}: ${only}.`;
      }
      const runner = first.runnerUp;
      const deciding = decidingCriterion(ctx, criteria, winner, runner, first.rest);
      const lead = deciding
        ? `${LEAD[deciding.a.criterion]} (${valueWords(deciding.a, first.rest)})`
        : 'tied on every criterion and first by location id';
      const other = deciding ? runnerWords(id(runner), deciding.b, first.rest) : `${id(runner)} is tied`;
      return `${verb} ${id(winner)}: ${lead} of ${first.completers} eligible locations that can fill ${scope}; ${other}.`;
    }
  }
}

function explainExcluded(
  ctx: Context,
  display: { state: PhaseState; keys: Float64Array; rest: number[] },
  firstChosen: number,
): string | undefined {
  const { state, keys, rest } = display;
  const firstFail = state.firstFail!;
  let best = -1;
  for (let c = 0; c < ctx.candidates.length; c++) {
    const fail = firstFail[c]!;
    if (fail < 0 || state.phase.filters[fail]!.name === 'pickupStore') continue;
    if (best < 0 || ranksAbove(ctx, state.criteria, keys, c, best)) best = c;
  }
  if (best < 0 || !ranksAbove(ctx, state.criteria, keys, best, firstChosen)) return undefined;
  const deciding = decidingCriterion(ctx, state.criteria, best, firstChosen, rest);
  const reason = filterFailure(ctx, state.phase.filters[firstFail[best]!]!, state.phase.mode, best);
  const value = deciding ? ` (${valueWords(deciding.a, rest)})` : '';
  return `${ctx.candidates[best]!.locationId}${value} ranks higher but was excluded: ${reason}.`;
}

/**
 * Why the first strategy kept the pickup store from filling from its own stock, if it did; said
 * as "excluded" when a fallback then used the store after all.
 */
function pickupStoreWords(
  ctx: Context,
  display: { state: PhaseState } | undefined,
  outcomes: PhaseOutcome[],
): string | undefined {
  const { delivery } = ctx.request.order;
  if (delivery.type !== 'pickup') return undefined;
  if (ctx.storeIndex < 0) return `Pickup store ${delivery.locationId} is not among the candidates.`;
  const fail = display?.state.firstFail?.[ctx.storeIndex] ?? -1;
  if (!display || fail < 0) return undefined;
  const { phase } = display.state;
  const reason = filterFailure(ctx, phase.filters[fail]!, phase.mode, ctx.storeIndex);
  const usedLater = outcomes.some((o) => o.phase.mode === 'atStore' && o.picks.length > 0);
  return usedLater
    ? `Strategy ${phase.strategy.name} excluded store ${delivery.locationId}: ${reason}.`
    : `Store ${delivery.locationId} cannot fill the pickup from its own stock: ${reason}.`;
}

const REASON_WORDS: Record<UnfilledReason, string> = {
  noEligibleStock: 'no eligible location holds the whole quantity',
  maxSplitReached: 'the order reached its maximum number of shipments',
  notStockedAtPickupStore: 'not in stock at the pickup store, and ship-to-store is off',
  pickupStoreUnavailable: 'the pickup store cannot take this pickup',
  noStrategyMatched: 'no strategy applies',
};

function explain(
  ctx: Context,
  phases: Phase[],
  outcomes: PhaseOutcome[],
  display: { state: PhaseState; keys: Float64Array; rest: number[] } | undefined,
  unfilled: UnfilledLine[],
): string {
  const { profile, request } = ctx;
  if (phases.length === 0) {
    return (
      `No strategy or fallback of profile ${profile.profileId} v${profile.version} applies to this ` +
      `${request.order.channel} ${request.order.delivery.type} order; nothing was sourced.`
    );
  }
  const sentences: string[] = [];
  const storeNote = pickupStoreWords(ctx, display, outcomes);
  if (storeNote) sentences.push(storeNote);
  const producing = outcomes.filter((o) => o.picks.length > 0);
  producing.forEach((o, i) => {
    if (i === 0) sentences.push(explainFirst(ctx, o));
    else {
      const who = o.picks.map((p) => ctx.candidates[p.candidate]!.locationId).join(', ');
      const lines = plural(
        o.picks.reduce((sum, p) => sum + p.lines.length, 0),
        'line',
      );
      const transfer =
        o.phase.mode === 'shipToStore'
          ? ` shipped to store ${ctx.candidates[ctx.storeIndex]!.locationId}`
          : '';
      sentences.push(
        o.phase.fallback
          ? `Fallback ${o.phase.strategy.name} filled ${lines}${transfer} from ${who}.`
          : `${lines}${transfer} from ${who}.`.replace(/^./, (c) => c.toUpperCase()),
      );
    }
    const unapplied = o.check && unappliedSplitWords(ctx, o.check);
    if (unapplied) sentences.push(unapplied);
    if (i === 0 && display) {
      const excluded = explainExcluded(ctx, display, o.picks[0]!.candidate);
      if (excluded) sentences.push(excluded);
    }
  });
  if (producing.length === 0 && !storeNote)
    sentences.push('No eligible location holds any line of the order.');
  if (unfilled.length > 0) {
    const shown = unfilled.slice(0, 5).map((u) => `${u.sku} ×${u.quantity}`);
    const more = unfilled.length > 5 ? ` and ${unfilled.length - 5} more` : '';
    sentences.push(
      `${plural(unfilled.length, 'line')} unfilled (${shown.join(', ')}${more}): ${REASON_WORDS[unfilled[0]!.reason]}.`,
    );
  }
  return sentences.join(' ');
}
