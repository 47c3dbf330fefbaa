import type { Channel } from '../../platform/principals';
import type { Money } from './money';

/**
 * The price book: one base price per SKU and currency, channel price rules (explicit, named, dated
 * overrides of the base price for some channels), and promotions (dated deals with stacking rules and
 * usage limits). Times are ISO 8601 UTC to the second (`2026-11-27T00:00:00Z`); a window is open from
 * `validFrom` inclusive to `validTo` exclusive, so one deal can end at exactly the second the next
 * starts and no second belongs to both.
 */

/** A SKU's base prices: minor units by currency (`{ GBP: 1999, EUR: 2299 }`). */
export interface BasePrice {
  sku: string;
  prices: Record<string, number>;
  /** Moves by one with every change (optimistic concurrency, `ETag`). */
  version: number;
  updatedAt: string;
}

/**
 * Which SKUs a rule or promotion is about: the listed SKUs and every SKU in the listed categories (a
 * category includes its sub-categories: `apparel` covers `apparel.tees`). Neither given: every SKU.
 */
export interface Scope {
  skus?: string[];
  categories?: string[];
}

/** How a channel rule moves a unit price: by signed basis points, or by a signed amount. */
export type Adjustment = { type: 'percent'; bps: number } | { type: 'amount'; amount: Money };

/** What rules and promotions share: identity, name, channels, scope, window and priority. */
interface Dated {
  name: string;
  channels: Channel[];
  scope: Scope;
  validFrom: string;
  /** Absent: open-ended. */
  validTo?: string;
  /** Lower applies first; equal priorities apply in id order. */
  priority: number;
  version: number;
  updatedAt: string;
}

/**
 * A channel price rule ("marketplace +5%", "store clearance −20% on category X"): it changes the unit
 * price a channel sells at, before any promotion. A channel's rules apply in priority order, each to
 * the unit price the previous one left; a unit price never goes below zero.
 */
export interface PriceRule extends Dated {
  ruleId: string;
  adjustment: Adjustment;
}

/**
 * What a promotion gives:
 * - `percentOff`: basis points off each line in scope (of its value after earlier promotions);
 * - `amountOff`: an amount off each unit, or once off each line, in scope;
 * - `buyXGetY`: units in scope are taken most expensive first in groups of `buy + get`; the last
 *   `get` units of each group (the cheapest of it) get `bps` off (10,000: free). A last, incomplete
 *   group with more than `buy` units gets its units beyond `buy` off;
 * - `orderAmountOff` / `orderPercentOff`: off the total of the lines in scope, allocated to those
 *   lines in proportion to their value (`allocateProportionally` in money.ts); `minSubtotal` is the least
 *   that total must be.
 */
export type PromotionKind =
  | { type: 'percentOff'; bps: number }
  | { type: 'amountOff'; amount: Money; per: 'unit' | 'line' }
  | { type: 'buyXGetY'; buy: number; get: number; bps: number }
  | { type: 'orderAmountOff'; amount: Money; minSubtotal?: Money }
  | { type: 'orderPercentOff'; bps: number; minSubtotal?: Money };

export type PromotionType = PromotionKind['type'];

/** Uses a promotion may have in all, and by one customer; a use is one order that applied it. */
export interface UsageLimits {
  total?: number;
  perCustomer?: number;
}

/**
 * A promotion. Promotions apply after channel rules, in priority order; each to what earlier ones
 * left of a line. `stopAfter`: once it applied to a line, no later promotion applies to that line.
 * `exclusiveGroup`: of the promotions in one group, only the one giving the largest discount on the
 * cart applies, judged at the place (in priority order) of the group's first member that covers the cart.
 */
export interface Promotion extends Dated {
  promotionId: string;
  kind: PromotionKind;
  stopAfter: boolean;
  exclusiveGroup?: string;
  limits?: UsageLimits;
}

/** How often a promotion was used: in all, and by the customer being priced. */
export interface PromotionUsage {
  total: number;
  customer?: number;
}

/** A channel's effective unit price of a SKU in a currency: base price and channel rules, no promotion. */
export interface ChannelPrice {
  sku: string;
  channel: Channel;
  currency: string;
  amount: number;
  /** The rules that made it, in the order they applied. */
  ruleIds: string[];
  /** The inputs it was computed from: the base price's version, the rule book's version, the time. */
  baseVersion: number;
  rulesVersion: number;
  computedAt: string;
  version: number;
}

/** Epoch milliseconds of a window's ends; an open end is +∞. */
export function windowOf(item: { validFrom: string; validTo?: string }): { fromMs: number; toMs: number } {
  return {
    fromMs: Date.parse(item.validFrom),
    toMs: item.validTo === undefined ? Number.POSITIVE_INFINITY : Date.parse(item.validTo),
  };
}

/** A category and its ancestors, broadest first: `a.b.c` → `a`, `a.b`, `a.b.c` (the catalog's levels). */
export function categoryPath(category: string | undefined): string[] {
  if (!category) return [];
  const parts = category.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** An ISO time to the second, in UTC: `2026-11-27T00:00:00Z`. */
export const toSecondUtc = (iso: string): string => `${new Date(iso).toISOString().slice(0, 19)}Z`;

/** The entity tag of a version, as `ETag` gives it and `If-Match` takes it back. */
export const etagOf = (version: number) => `"${version}"`;

/** The version an `If-Match` value names (`"3"`, `W/"3"` or `3`), or undefined when it names none. */
export function versionOfEtag(value: string): number | undefined {
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}
