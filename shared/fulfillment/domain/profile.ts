/**
 * A sourcing profile: the versioned, data-only description of how an order is routed to the
 * locations that fulfil it. Strategies are tried in order (the first whose conditions match is the
 * primary one); fallbacks fill what the primary could not. A profile is data so that ops can change
 * routing without a deploy, and versioned so that a decision record names exactly the rules it used.
 */

export type DeliveryType = 'ship' | 'pickup';

/** Filters a strategy may list; each excludes a candidate location with a reason. */
export const FILTER_NAMES = [
  'enabled',
  'fulfilsDeliveryType',
  'channelAllowed',
  'capacityLeft',
  'notExcluded',
  'maxDistance',
  'pickupStore',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

/**
 * `pickupStore` is built in for pickup orders (listed or not): only the chosen store fills from its
 * own stock, and a ship-to-store source must not be the store itself. Listing it only places it in
 * the order the filters are shown in a decision.
 */
export type Filter = { name: Exclude<FilterName, 'maxDistance'> } | { name: 'maxDistance'; km: number };

/** Rankers; each scores a candidate 0..1 (higher is better) and they are compared in list order. */
export const CRITERION_NAMES = [
  'distance',
  'fewestShipments',
  'priority',
  'costPerShipment',
  'mostStock',
  'capacityLeft',
  'carrierCutoff',
] as const;
export type CriterionName = (typeof CRITERION_NAMES)[number];

/**
 * `distance` may carry `bandKm`: distances in the same band (0–5 km, 5–10 km, … for `bandKm: 5`)
 * tie, so that a store 0.3 km nearer does not beat a cheaper one on the next criterion. Bands keep
 * the comparison transitive, which an epsilon ("within 2 km counts as equal") would not.
 */
export type Criterion = { name: Exclude<CriterionName, 'distance'> } | { name: 'distance'; bandKm?: number };

/** When a strategy applies. Every listed condition must hold; an absent condition always holds. */
export interface StrategyConditions {
  channels?: string[];
  deliveryTypes?: DeliveryType[];
  /** Inclusive; compared with the order value (see `orderValueMinor` of the order). */
  minOrderValueMinor?: number;
  /** Inclusive. */
  maxOrderValueMinor?: number;
  /** Holds when any line has one of these categories. */
  categories?: string[];
  /** Ship: the address's country. Pickup: the pickup store's country. */
  countries?: string[];
  /** Ship: the address's region. A pickup order has no region, so a region condition never holds. */
  regions?: string[];
}

export interface Strategy {
  name: string;
  conditions: StrategyConditions;
  filters: Filter[];
  criteria: Criterion[];
}

/**
 * Split even when one location can fill the lines, if the split the strategy's own ranking would
 * build saves more than one of these (see `sourcing.ts`, `evaluateSplitRule`, for the computation).
 */
export interface SplitRule {
  minDistanceSavedKm?: number;
  minCostSavedMinor?: number;
}

export interface ProfileDefaults {
  /** The most groups (shipments) one order may be split into, across primary and fallbacks. */
  maxSplit: number;
  splitRule?: SplitRule;
  /** A pickup order whose store lacks a line may have it shipped to the store from elsewhere. */
  allowShipToStore?: boolean;
  /** Applied as a `maxDistance` filter by every strategy that does not list its own. */
  maxDistanceKm?: number;
}

export interface SourcingProfile {
  profileId: string;
  version: number;
  status?: 'draft' | 'active' | 'retired';
  defaults: ProfileDefaults;
  strategies: Strategy[];
  fallbacks: Strategy[];
}

/** What is wrong with a profile, and where (`strategies[0].criteria[1].name`). */
export interface ProfileProblem {
  path: string;
  message: string;
}

const BASE_FILTERS: Filter[] = [
  { name: 'enabled' },
  { name: 'fulfilsDeliveryType' },
  { name: 'channelAllowed' },
  { name: 'notExcluded' },
];

/**
 * The profile a tenant starts with: the nearest location that can fill the whole order and has
 * capacity today; otherwise the fewest shipments, nearest first. When capacity is what stops it,
 * the fallback ships anyway rather than leave the line unfilled.
 */
export const DEFAULT_PROFILE: SourcingProfile = {
  profileId: 'default',
  version: 1,
  status: 'active',
  defaults: { maxSplit: 3, allowShipToStore: true },
  strategies: [
    {
      name: 'nearest-with-capacity',
      conditions: {},
      filters: [...BASE_FILTERS, { name: 'capacityLeft' }],
      criteria: [
        { name: 'fewestShipments' },
        { name: 'distance' },
        { name: 'priority' },
        { name: 'mostStock' },
      ],
    },
  ],
  fallbacks: [
    {
      name: 'any-location-over-capacity',
      conditions: {},
      filters: [...BASE_FILTERS],
      criteria: [{ name: 'fewestShipments' }, { name: 'distance' }, { name: 'priority' }],
    },
  ],
};

type Problems = ProfileProblem[];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Unknown fields are problems: a typo (`minOrderValue`) would otherwise be ignored silently. */
function knownFields(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  out: Problems,
) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) out.push({ path: join(path, key), message: `unknown field "${key}"` });
  }
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function nonEmptyString(value: unknown, path: string, out: Problems): void {
  if (typeof value !== 'string' || value.trim() === '')
    out.push({ path, message: 'must be a non-empty string' });
}

