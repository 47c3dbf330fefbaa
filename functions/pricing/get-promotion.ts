import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { etagOf } from '../../shared/pricing/domain/price-book';
import { getPromotion } from '../../shared/pricing/use-cases/price-book';

const ports = runtimePricingPorts(noProductFacts);

/** GET /promotions/{promotionId} (ops): one promotion with its usage. */
export const handler = httpApi(pricingRoutes.getPromotion, async ({ params }) => {
  const promotion = await getPromotion(ports, params.promotionId);
  return { statusCode: 200, body: promotion, headers: { etag: etagOf(promotion.version) } };
});
