import { httpApi } from '../../shared/platform/http';
import { runtimeProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { createQuote } from '../../shared/pricing/use-cases/quotes';

// Categories for category-scoped rules and promotions: the catalog table's products.
const ports = runtimePricingPorts(runtimeProductFacts());

/** POST /quotes (channel): prices a cart for the caller's channel and holds it as a quote. */
export const handler = httpApi(pricingRoutes.createQuote, async ({ channel, body }) => ({
  statusCode: 201,
  body: await createQuote(ports, channel, body),
}));
