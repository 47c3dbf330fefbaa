import type { EventBridgeEvent } from 'aws-lambda';
import { runtimeRoutingPlanner } from '../../shared/fulfillment';
import { runtimeOrderPorts } from '../../shared/orders/adapters/runtime';
import { acceptMarketplaceOrder } from '../../shared/orders/use-cases/accept-marketplace-order';
import { eventBridgeClient } from '../../shared/platform/clients';
import { PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { EventPublisher } from '../../shared/platform/events/publisher';
import { BUSINESS_METRICS, countMetric } from '../../shared/platform/metrics';

const ports = runtimeOrderPorts({ planner: runtimeRoutingPlanner() });
const publisher = new EventPublisher(eventBridgeClient(), requireEnv(PLATFORM_ENV.eventBusName));

/** `MarketplaceOrderPlaced` from `marketplace.<name>`, delivered by the bus rule. */
export const handler = async (event: EventBridgeEvent<string, unknown>) => {
  const result = await acceptMarketplaceOrder(
    { ...ports, publish: (events) => publisher.publish(events) },
    event,
  );
  if (result.outcome === 'created') countMetric(BUSINESS_METRICS.ordersPlaced, 1, 'marketplace');
  if (result.outcome === 'duplicate') countMetric(BUSINESS_METRICS.idempotentReplays, 1, 'marketplace');
  if (result.outcome === 'rejected') countMetric(BUSINESS_METRICS.marketplaceRejected);
  return result;
};
