import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { etagOf } from '../../shared/pricing/domain/price-book';
import { getBasePrices } from '../../shared/pricing/use-cases/price-book';

const ports = runtimePricingPorts(noProductFacts);

/** GET /prices/{sku} (ops): base prices and each channel's effective price, with the rules behind it. */
export const handler = httpApi(pricingRoutes.getBasePrices, async ({ params }) => {
  const price = await getBasePrices(ports, params.sku);
  return { statusCode: 200, body: price, headers: { etag: etagOf(price.version) } };
});
