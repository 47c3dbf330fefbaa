import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { getOffers, type OfferPorts } from '../../shared/catalog/use-cases/offers';
import { getAvailability, runtimeInventoryPorts } from '../../shared/inventory';
import { httpApi } from '../../shared/platform/http';
import { channelPricesFor, noProductFacts, runtimePricingPorts } from '../../shared/pricing';

const inventory = runtimeInventoryPorts();
const pricing = runtimePricingPorts(noProductFacts);
const ports: OfferPorts = {
  catalog: runtimeCatalogPorts().catalog,
  availability: async (channel, query) => {
    const answer = await getAvailability(inventory, channel, query);
    return new Map(answer.items.map((i) => [i.sku, { ship: i.ship, pickup: i.pickup }]));
  },
  prices: (channel, currency, skus) => channelPricesFor(pricing, channel, currency, skus),
};

/**
 * GET /offers?skus=A,B[&currency=GBP][&near=lat,lon&limit=N]: each SKU's product summary, the
 * caller's channel price and its availability by method, in one call. An ops key asks on behalf of a
 * channel with `channel=` (web when absent).
 */
export const handler = httpApi(catalogRoutes.getOffers, async ({ principal, channel, query }) => ({
  statusCode: 200,
  body: await getOffers(ports, principal === 'ops' ? (query.channel ?? 'web') : channel, query),
}));
