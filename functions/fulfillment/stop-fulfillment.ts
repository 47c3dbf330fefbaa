import type { EventBridgeEvent } from 'aws-lambda';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { stopFulfillment } from '../../shared/fulfillment/use-cases/lifecycle';

const ports = runtimeFulfilmentPorts(['order', 'group']);

/** `OrderCancelled` (rule StopCancelledOrders): a cancelled order's fulfilment stops. */
export const handler = async (
  event: EventBridgeEvent<'OrderCancelled', { data: { orderId: string; cause?: string } }>,
) => {
  // Fulfilment itself cancels an order none of whose lines could be filled: its workflow is ending.
  if (event.detail.data.cause === 'unfulfillable') return { orderId: event.detail.data.orderId, stopped: [] };
  return stopFulfillment(ports, event.detail.data.orderId);
};
