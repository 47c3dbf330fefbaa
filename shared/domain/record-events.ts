import type { TableKey } from '../infra/definitions';
import { type DomainEvent, domainEvent, stableId } from './events';

/** One committed change of a record, as a table stream reports it (images already unmarshalled). */
export interface RecordChange {
  table: TableKey;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys: { PK: string; SK: string };
  oldImage?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

const isPosition = (change: RecordChange) =>
  change.table === 'inventory' && change.keys.PK.startsWith('SKU#') && change.keys.SK.startsWith('LOC#');

/** The SKU whose availability a change may have moved, if any. */
export function touchedSku(change: RecordChange): string | undefined {
  if (!isPosition(change)) return undefined;
  return String(change.newImage?.sku ?? change.oldImage?.sku ?? change.keys.PK.slice(4));
}

/** True for changes of channel rules, which move every SKU's channel availability. */
export const isRuleChange = (change: RecordChange): boolean =>
  change.table === 'inventory' && change.keys.PK.startsWith('RULE#');

/**
 * The domain events one committed change stands for. Pure: the stream record alone decides them,
 * and the id is derived from the record key and version, so a redelivered record gives the same ids.
 */
export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  const prev = change.oldImage;
  if (!next) return [];
  const id = stableId(`${change.table}:${change.keys.PK}:${change.keys.SK}:${String(next.version ?? '')}`);
  const at = String(next.updatedAt ?? new Date().toISOString());

  if (isPosition(change)) {
    const lastChange = next.lastChange as
      | {
          type: string;
          ref: { type: 'order' | 'reservation' | 'adjustment' | 'count'; id: string };
          reason?: string;
        }
      | undefined;
    if (!lastChange) return [];
    const sku = String(next.sku);
    const locationId = String(next.locationId);
    const reservedBefore = num(prev?.reserved);
    const reservedAfter = num(next.reserved);
    switch (lastChange.type) {
      case 'reserve':
        return [
          domainEvent('commerce.inventory', 'InventoryReserved', id, at, {
            sku,
            locationId,
            quantity: reservedAfter - reservedBefore,
            reference: lastChange.ref,
            reservedAfter,
          }),
        ];
      case 'release':
        return [
          domainEvent('commerce.inventory', 'InventoryReleased', id, at, {
            sku,
            locationId,
            quantity: reservedBefore - reservedAfter,
            reference: lastChange.ref,
            reason: lastChange.reason ?? 'released',
            reservedAfter,
          }),
        ];
      case 'count':
      case 'adjustment': {
        const moved =
          num(prev?.onHand) !== num(next.onHand) || num(prev?.safetyStock) !== num(next.safetyStock);
        if (!moved && prev) return [];
        return [
          domainEvent('commerce.inventory', 'InventoryAdjusted', id, at, {
            sku,
            locationId,
            kind: lastChange.type,
            reason: lastChange.reason ?? lastChange.type,
            ...(lastChange.type === 'adjustment' ? { sourceEventId: lastChange.ref.id } : {}),
            onHandBefore: num(prev?.onHand),
            onHandAfter: num(next.onHand),
            safetyStockBefore: num(prev?.safetyStock),
            safetyStockAfter: num(next.safetyStock),
          }),
        ];
      }
      default:
        return [];
    }
  }

  if (change.table === 'orders' && change.keys.PK.startsWith('ORDER#')) {
    const summary = {
      orderId: String(next.orderId),
      channel: next.channel as 'web',
      ...(next.channelOrderId ? { channelOrderId: String(next.channelOrderId) } : {}),
      status: String(next.status),
      lines: next.lines as {
        sku: string;
        quantity: number;
        allocations: { locationId: string; quantity: number }[];
      }[],
      delivery: next.delivery as Record<string, unknown>,
    };
    if (change.eventName === 'INSERT')
      return [domainEvent('commerce.orders', 'OrderCreated', id, at, summary)];
    if (prev?.status !== next.status && next.status === 'CANCELLED') {
      return [domainEvent('commerce.orders', 'OrderCancelled', id, at, summary)];
    }
  }
  return [];
}
