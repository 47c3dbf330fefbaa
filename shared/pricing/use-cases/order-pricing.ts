import type { TransactItem } from '../../platform/dynamodb';
import { DomainError, type ErrorDetail } from '../../platform/errors';
import type { Channel } from '../../platform/principals';
import type { AppliedPromotion, PricedCart, PricedLine } from '../domain/engine';
import { formatMinor } from '../domain/money';
import type { Promotion } from '../domain/price-book';
import { currentBook, priceStoredCart } from './book';
import type { PricingPorts, PromotionUse, Quote } from './ports';
import { quoteNotFound, storeQuote } from './quotes';

/** What another context (orders) asks of the price book for one order. */
export interface OrderPriceRequest {
  channel: Channel;
  /** Needed for promotions limited per customer; a quote taken must be for the same customer. */
  customerId?: string | undefined;
  /** Default: the quote's currency, else GBP. */
  currency?: string | undefined;
  /**
   * The lines, each with the price the channel showed, if it sends one: `unitPrice` (one unit after
   * channel rules, before promotions) and/or `lineTotal` (after promotions). A price that is not the
   * engine's is refused with 409 `PRICE_MISMATCH`.
   */
  lines: readonly { sku: string; quantity: number; unitPrice?: number; lineTotal?: number }[];
  /** A quote of this channel whose prices the order takes while it holds. */
  quoteId?: string | undefined;
  now: string;
  /** The lines' categories, when the caller read the catalog already. */
  categories?: ReadonlyMap<string, { category: string }> | undefined;
}

/**
 * An order's prices, and the transaction items that count its uses of limited promotions. The order
 * stores `lines` (unit prices, discounts per line, the trace) and commits `usageOps` in its own
 * transaction; `uses[i]` is what `usageOps[i]` counts.
 */
export interface OrderPrice {
  currency: string;
  pricedAt: string;
  quoteId?: string;
  /** In the order of the request's lines. */
  lines: PricedLine[];
  totals: PricedCart['totals'];
  promotions: AppliedPromotion[];
  uses: PromotionUse[];
  usageOps: TransactItem[];
}

/**
 * The price book as another context uses it: it never writes pricing records itself, it commits the
 * items this returns in its own transaction (so an order and its promotion uses are one atomic write,
 * and a limit holds exactly however many orders race for the last use).
 */
export interface OrderPricing {
  /**
   * Prices the order through the engine (or takes its valid quote). Throws 409 `PRICE_MISMATCH`,
   * 404 `QUOTE_NOT_FOUND`, 409 `QUOTE_EXPIRED`, 422 `QUOTE_MISMATCH`, 422 `NO_PRICE`, and 409
   * `PROMOTION_LIMIT_REACHED` when a quote's limited promotion has no use left.
   */
  price(request: OrderPriceRequest): Promise<OrderPrice>;
  /**
   * After the order's transaction was cancelled: when a usage item is why (`reasons` are the
   * cancellation reasons of `price.usageOps`, in order), prices the cart again without the exhausted
   * promotions and throws 409 `PROMOTION_LIMIT_REACHED` with the re-priced cart (kept as a quote the
   * channel may order with). Returns when the usage items are not why.
   */
  explainUsageFailure(
    request: OrderPriceRequest,
    price: OrderPrice,
    reasons: readonly { code: string }[],
  ): Promise<void>;
  /** Gives an order's promotion uses back (it was cancelled), as transaction items. */
  releaseUsageOps(uses: readonly PromotionUse[], now: string): TransactItem[];
}

/** The counters an order using these promotions moves: the total, and the customer's. */
export function usesOf(
  promotions: readonly AppliedPromotion[],
  customerId: string | undefined,
  current: ReadonlyMap<string, Promotion>,
): PromotionUse[] {
  return promotions.flatMap((applied) => {
    // The limits as they are now: an order counts against today's limit, even on an older quote.
    const limits = current.get(applied.promotionId)?.limits ?? applied.limits;
    const base = { promotionId: applied.promotionId, name: applied.name };
    return [
      ...(limits?.total !== undefined ? [{ ...base, counter: 'total' as const, limit: limits.total }] : []),
      ...(limits?.perCustomer !== undefined && customerId !== undefined
        ? [{ ...base, counter: 'customer' as const, limit: limits.perCustomer, customerId }]
        : []),
    ];
  });
}

function priceMismatch(cart: { currency: string; lines: PricedLine[] }, request: OrderPriceRequest): void {
  const details: ErrorDetail[] = [];
  for (const [index, sent] of request.lines.entries()) {
    const line = cart.lines[index]!;
    const field =
      sent.unitPrice !== undefined && sent.unitPrice !== line.unitPrice
        ? 'unitPrice'
        : sent.lineTotal !== undefined && sent.lineTotal !== line.lineTotal
          ? 'lineTotal'
          : undefined;
    if (!field) continue;
    details.push({
      path: `lines.${index}.${field}`,
      message: `the ${field === 'unitPrice' ? 'unit price' : 'line total'} is ${formatMinor(line[field], cart.currency)}`,
      sku: line.sku,
      sent: sent[field],
      current: line[field],
      unitPrice: line.unitPrice,
      lineTotal: line.lineTotal,
      currency: cart.currency,
      trace: line.trace,
      notApplied: line.notApplied,
    });
  }
  if (details.length > 0) {
    throw new DomainError(
      409,
      'PRICE_MISMATCH',
      `The price sent for ${details.map((d) => d.sku).join(', ')} is not the current price`,
      details,
    );
  }
}

