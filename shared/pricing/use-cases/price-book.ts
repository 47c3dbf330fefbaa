import { contentionBackoff, MAX_CONTENTION_ATTEMPTS, type TransactItem } from '../../platform/dynamodb';
import { concurrentUpdate, DomainError, notFound } from '../../platform/errors';
import { requestFingerprint } from '../../platform/idempotency/fingerprint';
import type { Channel } from '../../platform/principals';
import { CHANNELS } from '../../platform/principals';
import { applyPlan, effectiveChannelPrices, newerThan, planSnapshots } from '../domain/channel-prices';
import type { Money } from '../domain/money';
import {
  type BasePrice,
  type ChannelPrice,
  etagOf,
  type PriceRule,
  type Promotion,
  versionOfEtag,
} from '../domain/price-book';
import type { BasePriceInput, PriceRuleInput, PromotionInput } from '../schemas';
import { currentBook } from './book';
import type { PricingPorts } from './ports';

/**
 * The price book's writes and reads: base prices, channel price rules and promotions. Every write is
 * a conditional write on the item's version: a PUT of what is already stored changes nothing (no new
 * version, no event), a lost race is read again, and with `If-Match` the caller's version is the
 * condition (412 when the item moved on).
 */

/** What a write did: a new item, a new version, or nothing (the content was already so). */
export type WriteOutcome = 'created' | 'updated' | 'unchanged';

const preconditionFailed = (what: string, current: { version: number } | undefined) =>
  new DomainError(412, 'PRECONDITION_FAILED', `The ${what} changed since that version was read`, [
    {
      path: 'headers.If-Match',
      message: current ? `the ${what} is at ${etagOf(current.version)}` : `the ${what} does not exist`,
      ...(current ? { etag: etagOf(current.version) } : {}),
    },
  ]);

function checkIfMatch(what: string, current: { version: number } | undefined, ifMatch: string | undefined) {
  if (ifMatch === undefined) return;
  const version = versionOfEtag(ifMatch);
  if (version === undefined) {
    throw new DomainError(400, 'VALIDATION_FAILED', 'If-Match is not an entity tag of this API', [
      { path: 'headers.If-Match', message: `the ETag of a ${what} version, e.g. "3"` },
    ]);
  }
  if (current?.version !== version) throw preconditionFailed(what, current);
}

const failedAt = (result: { kind: string; reasons?: { code: string }[] }, index: number) =>
  result.kind === 'cancelled' && result.reasons?.[index]?.code === 'ConditionalCheckFailed';

/** Channels in one order whatever order they were sent in: the same rule is the same content. */
const inChannelOrder = <T extends { channels: PriceRule['channels'] }>(item: T): T => ({
  ...item,
  channels: CHANNELS.filter((c) => item.channels.includes(c)),
});

const sameContent = (a: object, b: object) => requestFingerprint(a) === requestFingerprint(b);

/** A SKU's base prices and each channel's effective price, as the API answers them. */
export interface BasePriceView {
  sku: string;
  prices: Money[];
  version: number;
  updatedAt: string;
  channels: Pick<ChannelPrice, 'channel' | 'currency' | 'amount' | 'ruleIds' | 'computedAt'>[];
}

function basePriceView(base: BasePrice, channels: readonly ChannelPrice[]): BasePriceView {
  return {
    sku: base.sku,
    prices: Object.entries(base.prices)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, amount]) => ({ currency, amount })),
    version: base.version,
    updatedAt: base.updatedAt,
    channels: [...channels]
      .sort((a, b) =>
        a.channel === b.channel ? (a.currency < b.currency ? -1 : 1) : a.channel < b.channel ? -1 : 1,
      )
      .map(({ channel, currency, amount, ruleIds, computedAt }) => ({
        channel,
        currency,
        amount,
        ruleIds,
        computedAt,
      })),
  };
}

