import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { listPriceRules } from '../../shared/pricing/use-cases/price-book';

const ports = runtimePricingPorts(noProductFacts);

/** GET /price-rules (ops): every channel price rule. */
export const handler = httpApi(pricingRoutes.listPriceRules, async () => ({
  statusCode: 200,
  body: await listPriceRules(ports),
}));
