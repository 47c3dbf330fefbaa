import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { runtimeRoutingPlanner } from '../../shared/fulfillment';
import { runtimeOrderPorts } from '../../shared/orders/adapters/runtime';
import { acceptMarketplaceOrder } from '../../shared/orders/use-cases/accept-marketplace-order';
import { eventBridgeClient } from '../../shared/platform/clients';
import { PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { EventPublisher } from '../../shared/platform/events/publisher';
import { logger } from '../../shared/platform/logger';
import { BUSINESS_METRICS, countMetric } from '../../shared/platform/metrics';

const ports = runtimeOrderPorts({ planner: runtimeRoutingPlanner() });
const publisher = new EventPublisher(eventBridgeClient(), requireEnv(PLATFORM_ENV.eventBusName));
const processor = new BatchProcessor(EventType.SQS);

/**
 * One `MarketplaceOrderPlaced` (the bus rule puts the whole event in the message body) into the
 * intake. A refusal (unknown SKU, no stock, …) is an answer, `MarketplaceOrderRejected`, and the
 * message is done; only a failure to decide (a store or the bus unreachable) throws, so the message
 * comes back after the visibility timeout, and after five receives waits in the dead-letter queue.
 * The intake is idempotent by marketplace order id: a redelivered or redriven order is created once.
 */
async function accept(event: EventBridgeEvent<string, unknown>): Promise<void> {
  const result = await acceptMarketplaceOrder(
    { ...ports, publish: (events) => publisher.publish(events) },
    event,
  );
  if (result.outcome === 'created') countMetric(BUSINESS_METRICS.ordersPlaced, 1, 'marketplace');
  if (result.outcome === 'duplicate') countMetric(BUSINESS_METRICS.idempotentReplays, 1, 'marketplace');
  if (result.outcome === 'rejected') countMetric(BUSINESS_METRICS.marketplaceRejected);
}

/**
 * The marketplace order queue's consumer: each message on its own, failures reported per message.
 *
 * It also takes the bus event itself, as the rule delivered it before the queue: during the
 * deployment that put the queue in between (and for Lambda's retries of such events afterwards), a
 * marketplace order must not fail for its shape. A failure then throws, for Lambda's retries and the
 * function's failure queue.
 */
export const handler = async (
  event: SQSEvent | EventBridgeEvent<string, unknown>,
  context: Context,
): Promise<unknown> => {
  if ('detail-type' in event) {
    await accept(event);
    return undefined;
  }
  const response = await processPartialResponse(
    event,
    async (record: SQSRecord) => {
      try {
        await accept(JSON.parse(record.body) as EventBridgeEvent<string, unknown>);
      } catch (error) {
        logger.error('Marketplace order not processed; it will be received again', {
          messageId: record.messageId,
          receiveCount: record.attributes.ApproximateReceiveCount,
          error: error as Error,
        });
        throw error;
      }
    },
    processor,
    { context },
  );
  return response;
};
