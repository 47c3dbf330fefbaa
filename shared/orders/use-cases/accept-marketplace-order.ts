import { DomainError, issuesToDetails } from '../../platform/errors';
import { type DomainEvent, stableId } from '../../platform/events/envelope';
import { logger } from '../../platform/logger';
import { orderEvents } from '../events';
import { marketplaceOrderSchema } from '../schemas';
import { placeOrder } from './orders';
import type { OrderPorts } from './ports';

export interface MarketplacePorts extends OrderPorts {
  publish(events: DomainEvent[]): Promise<void>;
}

/** The inbound event as the bus delivers it: `source` is `marketplace.<name>`. */
export interface MarketplaceOrderEvent {
  id: string;
  source: string;
  detail: unknown;
}

/**
 * A marketplace's order enters the same intake as HTTP orders, keyed by the marketplace order id,
 * so a repeated event creates nothing new. A refused order (invalid, unknown SKU, short of stock) is
 * answered with `MarketplaceOrderRejected`, once per event; contention and infrastructure failures
 * are thrown, for the rule's retries and its DLQ, instead of being announced as a refusal.
 */
export async function acceptMarketplaceOrder(
  ports: MarketplacePorts,
  event: MarketplaceOrderEvent,
): Promise<{ outcome: 'created' | 'duplicate' | 'rejected'; orderId?: string }> {
  const marketplace = event.source.replace(/^marketplace\./, '');
  const detail = event.detail as { marketplaceOrderId?: unknown } | undefined;
  const marketplaceOrderId =
    typeof detail?.marketplaceOrderId === 'string' ? detail.marketplaceOrderId : undefined;
  const reject = async (code: string, message: string, details: unknown[]) => {
    logger.warn('Marketplace order rejected', { marketplace, marketplaceOrderId, code });
    await ports.publish([
      orderEvents.event('MarketplaceOrderRejected', stableId(`rejected:${event.id}`), ports.now(), {
        marketplace,
        ...(marketplaceOrderId ? { marketplaceOrderId } : {}),
        reason: { code, message, details },
      }),
    ]);
    return { outcome: 'rejected' as const };
  };

  const parsed = marketplaceOrderSchema.safeParse(event.detail);
  if (!parsed.success) {
    return reject(
      'VALIDATION_FAILED',
      'The marketplace order is not valid',
      issuesToDetails(parsed.error, 'detail'),
    );
  }
  const { marketplaceOrderId: id, buyerId, ...order } = parsed.data;
  try {
    const result = await placeOrder(ports, {
      channel: 'marketplace',
      scope: event.source,
      idempotencyKey: id,
      idempotencyKeyPath: 'detail.marketplaceOrderId',
      ...(buyerId ? { marketplaceBuyer: { marketplace, buyerId } } : {}),
      input: { ...order, channelOrderId: id },
    });
    return {
      outcome: result.replayed ? 'duplicate' : 'created',
      orderId: (result.body as { orderId: string }).orderId,
    };
  } catch (error) {
    if (error instanceof DomainError && error.code !== 'CONCURRENT_UPDATE') {
      return reject(error.code, error.message, error.details);
    }
    throw error;
  }
}
