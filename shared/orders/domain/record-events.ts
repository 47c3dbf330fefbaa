import type { AllocatedLine, Delivery } from '../../inventory';
import { type DomainEvent, type RecordChange, recordEventId, stableId } from '../../platform/events/envelope';
import type { Channel } from '../../platform/principals';
import { orderEvents } from '../events';
import type { OrderLine } from './order';

/**
 * The domain events one committed change of the orders table stands for. Pure: the stream record
 * alone decides them, and the id is derived from the record key and version, so a redelivered
 * record gives the same ids.
 */
/** The key of the orders table in the definitions. */
export const ORDERS_TABLE_KEY = 'orders';

/** The delivery an event may carry: its kind and pickup store, never the address. */
function deliveryReference(delivery: Delivery): { type: 'ship' | 'pickup'; locationId?: string } {
  return delivery.type === 'pickup' ? { type: 'pickup', locationId: delivery.locationId } : { type: 'ship' };
}

export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  const prev = change.oldImage;
  if (!next || change.table !== ORDERS_TABLE_KEY || !change.keys.PK.startsWith('ORDER#')) return [];
  const id = recordEventId(change, next);
  const at = String(next.updatedAt ?? new Date().toISOString());
  const summary = {
    orderId: String(next.orderId),
    channel: next.channel as Channel,
    ...(next.channelOrderId ? { channelOrderId: String(next.channelOrderId) } : {}),
    ...(next.customerId ? { customerId: String(next.customerId) } : {}),
    status: String(next.status),
    lines: next.lines as AllocatedLine[],
    delivery: deliveryReference(next.delivery as Delivery),
  };
  if (change.eventName === 'INSERT') return [orderEvents.event('OrderCreated', id, at, summary)];
  const lines = next.lines as OrderLine[];
  const before = new Map(((prev?.lines ?? []) as OrderLine[]).map((l) => [l.sku, l]));
  const events: DomainEvent[] = [];
  for (const line of lines) {
    const was = before.get(line.sku)?.cancelledQuantity ?? 0;
    const now = line.cancelledQuantity ?? 0;
    if (now <= was) continue;
    events.push(
      orderEvents.event('LineCancelled', stableId(`${id}:${line.sku}`), at, {
        orderId: summary.orderId,
        channel: summary.channel,
        ...(summary.channelOrderId ? { channelOrderId: summary.channelOrderId } : {}),
        sku: line.sku,
        quantity: now - was,
        cancelledQuantity: now,
        orderedQuantity: line.quantity,
        reason: line.cancelReason ?? 'could not be fulfilled',
      }),
    );
  }
  if (prev?.status !== next.status && next.status === 'CANCELLED') {
    const cause = next.cancelCause === 'unfulfillable' ? 'unfulfillable' : 'request';
    events.push(orderEvents.event('OrderCancelled', id, at, { ...summary, cause }));
  }
  if (prev?.status !== next.status && next.status === 'COMPLETED') {
    events.push(
      orderEvents.event('OrderFulfilled', id, at, {
        ...summary,
        fulfilled: lines.map((l) => ({ sku: l.sku, quantity: l.fulfilledQuantity ?? 0 })),
        cancelled: lines.map((l) => ({ sku: l.sku, quantity: l.cancelledQuantity ?? 0 })),
      }),
    );
  }
  return events;
}
