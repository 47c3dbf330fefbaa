import { httpApi } from '../../shared/platform/http';
import { noProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { pricingRoutes } from '../../shared/pricing/definition';
import { etagOf } from '../../shared/pricing/domain/price-book';
import { putPriceRule } from '../../shared/pricing/use-cases/price-book';

// The prices a rule moves are recomputed from its PriceRuleChanged event, not here.
const ports = runtimePricingPorts(noProductFacts);

/** PUT /price-rules/{ruleId} (ops): create or replace a named, dated channel price rule. */
export const handler = httpApi(pricingRoutes.putPriceRule, async ({ params, body, headers }) => {
  const { outcome, rule } = await putPriceRule(ports, params.ruleId, body, headers['If-Match']);
  return {
    statusCode: outcome === 'created' ? 201 : 200,
    body: rule,
    headers: { etag: etagOf(rule.version) },
  };
});
