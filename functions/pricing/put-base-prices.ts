import { httpApi } from '../../shared/platform/http';
import { runtimeProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { etagOf } from '../../shared/pricing/domain/price-book';
import { putBasePrices } from '../../shared/pricing/use-cases/price-book';

// The categories come from the catalog table: category-scoped rules make the channel prices.
const ports = runtimePricingPorts(runtimeProductFacts());

/** PUT /prices/{sku} (ops): a SKU's base prices; its channel prices are rewritten in the same write. */
export const handler = httpApi(pricingRoutes.putBasePrices, async ({ params, body, headers }) => {
  const { outcome, price } = await putBasePrices(ports, params.sku, body, headers['If-Match']);
  return {
    statusCode: outcome === 'created' ? 201 : 200,
    body: price,
    headers: { etag: etagOf(price.version) },
  };
});