function numberAtLeast(
  value: unknown,
  path: string,
  out: Problems,
  { min, integer, exclusive = false }: { min: number; integer: boolean; exclusive?: boolean },
): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (exclusive ? value > min : value >= min);
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    out.push({ path, message: `must be ${kind} ${exclusive ? 'greater than' : 'at least'} ${min}` });
  }
}

/** An empty list would match nothing, which is never what is meant: omit it to match all. */
function stringList(value: unknown, path: string, out: Problems, allowed?: readonly string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length === 0) {
    out.push({ path, message: 'must be a non-empty list (omit it to match every order)' });
    return;
  }
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '')
      out.push({ path: `${path}[${i}]`, message: 'must be a string' });
    else if (allowed && !allowed.includes(item)) {
      out.push({ path: `${path}[${i}]`, message: `unknown value "${item}" (one of ${allowed.join(', ')})` });
    }
  });
}

function validateConditions(value: unknown, path: string, out: Problems): void {
  if (!isObject(value)) {
    out.push({ path, message: 'must be an object ({} applies to every order)' });
    return;
  }
  knownFields(
    value,
    [
      'channels',
      'deliveryTypes',
      'minOrderValueMinor',
      'maxOrderValueMinor',
      'categories',
      'countries',
      'regions',
    ],
    path,
    out,
  );
  stringList(value.channels, join(path, 'channels'), out);
  stringList(value.deliveryTypes, join(path, 'deliveryTypes'), out, ['ship', 'pickup']);
  stringList(value.categories, join(path, 'categories'), out);
  stringList(value.countries, join(path, 'countries'), out);
  stringList(value.regions, join(path, 'regions'), out);
  const { minOrderValueMinor: min, maxOrderValueMinor: max } = value;
  if (min !== undefined) numberAtLeast(min, join(path, 'minOrderValueMinor'), out, { min: 0, integer: true });
  if (max !== undefined) numberAtLeast(max, join(path, 'maxOrderValueMinor'), out, { min: 0, integer: true });
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    out.push({ path: join(path, 'maxOrderValueMinor'), message: 'must not be below minOrderValueMinor' });
  }
}

/** A strategy without these two would route to closed locations or to ones that cannot deliver. */
const REQUIRED_FILTERS: FilterName[] = ['enabled', 'fulfilsDeliveryType'];

function validateFilters(value: unknown, path: string, out: Problems): void {
  if (!Array.isArray(value)) {
    out.push({ path, message: 'must be a list of filters' });
    return;
  }
  const seen = new Set<string>();
  value.forEach((filter, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(filter)) {
      out.push({ path: at, message: 'must be an object with a name' });
      return;
    }
    const name = filter.name;
    if (typeof name !== 'string' || !(FILTER_NAMES as readonly string[]).includes(name)) {
      out.push({
        path: `${at}.name`,
        message: `unknown filter "${String(name)}" (one of ${FILTER_NAMES.join(', ')})`,
      });
      return;
    }
    if (seen.has(name)) out.push({ path: `${at}.name`, message: `filter "${name}" is listed twice` });
    seen.add(name);
    if (name === 'maxDistance') {
      knownFields(filter, ['name', 'km'], at, out);
      numberAtLeast(filter.km, `${at}.km`, out, { min: 0, integer: false, exclusive: true });
    } else knownFields(filter, ['name'], at, out);
  });
  for (const required of REQUIRED_FILTERS) {
    if (!seen.has(required)) out.push({ path, message: `must include the "${required}" filter` });
  }
}

