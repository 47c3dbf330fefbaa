import { DomainError } from '../../platform/errors';
import type { Channel } from '../../platform/principals';
import type { PricedCart } from '../domain/engine';
import { LIMITS } from '../schemas';
import { priceStoredCart } from './book';
import type { PricingPorts, Quote } from './ports';

/**
 * Quotes: a cart priced for the caller's channel, stored with an id and held until it expires. An
 * order may take a valid quote's prices instead of being priced again (the price a customer saw is
 * the price charged, while the quote holds).
 */

/** A quote as the API answers it: `expired` once its time is up. */
export type QuoteView = Quote & { expired: boolean };

export const quoteView = (quote: Quote, now: string): QuoteView => ({
  ...quote,
  expired: Date.parse(quote.expiresAt) <= Date.parse(now),
});

export const quoteNotFound = (quoteId: string) =>
  new DomainError(404, 'QUOTE_NOT_FOUND', `Quote ${quoteId} was not found`, [
    { path: 'quoteId', message: 'no such quote for this channel', quoteId },
  ]);

/** Stores a priced cart as a quote of the channel, valid for the ports' quote time (15 minutes). */
export async function storeQuote(ports: PricingPorts, cart: PricedCart, now: string): Promise<QuoteView> {
  const ttlSeconds = ports.quoteTtlSeconds ?? LIMITS.quoteTtlSeconds;
  const quote: Quote = {
    quoteId: ports.newId('quo'),
    createdAt: now,
    expiresAt: new Date(Date.parse(now) + ttlSeconds * 1000).toISOString(),
    ...cart,
  };
  await ports.pricing.putQuote(quote);
  return quoteView(quote, now);
}

/** `POST /quotes`: prices the cart for the channel now and keeps the answer as a quote. */
export async function createQuote(
  ports: PricingPorts,
  channel: Channel,
  input: { currency: string; customerId?: string | undefined; lines: { sku: string; quantity: number }[] },
): Promise<QuoteView> {
  const now = ports.now();
  const cart = await priceStoredCart(ports, {
    channel,
    currency: input.currency,
    customerId: input.customerId,
    lines: input.lines,
    at: now,
  });
  return storeQuote(ports, cart, now);
}

/** A quote of the channel (another channel's quote is "not found"). */
export async function getQuote(ports: PricingPorts, channel: Channel, quoteId: string): Promise<QuoteView> {
  const quote = await ports.pricing.getQuote(quoteId);
  if (!quote || quote.channel !== channel) throw quoteNotFound(quoteId);
  return quoteView(quote, ports.now());
}