/**
 * Puts a SKU's base prices (replacing those it had) and, in the same transaction, each channel's
 * effective price where it moves: the price book and what channels are told never disagree.
 */
export async function putBasePrices(
  ports: PricingPorts,
  sku: string,
  input: BasePriceInput,
  ifMatch?: string,
): Promise<{ outcome: WriteOutcome; price: BasePriceView }> {
  const prices = Object.fromEntries(
    [...input.prices].sort((a, b) => (a.currency < b.currency ? -1 : 1)).map((p) => [p.currency, p.amount]),
  );
  for (let attempt = 1; ; attempt++) {
    const { base, channels } = await ports.pricing.getSkuPrices(sku);
    checkIfMatch('price', base, ifMatch);
    if (base && sameContent(base.prices, prices)) {
      return { outcome: 'unchanged', price: basePriceView(base, channels) };
    }
    const now = ports.now();
    const next: BasePrice = { sku, prices, version: (base?.version ?? 0) + 1, updatedAt: now };
    const [book, categories] = await Promise.all([
      currentBook(ports, now, { fresh: true }),
      ports.products.categoriesOf([sku]),
    ]);
    const inputs = { baseVersion: next.version, rulesVersion: book.rulesVersion ?? 0, computedAt: now };
    // Snapshots written from a newer rule book than the one just read: read again rather than
    // write older rules over them.
    if (newerThan(channels, inputs) !== 'inputs') {
      const plan = planSnapshots(
        channels,
        effectiveChannelPrices(book, next, categories.get(sku)?.category, inputs),
      );
      const result = await ports.transact([
        ports.pricing.putBasePriceOp(next, base?.version ?? 0),
        ...plan.writes.map((w) => ports.pricing.putChannelPriceOp(w.next, w.expectedVersion)),
        ...plan.removals.map((r) => ports.pricing.removeChannelPriceOp(r)),
      ]);
      if (result.kind === 'committed') {
        return {
          outcome: base ? 'updated' : 'created',
          price: basePriceView(next, applyPlan(channels, plan)),
        };
      }
      if (ifMatch !== undefined && failedAt(result, 0)) {
        throw preconditionFailed('price', (await ports.pricing.getSkuPrices(sku)).base);
      }
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate('The price changed too often while writing; retry', 'sku', 'contention');
    }
    await contentionBackoff(attempt);
  }
}

export async function getBasePrices(ports: PricingPorts, sku: string): Promise<BasePriceView> {
  const { base, channels } = await ports.pricing.getSkuPrices(sku);
  if (!base) throw notFound('Price', sku, 'sku', 'no base price for this SKU');
  return basePriceView(base, channels);
}

/**
 * Writes a versioned item of the book (a rule or a promotion): unchanged content writes nothing; a
 * lost race is read again; with `If-Match`, a moved item is 412.
 */
async function putVersioned<T extends { version: number; updatedAt: string }>(
  ports: PricingPorts,
  what: string,
  read: () => Promise<T | undefined>,
  build: (version: number, now: string) => T,
  content: (item: T) => object,
  ops: (item: T) => TransactItem[],
  ifMatch: string | undefined,
): Promise<{ outcome: WriteOutcome; item: T }> {
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    checkIfMatch(what, current, ifMatch);
    const now = ports.now();
    const next = build((current?.version ?? 0) + 1, now);
    if (current && sameContent(content(current), content(next)))
      return { outcome: 'unchanged', item: current };
    const result = await ports.transact(ops(next));
    if (result.kind === 'committed') return { outcome: current ? 'updated' : 'created', item: next };
    if (ifMatch !== undefined && failedAt(result, 0)) throw preconditionFailed(what, await read());
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate(`The ${what} changed too often while writing; retry`, what, 'contention');
    }
    await contentionBackoff(attempt);
  }
}

const ruleContent = ({ ruleId: _id, version: _v, updatedAt: _u, ...content }: PriceRule) => content;
const promotionContent = ({ promotionId: _id, version: _v, updatedAt: _u, ...content }: Promotion) => content;

