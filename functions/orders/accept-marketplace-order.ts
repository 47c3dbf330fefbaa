import type { EventBridgeEvent } from 'aws-lambda';
import { runtimeOrderPorts } from '../../shared/orders/adapters/runtime';
import { orderEvents } from '../../shared/orders/events';
import { marketplaceOrderSchema } from '../../shared/orders/schemas';
import { placeOrder } from '../../shared/orders/use-cases/orders';
import { eventBridgeClient } from '../../shared/platform/clients';
import { PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { DomainError } from '../../shared/platform/errors';
import { stableId } from '../../shared/platform/events/envelope';
import { EventPublisher } from '../../shared/platform/events/publisher';
import { issuesToDetails } from '../../shared/platform/http';
import { logger } from '../../shared/platform/logger';

const ports = runtimeOrderPorts();
const publisher = new EventPublisher(eventBridgeClient(), requireEnv(PLATFORM_ENV.eventBusName));

/**
 * `MarketplaceOrderPlaced` from `marketplace.<name>` enters the same intake as HTTP orders, keyed by
 * the marketplace order id, so a repeated event creates nothing new. A refused order is answered with
 * `MarketplaceOrderRejected`; an infrastructure failure is thrown, for the rule's retries and DLQ.
 */
export const handler = async (
  event: EventBridgeEvent<string, unknown>,
): Promise<{ outcome: string; orderId?: string }> => {
  const marketplace = event.source.replace(/^marketplace\./, '');
  const detail = event.detail as { marketplaceOrderId?: unknown } | undefined;
  const marketplaceOrderId =
    typeof detail?.marketplaceOrderId === 'string' ? detail.marketplaceOrderId : undefined;
  const reject = async (code: string, message: string, details: unknown[]) => {
    logger.warn('Marketplace order rejected', { marketplace, marketplaceOrderId, code });
    await publisher.publish([
      orderEvents.event(
        'MarketplaceOrderRejected',
        stableId(`rejected:${event.id}`),
        new Date().toISOString(),
        {
          marketplace,
          ...(marketplaceOrderId ? { marketplaceOrderId } : {}),
          reason: { code, message, details },
        },
      ),
    ]);
    return { outcome: 'rejected' };
  };

  const parsed = marketplaceOrderSchema.safeParse(event.detail);
  if (!parsed.success) {
    return reject(
      'VALIDATION_FAILED',
      'The marketplace order is not valid',
      issuesToDetails(parsed.error, 'detail'),
    );
  }
  const { marketplaceOrderId: id, ...order } = parsed.data;
  try {
    const result = await placeOrder(ports, {
      channel: 'marketplace',
      scope: event.source,
      idempotencyKey: id,
      idempotencyKeyPath: 'detail.marketplaceOrderId',
      input: { ...order, channelOrderId: id },
    });
    return {
      outcome: result.replayed ? 'duplicate' : 'created',
      orderId: (result.body as { orderId: string }).orderId,
    };
  } catch (error) {
    // Contention passes: let the rule's retries try again rather than announce a refusal.
    if (error instanceof DomainError && error.code !== 'CONCURRENT_UPDATE') {
      return reject(error.code, error.message, error.details);
    }
    throw error;
  }
};
