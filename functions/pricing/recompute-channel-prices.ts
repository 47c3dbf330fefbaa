import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../../shared/platform/logger';
import { runtimeProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import type { PriceRule } from '../../shared/pricing/domain/price-book';
import { recomputeForRuleChange } from '../../shared/pricing/use-cases/channel-prices';

const ports = runtimePricingPorts(runtimeProductFacts());

interface RuleChanged {
  data: { ruleId: string; rule: PriceRule; previous?: PriceRule };
}

/** `PriceRuleChanged` from `commerce.pricing`, delivered by the bus rule: recompute what it covers. */
export const handler = async (event: EventBridgeEvent<'PriceRuleChanged', RuleChanged>) => {
  const result = await recomputeForRuleChange(ports, event.detail.data);
  logger.info('Recomputed channel prices', { ruleId: event.detail.data.ruleId, ...result });
  return result;
};
