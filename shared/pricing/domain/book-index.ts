import type { Channel } from '../../platform/principals';
import { categoryPath, type PriceRule, type Promotion, windowOf } from './price-book';

/**
 * The price book indexed for pricing: per channel, rules and promotions by SKU, by category and
 * "everywhere" (no scope), each list in application order. Pricing a cart then looks up its lines'
 * SKUs and categories instead of scanning every promotion: the work grows with what could apply to the
 * cart, not with the size of the book. Built once per version of the book and reused across quotes.
 */

/** A rule or promotion with what pricing needs precomputed: its place in order and its window. */
export interface Indexed<T> {
  item: T;
  /** Position in application order (priority, then id), unique within its kind. */
  order: number;
  fromMs: number;
  toMs: number;
}

/** One channel's rules or promotions, by what their scopes name. */
export interface Shelf<T> {
  bySku: Map<string, Indexed<T>[]>;
  byCategory: Map<string, Indexed<T>[]>;
  everywhere: Indexed<T>[];
}

export interface PriceBook {
  rules: ReadonlyMap<Channel, Shelf<PriceRule>>;
  promotions: ReadonlyMap<Channel, Shelf<Promotion>>;
  /** Every promotion by id (usage limits, quotes honoured after a change). */
  promotionsById: ReadonlyMap<string, Promotion>;
  /** Identifies what the index was built from (the stored book's versions), when it was loaded. */
  version?: string;
  /** The rule book's version: what channel price snapshots record they were computed from. */
  rulesVersion?: number;
}

const emptyShelf = <T>(): Shelf<T> => ({ bySku: new Map(), byCategory: new Map(), everywhere: [] });

function push<T>(map: Map<string, Indexed<T>[]>, key: string, entry: Indexed<T>): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}

function shelve<
  T extends {
    channels: Channel[];
    scope: PriceRule['scope'];
    priority: number;
    validFrom: string;
    validTo?: string;
  },
>(items: readonly T[], idOf: (item: T) => string): Map<Channel, Shelf<T>> {
  const ordered = [...items].sort((a, b) =>
    a.priority !== b.priority ? a.priority - b.priority : idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0,
  );
  const shelves = new Map<Channel, Shelf<T>>();
  for (const [order, item] of ordered.entries()) {
    const entry: Indexed<T> = { item, order, ...windowOf(item) };
    const skus = item.scope.skus ?? [];
    const categories = item.scope.categories ?? [];
    for (const channel of new Set(item.channels)) {
      let shelf = shelves.get(channel);
      if (!shelf) {
        shelf = emptyShelf<T>();
        shelves.set(channel, shelf);
      }
      if (skus.length === 0 && categories.length === 0) {
        shelf.everywhere.push(entry);
        continue;
      }
      for (const sku of new Set(skus)) push(shelf.bySku, sku, entry);
      for (const category of new Set(categories)) push(shelf.byCategory, category, entry);
    }
  }
  return shelves;
}

/** Indexes rules and promotions for pricing. */
export function indexPriceBook(
  rules: readonly PriceRule[],
  promotions: readonly Promotion[],
  identity: { version?: string; rulesVersion?: number } = {},
): PriceBook {
  return {
    rules: shelve(rules, (r) => r.ruleId),
    promotions: shelve(promotions, (p) => p.promotionId),
    promotionsById: new Map(promotions.map((p) => [p.promotionId, p])),
    ...identity,
  };
}

/** A line as the index matches it: its SKU and the category path it belongs to. */
export interface MatchableLine {
  sku: string;
  categoryPath: string[];
}

/** A rule or promotion that may apply to a cart, with the lines (by index) its scope covers. */
export interface Match<T> {
  entry: Indexed<T>;
  lines: number[];
}

/**
 * What on a channel's shelf may apply to the given lines, in application order, each with the lines
 * its scope covers (in line order). A scope naming a line twice (by SKU and category) counts it once.
 */
export function matchLines<T>(shelf: Shelf<T> | undefined, lines: readonly MatchableLine[]): Match<T>[] {
  if (!shelf) return [];
  const found = new Map<number, Match<T>>();
  const visit = (entries: Indexed<T>[] | undefined, line: number) => {
    if (!entries) return;
    for (const entry of entries) {
      const match = found.get(entry.order);
      if (!match) found.set(entry.order, { entry, lines: [line] });
      else if (match.lines[match.lines.length - 1] !== line) match.lines.push(line);
    }
  };
  for (const [index, line] of lines.entries()) {
    visit(shelf.bySku.get(line.sku), index);
    for (const category of line.categoryPath) visit(shelf.byCategory.get(category), index);
  }
  if (shelf.everywhere.length > 0) {
    const all = lines.map((_, i) => i);
    for (const entry of shelf.everywhere) found.set(entry.order, { entry, lines: all });
  }
  return [...found.values()].sort((a, b) => a.entry.order - b.entry.order);
}

/** The promotions with usage limits that may apply to these lines on this channel (to read their usage). */
export function limitedCandidates(
  book: PriceBook,
  channel: Channel,
  lines: readonly { sku: string; category?: string | undefined }[],
): Promotion[] {
  const matchable = lines.map((l) => ({ sku: l.sku, categoryPath: categoryPath(l.category) }));
  return matchLines(book.promotions.get(channel), matchable)
    .map((m) => m.entry.item)
    .filter((p) => p.limits?.total !== undefined || p.limits?.perCustomer !== undefined);
}
