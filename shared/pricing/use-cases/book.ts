import type { Channel } from '../../platform/principals';
import { indexPriceBook, limitedCandidates, type PriceBook } from '../domain/book-index';
import { type PricedCart, priceCart } from '../domain/engine';
import type { PricingPorts, PricingRepository } from './ports';

/**
 * The price book as pricing uses it: indexed once per version of the stored book and kept per
 * execution environment. Each pricing reads the book's version (one small consistent read, unless
 * `bookFreshnessMs` allows reuse) and rebuilds the index only when a rule or promotion changed.
 */

/** Ended rules and promotions stay in the loaded book this long, to explain why they no longer apply. */
const ENDED_KEPT_MS = 24 * 3600 * 1000;

interface Cached {
  key: string;
  book: PriceBook;
  checkedAt: number;
  /** Rules and promotions that ended before this were left out. */
  cutoffMs: number;
}

const cache = new WeakMap<PricingRepository, Cached>();

/**
 * The current price book, for pricing at `at`. `fresh`: read the version now even inside the
 * freshness window (a write that must see the latest rules).
 */
export async function currentBook(
  ports: PricingPorts,
  at: string,
  options: { fresh?: boolean } = {},
): Promise<PriceBook> {
  const cached = cache.get(ports.pricing);
  const started = Date.now();
  const atMs = Date.parse(at);
  const covers = (c: Cached) => atMs - ENDED_KEPT_MS >= c.cutoffMs;
  if (
    cached &&
    !options.fresh &&
    covers(cached) &&
    started - cached.checkedAt < (ports.bookFreshnessMs ?? 0)
  ) {
    return cached.book;
  }
  // The version is read before the book: a change committed while the book is read moves the
  // version past the one cached, so the next pricing reloads rather than trusting a mixed read.
  const version = await ports.pricing.bookVersion();
  const key = `${version.rules}.${version.promotions}`;
  if (cached && cached.key === key && covers(cached)) {
    cached.checkedAt = started;
    return cached.book;
  }
  const cutoffMs = atMs - ENDED_KEPT_MS;
  const { rules, promotions } = await ports.pricing.loadBook(new Date(cutoffMs).toISOString());
  const book = indexPriceBook(rules, promotions, { version: key, rulesVersion: version.rules });
  cache.set(ports.pricing, { key, book, checkedAt: started, cutoffMs });
  return book;
}

/** A cart to price now, as a channel sends it. */
export interface CartRequest {
  channel: Channel;
  currency: string;
  customerId?: string | undefined;
  lines: readonly { sku: string; quantity: number }[];
  at: string;
  /** The lines' categories when the caller has just read them from the catalog (saves reading again). */
  categories?: ReadonlyMap<string, { category: string }> | undefined;
}

/**
 * Prices a cart with what is stored now: the book, the lines' base prices and categories, and the
 * usage of the limited promotions that could apply (read strongly consistent, so a promotion whose
 * uses are all taken is not offered).
 */
export async function priceStoredCart(ports: PricingPorts, request: CartRequest): Promise<PricedCart> {
  const skus = request.lines.map((l) => l.sku);
  const [book, bases, categories] = await Promise.all([
    currentBook(ports, request.at),
    ports.pricing.getBasePrices(skus),
    request.categories ?? ports.products.categoriesOf(skus),
  ]);
  const lines = request.lines.map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    category: categories.get(l.sku)?.category,
  }));
  const limited = limitedCandidates(book, request.channel, lines);
  const usage =
    limited.length > 0
      ? await ports.pricing.getUsage(
          limited.map((p) => p.promotionId),
          request.customerId,
        )
      : undefined;
  return priceCart({
    channel: request.channel,
    currency: request.currency,
    at: request.at,
    customerId: request.customerId,
    lines,
    basePrices: new Map([...bases].map(([sku, base]) => [sku, base.prices])),
    book,
    ...(usage ? { usage } : {}),
  });
}
