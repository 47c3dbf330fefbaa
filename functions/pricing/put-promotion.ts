import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { etagOf } from '../../shared/pricing/domain/price-book';
import { putPromotion } from '../../shared/pricing/use-cases/price-book';

const ports = runtimePricingPorts(noProductFacts);

/** PUT /promotions/{promotionId} (ops): create or replace a dated promotion. */
export const handler = httpApi(pricingRoutes.putPromotion, async ({ params, body, headers }) => {
  const { outcome, promotion } = await putPromotion(ports, params.promotionId, body, headers['If-Match']);
  return {
    statusCode: outcome === 'created' ? 201 : 200,
    body: promotion,
    headers: { etag: etagOf(promotion.version) },
  };
});