/** The quote's lines in the order of the request's, or 422 when they are not the same cart. */
function quotedLines(quote: Quote, request: OrderPriceRequest): PricedLine[] {
  const bySku = new Map(quote.lines.map((l) => [l.sku, l]));
  const lines = request.lines.map((l) => bySku.get(l.sku));
  const index = request.lines.findIndex((l, i) => lines[i]?.quantity !== l.quantity);
  if (request.lines.length !== quote.lines.length || index >= 0) {
    throw new DomainError(
      422,
      'QUOTE_MISMATCH',
      `The order's lines are not those of quote ${quote.quoteId}`,
      [
        {
          path: index >= 0 ? `lines.${index}` : 'lines',
          message: 'must be exactly the SKUs and quantities of the quote',
          quoteId: quote.quoteId,
        },
      ],
    );
  }
  return lines as PricedLine[];
}

async function takeQuote(ports: PricingPorts, request: OrderPriceRequest, quoteId: string): Promise<Quote> {
  const quote = await ports.pricing.getQuote(quoteId);
  if (!quote || quote.channel !== request.channel) throw quoteNotFound(quoteId);
  if (Date.parse(quote.expiresAt) <= Date.parse(request.now)) {
    throw new DomainError(409, 'QUOTE_EXPIRED', `Quote ${quoteId} expired at ${quote.expiresAt}`, [
      { path: 'quoteId', message: `expired at ${quote.expiresAt}; quote again`, expiresAt: quote.expiresAt },
    ]);
  }
  const mismatch = (path: string, message: string) =>
    new DomainError(422, 'QUOTE_MISMATCH', `The order does not match quote ${quoteId}`, [
      { path, message, quoteId },
    ]);
  if (request.currency !== undefined && request.currency !== quote.currency) {
    throw mismatch('currency', `the quote is in ${quote.currency}`);
  }
  if (quote.customerId !== undefined && quote.customerId !== request.customerId) {
    throw mismatch('customerId', 'the quote was made for another customer');
  }
  return quote;
}

/** Prices the order's cart again now; its exhausted promotions are seen as such (usage read afresh). */
async function reprice(ports: PricingPorts, request: OrderPriceRequest, currency: string) {
  const now = ports.now();
  const cart = await priceStoredCart(ports, {
    channel: request.channel,
    currency,
    customerId: request.customerId,
    lines: request.lines.map(({ sku, quantity }) => ({ sku, quantity })),
    at: now,
  });
  return storeQuote(ports, cart, now);
}

async function limitReached(
  ports: PricingPorts,
  request: OrderPriceRequest,
  currency: string,
  exhausted: readonly PromotionUse[],
): Promise<DomainError> {
  const repriced = await reprice(ports, request, currency);
  const names = [...new Set(exhausted.map((u) => `${u.name} (${u.promotionId})`))].join(', ');
  return new DomainError(
    409,
    'PROMOTION_LIMIT_REACHED',
    `No use of ${names} is left; the cart was priced again without it`,
    [
      ...exhausted.map((u) => ({
        path: 'promotions',
        message:
          u.counter === 'total'
            ? `all ${u.limit} uses are taken`
            : `the customer has had the ${u.limit} use(s) allowed`,
        promotionId: u.promotionId,
        name: u.name,
        counter: u.counter,
        limit: u.limit,
      })),
      {
        path: 'lines',
        message: `the cart priced again now: ${formatMinor(repriced.totals.total, repriced.currency)}; order with quoteId ${repriced.quoteId} to take it`,
        quote: repriced,
      },
    ],
  );
}

/** The order-intake API of the price book, over the given ports. */
export function orderPricing(ports: PricingPorts): OrderPricing {
  return {
    async price(request) {
      let cart: PricedCart & { quoteId?: string };
      let lines: PricedLine[];
      let uses: PromotionUse[];
      if (request.quoteId !== undefined) {
        const quote = await takeQuote(ports, request, request.quoteId);
        lines = quotedLines(quote, request);
        cart = quote;
        // A quote promises prices, not uses: each use counts against the promotion's limits as they
        // are now, and a limited promotion whose uses ran out since is refused here.
        const book = await currentBook(ports, request.now);
        uses = usesOf(quote.promotions, request.customerId, book.promotionsById);
        if (uses.length > 0) {
          const usage = await ports.pricing.getUsage(
            uses.map((u) => u.promotionId),
            request.customerId,
          );
          const exhausted = uses.filter((u) => {
            const used = usage.get(u.promotionId);
            return ((u.counter === 'total' ? used?.total : used?.customer) ?? 0) >= u.limit;
          });
          if (exhausted.length > 0) throw await limitReached(ports, request, quote.currency, exhausted);
        }
      } else {
        cart = await priceStoredCart(ports, {
          channel: request.channel,
          currency: request.currency ?? 'GBP',
          customerId: request.customerId,
          lines: request.lines.map(({ sku, quantity }) => ({ sku, quantity })),
          at: request.now,
          categories: request.categories,
        });
        lines = cart.lines;
        // Priced just now: the limits the engine applied are the current ones.
        uses = usesOf(cart.promotions, request.customerId, new Map());
      }
      priceMismatch({ currency: cart.currency, lines }, request);
      return {
        currency: cart.currency,
        pricedAt: cart.pricedAt,
        ...(cart.quoteId !== undefined ? { quoteId: cart.quoteId } : {}),
        lines,
        totals: cart.totals,
        promotions: cart.promotions,
        uses,
        usageOps: uses.map((use) => ports.pricing.usageOp(use, request.now)),
      };
    },

    async explainUsageFailure(request, price, reasons) {
      const exhausted = price.uses.filter((_, i) => reasons[i]?.code === 'ConditionalCheckFailed');
      if (exhausted.length === 0) return;
      throw await limitReached(ports, request, price.currency, exhausted);
    },

    releaseUsageOps(uses, now) {
      return uses.map((use) => ports.pricing.usageReleaseOp(use, now));
    },
  };
}
