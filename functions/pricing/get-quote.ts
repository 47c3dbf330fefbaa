import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { getQuote } from '../../shared/pricing/use-cases/quotes';

const ports = runtimePricingPorts(noProductFacts);

/** GET /quotes/{quoteId} (channel): one of the caller's quotes. */
export const handler = httpApi(pricingRoutes.getQuote, async ({ channel, params }) => ({
  statusCode: 200,
  body: await getQuote(ports, channel, params.quoteId),
}));
