import type { CancelledTransaction, TransactItem } from '../../platform/dynamodb';
import type { Channel } from '../../platform/principals';
import type { PricedCart } from '../domain/engine';
import type { BasePrice, ChannelPrice, PriceRule, Promotion, PromotionUsage } from '../domain/price-book';

/**
 * What pricing needs to know of SKUs from the catalog: their category, which category-scoped rules
 * and promotions match. The catalog context provides the real one; tests pass a fake. A SKU the
 * catalog does not know is absent from the answer (it matches only SKU-scoped and unscoped ones).
 */
export interface ProductFacts {
  categoriesOf(skus: string[]): Promise<Map<string, { category: string }>>;
}

/** The versions of the stored price book: every rule change moves `rules`, every promotion change `promotions`. */
export interface BookVersion {
  rules: number;
  promotions: number;
}

/** A priced cart held for an order to take until it expires. */
export interface Quote extends PricedCart {
  quoteId: string;
  createdAt: string;
  expiresAt: string;
}

/**
 * One use of a limited promotion by an order: a counter (the promotion's total, or one customer's)
 * that the order's transaction moves by one, conditional on it staying within `limit`.
 */
export interface PromotionUse {
  promotionId: string;
  name: string;
  counter: 'total' | 'customer';
  limit: number;
  customerId?: string;
}

/** Where a pass over every priced SKU stands (an opaque storage key). */
export type SkuCursor = Record<string, unknown>;

/** The scheduled pass over dated rules: up to when their starts and ends were applied. */
export interface DatedRulesJob {
  checkedUntil?: string;
  version: number;
}

/**
 * What the pricing use cases need from storage; the DynamoDB adapter implements it. Methods ending in
 * `Op`/`Ops` return transaction items, so a caller commits them with others (an order with its
 * promotion uses, a base price with the channel prices it moves) atomically.
 */
export interface PricingRepository {
  /** Identifies the store (caches are per table). */
  readonly tableName: string;
  /** A SKU's base price and its channel price snapshots, in one strongly consistent read. */
  getSkuPrices(sku: string): Promise<{ base?: BasePrice; channels: ChannelPrice[] }>;
  /** Base prices of many SKUs (strongly consistent); SKUs without one are absent. */
  getBasePrices(skus: string[]): Promise<Map<string, BasePrice>>;
  /**
   * The effective prices of many SKUs for one channel and currency (eventually consistent: what a
   * page shows, not what an order is charged); SKUs without one are absent.
   */
  getChannelPrices(skus: string[], channel: Channel, currency: string): Promise<Map<string, ChannelPrice>>;
  /** Writes a base price, conditional on the stored version being `expectedVersion` (0: none). */
  putBasePriceOp(next: BasePrice, expectedVersion: number): TransactItem;
  putChannelPriceOp(next: ChannelPrice, expectedVersion: number): TransactItem;
  removeChannelPriceOp(previous: ChannelPrice): TransactItem;
  /** A page of every priced SKU, in SKU order. */
  pricedSkus(cursor: SkuCursor | undefined, limit: number): Promise<{ skus: string[]; next?: SkuCursor }>;
  /** The book's versions (strongly consistent): one small read that says whether a cached book is current. */
  bookVersion(): Promise<BookVersion>;
  /** Every rule and promotion that ended after `endedAfter` or has not ended (strongly consistent). */
  loadBook(endedAfter: string): Promise<{ rules: PriceRule[]; promotions: Promotion[] }>;
  getRule(ruleId: string): Promise<PriceRule | undefined>;
  listRules(): Promise<PriceRule[]>;
  /** Writes a rule at `rule.version`, conditional on the stored one being the version before; moves the book. */
  putRuleOps(rule: PriceRule): TransactItem[];
  getPromotion(promotionId: string): Promise<Promotion | undefined>;
  /** Promotions by their end: all, those not ended at `at`, or those ended by `at`. */
  listPromotions(filter: { status?: 'notEnded' | 'ended'; at: string }): Promise<Promotion[]>;
  putPromotionOps(promotion: Promotion): TransactItem[];
  /** Uses so far of these promotions, in all and by the customer (strongly consistent). */
  getUsage(promotionIds: string[], customerId?: string): Promise<Map<string, PromotionUsage>>;
  /** Moves a usage counter up by one, conditional on it being below the limit. */
  usageOp(use: PromotionUse, now: string): TransactItem;
  /** Gives a use back (an order that used it was cancelled). */
  usageReleaseOp(use: PromotionUse, now: string): TransactItem;
  /** Stores a quote; it disappears a day after it expires. */
  putQuote(quote: Quote): Promise<void>;
  getQuote(quoteId: string): Promise<Quote | undefined>;
  datedRulesJob(): Promise<DatedRulesJob>;
  /** Records the pass up to `checkedUntil`, if nobody else moved the job since it was read. */
  checkpointDatedRules(job: DatedRulesJob, checkedUntil: string): Promise<boolean>;
}

/** Everything the pricing use cases are given: tests pass fakes or DynamoDB Local adapters. */
export interface PricingPorts {
  pricing: PricingRepository;
  products: ProductFacts;
  /** Commits transaction items atomically; a cancellation comes back as data. */
  transact(items: TransactItem[]): Promise<{ kind: 'committed' } | CancelledTransaction>;
  now(): string;
  newId(prefix: string): string;
  /**
   * How long (ms) a loaded price book is used before its version is read again. 0 (the default):
   * every pricing reads the version (one small consistent read), so a change applies at once.
   */
  bookFreshnessMs?: number;
  /** How long a quote holds (default 15 minutes). */
  quoteTtlSeconds?: number;
}
