import { type DomainEvent, type RecordChange, recordEventId, stableId } from '../../platform/events/envelope';
import { inventoryEvents } from '../events';
import type { Hold, PositionChange } from './hold';
import type { Location } from './stock';

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

/** The key of the inventory table in the definitions; its stream carries only this table's records. */
export const INVENTORY_TABLE_KEY = 'inventory';

const isPosition = (change: RecordChange) =>
  change.table === INVENTORY_TABLE_KEY &&
  change.keys.PK.startsWith('SKU#') &&
  change.keys.SK.startsWith('LOC#');

const isAllocation = (change: RecordChange) =>
  change.table === INVENTORY_TABLE_KEY && change.keys.PK.startsWith('SKU#') && change.keys.SK === 'ALLOC';

/**
 * The SKU whose availability a change may have moved, if any: a position, or the state of its
 * channel rules (recomputing it can give a channel more room).
 */
export function touchedSku(change: RecordChange): string | undefined {
  if (!isPosition(change) && !isAllocation(change)) return undefined;
  return String(change.newImage?.sku ?? change.oldImage?.sku ?? change.keys.PK.slice(4));
}

/** True for changes of channel rules, which move every SKU's channel availability. */
export const isRuleChange = (change: RecordChange): boolean =>
  change.table === INVENTORY_TABLE_KEY && change.keys.PK.startsWith('RULE#');

/**
 * The domain events one committed change stands for. Pure: the stream record alone decides them,
 * and the id is derived from the record key and version, so a redelivered record gives the same ids.
 */
export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  const prev = change.oldImage;
  if (!next) return [];
  const id = recordEventId(change, next);
  const at = String(next.updatedAt ?? new Date().toISOString());

  if (isPosition(change)) {
    const lastChange = next.lastChange as PositionChange | undefined;
    if (!lastChange) return [];
    const sku = String(next.sku);
    const locationId = String(next.locationId);
    const reservedBefore = num(prev?.reserved);
    const reservedAfter = num(next.reserved);
    switch (lastChange.type) {
      case 'reserve':
        return [
          inventoryEvents.event('InventoryReserved', id, at, {
            sku,
            locationId,
            quantity: reservedAfter - reservedBefore,
            reference: lastChange.ref,
            reservedAfter,
          }),
        ];
      case 'release':
        return [
          inventoryEvents.event('InventoryReleased', id, at, {
            sku,
            locationId,
            quantity: reservedBefore - reservedAfter,
            reference: lastChange.ref,
            reason: lastChange.reason ?? 'released',
            reservedAfter,
          }),
        ];
      case 'fulfil':
        return [
          inventoryEvents.event('InventoryAdjusted', id, at, {
            sku,
            locationId,
            kind: 'fulfilment',
            reason: lastChange.reason ?? 'fulfilled',
            orderId: lastChange.ref.id,
            onHandBefore: num(prev?.onHand),
            onHandAfter: num(next.onHand),
            safetyStockBefore: num(prev?.safetyStock),
            safetyStockAfter: num(next.safetyStock),
          }),
        ];
      case 'count':
      case 'adjustment': {
        const moved =
          num(prev?.onHand) !== num(next.onHand) || num(prev?.safetyStock) !== num(next.safetyStock);
        if (!moved && prev) return [];
        return [
          inventoryEvents.event('InventoryAdjusted', id, at, {
            sku,
            locationId,
            kind: lastChange.type,
            reason: lastChange.reason ?? lastChange.type,
            ...(lastChange.type === 'adjustment'
              ? {
                  sourceEventId: lastChange.ref.id,
                  ...(lastChange.ref.source ? { sourceSystem: lastChange.ref.source } : {}),
                }
              : {}),
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

  if (isHold(change)) return holdEvents(change, next, prev);
  if (isLocation(change)) {
    const location = next as unknown as Location;
    const { state, reason, until } = location.status ?? { state: 'enabled' as const };
    return [
      inventoryEvents.event(
        'LocationChanged',
        stableId(`${change.table}:${change.keys.PK}:${change.keys.SK}:${String(next.updatedAt)}`),
        String(next.updatedAt),
        {
          locationId: location.locationId,
          name: location.name,
          type: location.type,
          fulfils: location.fulfils,
          status: { state, ...(reason ? { reason } : {}), ...(until ? { until } : {}) },
        },
      ),
    ];
  }
  return [];
}

/** True for a location record: its status moves what every SKU may be sold by. */
export const isLocation = (change: RecordChange) =>
  change.table === INVENTORY_TABLE_KEY && change.keys.PK.startsWith('LOC#') && change.keys.SK === 'LOC';

const isHold = (change: RecordChange) =>
  change.table === INVENTORY_TABLE_KEY && change.keys.PK.startsWith('HOLD#') && change.keys.SK === 'HOLD';

const HOLD_EVENTS = {
  ACTIVE: 'HoldPlaced',
  CONSUMED: 'HoldConsumed',
  RELEASED: 'HoldReleased',
  EXPIRED: 'HoldExpired',
} as const;

/**
 * A hold's life as events: placed, then consumed by an order, released or expired. A hold changes
 * status at most once, so the id is derived from its key and status.
 */
function holdEvents(
  change: RecordChange,
  next: Record<string, unknown>,
  prev: Record<string, unknown> | undefined,
): DomainEvent[] {
  const status = next.status as Hold['status'];
  if (prev?.status === status) return [];
  const hold = next as unknown as Hold;
  const id = stableId(`${change.table}:${change.keys.PK}:${change.keys.SK}:${status}`);
  const data = {
    holdId: hold.holdId,
    channel: String(hold.channel),
    status,
    expiresAt: hold.expiresAt,
    lines: hold.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, allocations: l.allocations })),
    ...(hold.consumedBy ? { orderId: hold.consumedBy } : {}),
  };
  return [inventoryEvents.event(HOLD_EVENTS[status], id, String(next.updatedAt), data)];
}
