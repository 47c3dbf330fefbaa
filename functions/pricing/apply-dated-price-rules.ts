import { logger } from '../../shared/platform/logger';
import { runtimeProductFacts } from '../../shared/pricing/adapters/product-facts';
import { runtimePricingPorts } from '../../shared/pricing/adapters/runtime';
import { applyDatedRules } from '../../shared/pricing/use-cases/channel-prices';

const ports = runtimePricingPorts(runtimeProductFacts());

/** Scheduled: recomputes the channel prices of rules that started or ended since the last pass. */
export const handler = async () => {
  const result = await applyDatedRules(ports);
  if (result.rules.length > 0) logger.info('Applied dated price rules', result);
  return result;
};
