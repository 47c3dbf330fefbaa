import { contentionBackoff, MAX_CONTENTION_ATTEMPTS } from '../../platform/dynamodb';
import {
  effectiveChannelPrices,
  inCategories,
  newerThan,
  planSnapshots,
  type RecomputeScope,
  unionOfScopes,
} from '../domain/channel-prices';
import type { PriceRule } from '../domain/price-book';
import { currentBook } from './book';
import type { PricingPorts } from './ports';

/**
 * Keeps each channel's effective price snapshots in step with the rules: after a rule change (from
 * its `PriceRuleChanged` event) and when a dated rule starts or ends (a scheduled pass). Each SKU is
 * recomputed from fresh reads and written only where a price or its rule list moved; a recompute
 * that finds snapshots made from newer inputs reads again, so the newest inputs always win.
 */

/** SKUs recomputed at once; each is a few small reads and at most one transaction. */
const CONCURRENCY = 8;
const PAGE_SIZE = 100;

/** Recomputes one SKU's snapshots; true when something was written. */
async function recomputeSku(
  ports: PricingPorts,
  sku: string,
  category: string | undefined,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const now = ports.now();
    const [{ base, channels }, book] = await Promise.all([
      ports.pricing.getSkuPrices(sku),
      currentBook(ports, now, { fresh: attempt > 1 }),
    ]);
    if (!base) return false;
    const inputs = { baseVersion: base.version, rulesVersion: book.rulesVersion ?? 0, computedAt: now };
    const newer = newerThan(channels, inputs);
    if (newer === 'time') return false; // a later computation from the same inputs is already stored
    if (newer === undefined) {
      const plan = planSnapshots(channels, effectiveChannelPrices(book, base, category, inputs));
      if (plan.writes.length === 0 && plan.removals.length === 0) return false;
      const result = await ports.transact([
        ...plan.writes.map((w) => ports.pricing.putChannelPriceOp(w.next, w.expectedVersion)),
        ...plan.removals.map((r) => ports.pricing.removeChannelPriceOp(r)),
      ]);
      if (result.kind === 'committed') return true;
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw new Error(`Channel prices of ${sku} changed too often while recomputing them`);
    }
    await contentionBackoff(attempt);
  }
}

/** Recomputes the snapshots of the given SKUs; returns how many SKUs had a snapshot written. */
export async function recomputeChannelPrices(
  ports: PricingPorts,
  skus: readonly string[],
  known?: ReadonlyMap<string, { category: string }>,
): Promise<{ skus: number; changed: number }> {
  const categories = known ?? (skus.length > 0 ? await ports.products.categoriesOf([...skus]) : new Map());
  let changed = 0;
  for (let i = 0; i < skus.length; i += CONCURRENCY) {
    const results = await Promise.all(
      skus.slice(i, i + CONCURRENCY).map((sku) => recomputeSku(ports, sku, categories.get(sku)?.category)),
    );
    changed += results.filter(Boolean).length;
  }
  return { skus: skus.length, changed };
}

/** Recomputes every priced SKU a scope covers: listed SKUs directly, categories page by page. */
export async function recomputeScope(
  ports: PricingPorts,
  scope: RecomputeScope,
): Promise<{ skus: number; changed: number }> {
  if (!scope.everything && scope.categories.length === 0) return recomputeChannelPrices(ports, scope.skus);
  const total = { skus: 0, changed: 0 };
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await ports.pricing.pricedSkus(cursor, PAGE_SIZE);
    cursor = page.next;
    if (page.skus.length === 0) continue;
    const categories = await ports.products.categoriesOf(page.skus);
    const covered = scope.everything
      ? page.skus
      : page.skus.filter(
          (sku) => scope.skus.includes(sku) || inCategories(categories.get(sku)?.category, scope.categories),
        );
    const done = await recomputeChannelPrices(ports, covered, categories);
    total.skus += done.skus;
    total.changed += done.changed;
  } while (cursor);
  return total;
}

/** After a rule changed: every SKU the rule covered before or covers now. */
export function recomputeForRuleChange(
  ports: PricingPorts,
  change: { rule: Pick<PriceRule, 'scope'>; previous?: Pick<PriceRule, 'scope'> | undefined },
) {
  return recomputeScope(
    ports,
    unionOfScopes([change.rule.scope, ...(change.previous ? [change.previous.scope] : [])]),
  );
}

/** How far back the first pass looks for rule starts and ends. */
const FIRST_PASS_LOOKBACK_MS = 3600 * 1000;

/**
 * The scheduled pass: the rules that started or ended since the last pass change effective prices
 * with no write to show for it, so their SKUs are recomputed now. The pass records how far it got.
 */
export async function applyDatedRules(
  ports: PricingPorts,
): Promise<{ rules: string[]; skus: number; changed: number }> {
  const job = await ports.pricing.datedRulesJob();
  const now = ports.now();
  const nowMs = Date.parse(now);
  const fromMs = job.checkedUntil ? Date.parse(job.checkedUntil) : nowMs - FIRST_PASS_LOOKBACK_MS;
  const crossed = (time: string | undefined) =>
    time !== undefined && Date.parse(time) > fromMs && Date.parse(time) <= nowMs;
  const rules = (await ports.pricing.listRules()).filter((r) => crossed(r.validFrom) || crossed(r.validTo));
  const done =
    rules.length > 0
      ? await recomputeScope(ports, unionOfScopes(rules.map((r) => r.scope)))
      : { skus: 0, changed: 0 };
  await ports.pricing.checkpointDatedRules(job, now);
  return { rules: rules.map((r) => r.ruleId), ...done };
}
