import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { listPromotions } from '../../shared/pricing/use-cases/price-book';

const ports = runtimePricingPorts(noProductFacts);

/** GET /promotions (ops): promotions in priority order, optionally by status. */
export const handler = httpApi(pricingRoutes.listPromotions, async ({ query }) => ({
  statusCode: 200,
  body: await listPromotions(ports, query.status),
}));