function validateCriteria(value: unknown, path: string, out: Problems): void {
  if (!Array.isArray(value) || value.length === 0) {
    out.push({ path, message: 'must list at least one criterion' });
    return;
  }
  const seen = new Set<string>();
  value.forEach((criterion, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(criterion)) {
      out.push({ path: at, message: 'must be an object with a name' });
      return;
    }
    const name = criterion.name;
    if (typeof name !== 'string' || !(CRITERION_NAMES as readonly string[]).includes(name)) {
      out.push({
        path: `${at}.name`,
        message: `unknown criterion "${String(name)}" (one of ${CRITERION_NAMES.join(', ')})`,
      });
      return;
    }
    if (seen.has(name)) out.push({ path: `${at}.name`, message: `criterion "${name}" is listed twice` });
    seen.add(name);
    if (name === 'distance') {
      knownFields(criterion, ['name', 'bandKm'], at, out);
      if (criterion.bandKm !== undefined) {
        numberAtLeast(criterion.bandKm, `${at}.bandKm`, out, { min: 0, integer: false, exclusive: true });
      }
    } else knownFields(criterion, ['name'], at, out);
  });
}

function validateStrategies(
  value: unknown,
  path: string,
  out: Problems,
  names: Set<string>,
  required: boolean,
) {
  if (!Array.isArray(value)) {
    out.push({ path, message: 'must be a list of strategies' });
    return;
  }
  if (required && value.length === 0) out.push({ path, message: 'must list at least one strategy' });
  value.forEach((strategy, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(strategy)) {
      out.push({ path: at, message: 'must be an object' });
      return;
    }
    knownFields(strategy, ['name', 'conditions', 'filters', 'criteria'], at, out);
    nonEmptyString(strategy.name, `${at}.name`, out);
    if (typeof strategy.name === 'string') {
      // Decisions name the strategies they used, so a name must say which one it was.
      if (names.has(strategy.name)) {
        out.push({ path: `${at}.name`, message: `strategy name "${strategy.name}" is used twice` });
      }
      names.add(strategy.name);
    }
    validateConditions(strategy.conditions, `${at}.conditions`, out);
    validateFilters(strategy.filters, `${at}.filters`, out);
    validateCriteria(strategy.criteria, `${at}.criteria`, out);
  });
}

function validateDefaults(value: unknown, out: Problems): void {
  const path = 'defaults';
  if (!isObject(value)) {
    out.push({ path, message: 'must be an object with maxSplit' });
    return;
  }
  knownFields(value, ['maxSplit', 'splitRule', 'allowShipToStore', 'maxDistanceKm'], path, out);
  numberAtLeast(value.maxSplit, `${path}.maxSplit`, out, { min: 1, integer: true });
  if (value.allowShipToStore !== undefined && typeof value.allowShipToStore !== 'boolean') {
    out.push({ path: `${path}.allowShipToStore`, message: 'must be true or false' });
  }
  if (value.maxDistanceKm !== undefined) {
    numberAtLeast(value.maxDistanceKm, `${path}.maxDistanceKm`, out, {
      min: 0,
      integer: false,
      exclusive: true,
    });
  }
  const rule = value.splitRule;
  if (rule === undefined) return;
  const at = `${path}.splitRule`;
  if (!isObject(rule)) {
    out.push({ path: at, message: 'must be an object' });
    return;
  }
  knownFields(rule, ['minDistanceSavedKm', 'minCostSavedMinor'], at, out);
  if (rule.minDistanceSavedKm === undefined && rule.minCostSavedMinor === undefined) {
    out.push({ path: at, message: 'must set minDistanceSavedKm or minCostSavedMinor (or be omitted)' });
  }
  if (rule.minDistanceSavedKm !== undefined) {
    numberAtLeast(rule.minDistanceSavedKm, `${at}.minDistanceSavedKm`, out, { min: 0, integer: false });
  }
  if (rule.minCostSavedMinor !== undefined) {
    numberAtLeast(rule.minCostSavedMinor, `${at}.minCostSavedMinor`, out, { min: 0, integer: true });
  }
}

/**
 * Every problem of a profile, each with its path; an empty list means the profile can be used.
 * Takes `unknown` because profiles arrive as JSON written by people; `source()` trusts a profile
 * that passed here and does not re-check it on every order.
 */
export function validateProfile(value: unknown): ProfileProblem[] {
  const out: Problems = [];
  if (!isObject(value)) return [{ path: '', message: 'a profile must be an object' }];
  knownFields(value, ['profileId', 'version', 'status', 'defaults', 'strategies', 'fallbacks'], '', out);
  nonEmptyString(value.profileId, 'profileId', out);
  numberAtLeast(value.version, 'version', out, { min: 1, integer: true });
  if (value.status !== undefined && !['draft', 'active', 'retired'].includes(value.status as string)) {
    out.push({ path: 'status', message: 'must be draft, active or retired' });
  }
  validateDefaults(value.defaults, out);
  const names = new Set<string>();
  validateStrategies(value.strategies, 'strategies', out, names, true);
  validateStrategies(value.fallbacks, 'fallbacks', out, names, false);
  return out;
}