/**
 * Creates or replaces a named, dated channel price rule. The effective prices it moves are recomputed
 * from its `PriceRuleChanged` event (RecomputeChannelPrices), not in this request: a rule may cover
 * the whole catalogue.
 */
export async function putPriceRule(
  ports: PricingPorts,
  ruleId: string,
  input: PriceRuleInput,
  ifMatch?: string,
): Promise<{ outcome: WriteOutcome; rule: PriceRule }> {
  const { outcome, item } = await putVersioned<PriceRule>(
    ports,
    'rule',
    () => ports.pricing.getRule(ruleId),
    (version, now) => inChannelOrder({ ruleId, ...input, version, updatedAt: now }),
    ruleContent,
    (rule) => ports.pricing.putRuleOps(rule),
    ifMatch,
  );
  return { outcome, rule: item };
}

export async function listPriceRules(ports: PricingPorts): Promise<{ items: PriceRule[] }> {
  return { items: await ports.pricing.listRules() };
}

/** Creates or replaces a promotion; its limits apply to uses counted from then on. */
export async function putPromotion(
  ports: PricingPorts,
  promotionId: string,
  input: PromotionInput,
  ifMatch?: string,
): Promise<{ outcome: WriteOutcome; promotion: Promotion }> {
  const { outcome, item } = await putVersioned<Promotion>(
    ports,
    'promotion',
    () => ports.pricing.getPromotion(promotionId),
    (version, now) => inChannelOrder({ promotionId, ...input, version, updatedAt: now }),
    promotionContent,
    (promotion) => ports.pricing.putPromotionOps(promotion),
    ifMatch,
  );
  return { outcome, promotion: item };
}

/** A promotion with how often it was used (counted for limited promotions only). */
export async function getPromotion(
  ports: PricingPorts,
  promotionId: string,
): Promise<Promotion & { usage: { total: number } }> {
  const promotion = await ports.pricing.getPromotion(promotionId);
  if (!promotion) throw notFound('Promotion', promotionId, 'promotionId', 'no such promotion');
  const usage = await ports.pricing.getUsage([promotionId]);
  return { ...promotion, usage: { total: usage.get(promotionId)?.total ?? 0 } };
}

/** Promotions in their window now, yet to start, over, or all; in priority order. */
export async function listPromotions(
  ports: PricingPorts,
  status?: 'active' | 'scheduled' | 'ended',
): Promise<{ items: Promotion[] }> {
  const now = ports.now();
  const nowMs = Date.parse(now);
  const stored = await ports.pricing.listPromotions({
    at: now,
    ...(status === 'ended' ? { status: 'ended' as const } : status ? { status: 'notEnded' as const } : {}),
  });
  const started = (p: Promotion) => Date.parse(p.validFrom) <= nowMs;
  const items = stored
    .filter((p) => (status === 'active' ? started(p) : status === 'scheduled' ? !started(p) : true))
    .sort((a, b) =>
      a.priority !== b.priority ? a.priority - b.priority : a.promotionId < b.promotionId ? -1 : 1,
    );
  return { items };
}

/**
 * What each SKU costs on a channel now before promotions (its effective price snapshot), for reads
 * that show prices: one BatchGetItem per 100 SKUs. `priceId` names the snapshot version.
 */
export async function channelPricesFor(
  ports: Pick<PricingPorts, 'pricing'>,
  channel: Channel,
  currency: string,
  skus: string[],
): Promise<Map<string, { amount: number; currency: string; ruleIds: string[]; priceId: string }>> {
  const snapshots = await ports.pricing.getChannelPrices(skus, channel, currency);
  return new Map(
    [...snapshots].map(([sku, p]) => [
      sku,
      {
        amount: p.amount,
        currency: p.currency,
        ruleIds: p.ruleIds,
        priceId: `${sku}/${channel}/${currency}@${p.version}`,
      },
    ]),
  );
}
