import type { AllocatedLine } from '../../inventory';
import { type DomainEvent, type RecordChange, recordEventId } from '../../platform/events/envelope';
import type { Channel } from '../../platform/principals';
import { orderEvents } from '../events';

/**
 * The domain events one committed change of the orders table stands for. Pure: the stream record
 * alone decides them, and the id is derived from the record key and version, so a redelivered
 * record gives the same ids.
 */
/** The key of the orders table in the definitions. */
export const ORDERS_TABLE_KEY = 'orders';

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
    status: String(next.status),
    lines: next.lines as AllocatedLine[],
    delivery: next.delivery as Record<string, unknown>,
  };
  if (change.eventName === 'INSERT') return [orderEvents.event('OrderCreated', id, at, summary)];
  if (prev?.status !== next.status && next.status === 'CANCELLED') {
    return [orderEvents.event('OrderCancelled', id, at, summary)];
  }
  return [];
}
