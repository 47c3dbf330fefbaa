import type { Channel } from '../../platform/principals';
import { type NotSellable, type Product, sellability } from '../domain/product';
import type { CatalogRepository } from './ports';

/** What a channel may get of a SKU now, by fulfilment method (the inventory pool's answer). */
export interface OfferAvailability {
  ship: number;
  pickup: { locationId: string; name: string; available: number; distanceKm?: number }[];
}

/** The channel's current price of a SKU, before promotions (the price book's effective price). */
export interface OfferPrice {
  amount: number;
  currency: string;
  /** The channel price rules that made it, in the order they applied. */
  ruleIds: string[];
  /** Names this price version: the same id is the same price and the same rules. */
  priceId: string;
}

/**
 * The offer read's ports: the catalog, and what the inventory pool and the price book answer for a
 * channel. Each answers every SKU of a call in one batch, so an offer read costs a fixed number of
 * requests (one per context) whatever the number of SKUs up to 100.
 */
export interface OfferPorts {
  catalog: Pick<CatalogRepository, 'getProducts'>;
  availability(
    channel: Channel,
    query: { skus: string[]; near?: { lat: number; lon: number }; limit?: number },
  ): Promise<Map<string, OfferAvailability>>;
  prices(channel: Channel, currency: string, skus: string[]): Promise<Map<string, OfferPrice>>;
}

export interface OfferQuery {
  skus: string[];
  currency: string;
  near?: { lat: number; lon: number } | undefined;
  limit?: number | undefined;
}

const summaryOf = (p: Product) => ({
  title: p.title,
  brand: p.brand,
  category: p.category,
  attributes: p.attributes,
  ...(p.gtin ? { gtin: p.gtin } : {}),
  finalSale: p.finalSale,
});

/**
 * One read of what a channel shows for each SKU: the product summary, the channel's current price and
 * its availability by method — what a product page, a till and a marketplace feed all render. A SKU
 * the channel may not sell is answered with `sellable: false` and why, with no price or stock.
 */
export async function getOffers(ports: OfferPorts, channel: Channel, query: OfferQuery) {
  const skus = [...new Set(query.skus)];
  const [products, availability, prices] = await Promise.all([
    ports.catalog.getProducts(skus),
    ports.availability(channel, {
      skus,
      ...(query.near ? { near: query.near } : {}),
      ...(query.limit ? { limit: query.limit } : {}),
    }),
    ports.prices(channel, query.currency, skus),
  ]);
  return {
    channel,
    currency: query.currency,
    items: skus.map((sku) => {
      const product = products.get(sku);
      const why: NotSellable | undefined = sellability(product, channel);
      if (why || !product) return { sku, sellable: false as const, reason: why ?? 'UNKNOWN' };
      const price = prices.get(sku);
      const stock = availability.get(sku) ?? { ship: 0, pickup: [] };
      return {
        sku,
        // Shown, but not orderable without a price: the order intake would refuse it (NO_PRICE).
        sellable: price !== undefined,
        ...(price ? {} : { reason: 'NO_PRICE' as const }),
        product: summaryOf(product),
        ...(price ? { price } : {}),
        availability: stock,
      };
    }),
  };
}
