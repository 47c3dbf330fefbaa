import { CHANNELS } from '../../platform/principals';
import type { PriceBook } from './book-index';
import { applyChannelRules } from './engine';
import { type BasePrice, type ChannelPrice, categoryPath, type Scope } from './price-book';

/**
 * Each channel's effective unit price of a SKU (base price and channel rules, no promotion), kept as
 * one snapshot item per SKU × channel × currency. A snapshot is rewritten only when its price or the
 * rules behind it change, and its table's stream turns a changed price into `PriceChanged`: channel
 * feeds and marketplaces follow prices without re-pricing the catalogue.
 */

/** What a computation of snapshots started from: newer inputs always win over older ones. */
export interface SnapshotInputs {
  baseVersion: number;
  rulesVersion: number;
  computedAt: string;
}

/** Every channel's effective price of a SKU in each of its base price's currencies. */
export function effectiveChannelPrices(
  book: PriceBook,
  base: BasePrice,
  category: string | undefined,
  inputs: SnapshotInputs,
): Omit<ChannelPrice, 'version'>[] {
  const atMs = Date.parse(inputs.computedAt);
  const line = { sku: base.sku, categoryPath: categoryPath(category) };
  const prices: Omit<ChannelPrice, 'version'>[] = [];
  for (const channel of CHANNELS) {
    for (const [currency, amount] of Object.entries(base.prices).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const { unitPrice, ruleIds } = applyChannelRules(book, channel, currency, line, amount, atMs);
      prices.push({ sku: base.sku, channel, currency, amount: unitPrice, ruleIds, ...inputs });
    }
  }
  return prices;
}

/** The snapshot writes that bring the stored snapshots to the computed ones. */
export interface SnapshotPlan {
  /** Each new or changed snapshot, with the version the write is conditional on (0: none yet). */
  writes: { next: ChannelPrice; expectedVersion: number }[];
  /** Snapshots of currencies the SKU is no longer priced in. */
  removals: ChannelPrice[];
}

const snapshotKey = (p: Pick<ChannelPrice, 'channel' | 'currency'>) => `${p.channel}#${p.currency}`;

/**
 * Whether stored snapshots were computed from newer inputs than ours (a newer base price or rule
 * book, or the same inputs at a later time): then what we computed is stale and must not be written.
 */
export function newerThan(
  stored: readonly ChannelPrice[],
  inputs: SnapshotInputs,
): 'inputs' | 'time' | undefined {
  for (const s of stored) {
    if (s.baseVersion > inputs.baseVersion || s.rulesVersion > inputs.rulesVersion) return 'inputs';
  }
  for (const s of stored) {
    if (
      s.baseVersion === inputs.baseVersion &&
      s.rulesVersion === inputs.rulesVersion &&
      s.computedAt > inputs.computedAt
    )
      return 'time';
  }
  return undefined;
}

/** Compares computed snapshots with stored ones: only a changed price or rule list is written. */
export function planSnapshots(
  stored: readonly ChannelPrice[],
  computed: readonly Omit<ChannelPrice, 'version'>[],
): SnapshotPlan {
  const before = new Map(stored.map((s) => [snapshotKey(s), s]));
  const writes: SnapshotPlan['writes'] = [];
  for (const next of computed) {
    const previous = before.get(snapshotKey(next));
    before.delete(snapshotKey(next));
    const same =
      previous !== undefined &&
      previous.amount === next.amount &&
      previous.ruleIds.length === next.ruleIds.length &&
      previous.ruleIds.every((id, i) => id === next.ruleIds[i]);
    if (same) continue;
    writes.push({
      next: { ...next, version: (previous?.version ?? 0) + 1 },
      expectedVersion: previous?.version ?? 0,
    });
  }
  return { writes, removals: [...before.values()] };
}

/** The snapshots as they stand once a plan is committed. */
export function applyPlan(stored: readonly ChannelPrice[], plan: SnapshotPlan): ChannelPrice[] {
  const written = new Set(plan.writes.map((w) => snapshotKey(w.next)));
  const removed = new Set(plan.removals.map(snapshotKey));
  return [
    ...stored.filter((s) => !written.has(snapshotKey(s)) && !removed.has(snapshotKey(s))),
    ...plan.writes.map((w) => w.next),
  ];
}

/** The SKUs and categories a change of rules may move, or `everything`. */
export type RecomputeScope =
  | { everything: true }
  | { everything: false; skus: string[]; categories: string[] };

/** What a set of scopes (a rule before and after a change) covers together. */
export function unionOfScopes(scopes: readonly Scope[]): RecomputeScope {
  const skus = new Set<string>();
  const categories = new Set<string>();
  for (const scope of scopes) {
    if ((scope.skus ?? []).length === 0 && (scope.categories ?? []).length === 0) return { everything: true };
    for (const sku of scope.skus ?? []) skus.add(sku);
    for (const category of scope.categories ?? []) categories.add(category);
  }
  return { everything: false, skus: [...skus], categories: [...categories] };
}

/** True when a SKU of this category is inside the recompute scope by its category. */
export const inCategories = (category: string | undefined, categories: readonly string[]): boolean =>
  categoryPath(category).some((c) => categories.includes(c));
