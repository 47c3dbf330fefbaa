import type { GroupStatus } from '../../orders';
import { type DomainEvent, type RecordChange, recordEventId } from '../../platform/events/envelope';
import { fulfillmentEvents } from '../events';
import type { FulfilmentGroup } from './group';
import type { RoutingRecord } from './routing';

/** The key of the fulfillment table in the definitions. */
export const FULFILLMENT_TABLE = 'fulfillment';

const isGroup = (change: RecordChange) =>
  change.table === FULFILLMENT_TABLE &&
  change.keys.PK.startsWith('ORDER#') &&
  change.keys.SK.startsWith('GROUP#');

const isRouting = (change: RecordChange) =>
  change.table === FULFILLMENT_TABLE &&
  change.keys.PK.startsWith('ORDER#') &&
  change.keys.SK.startsWith('ROUTE#');

/**
 * The domain events one committed change of the fulfillment table stands for. Pure: the record
 * alone decides them, with ids from its key and version, so a redelivered record gives the same ids.
 * A group's status change is its event; a routing record is FulfillmentRouted or Rerouted.
 */
export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  if (!next) return [];
  if (isRouting(change) && change.eventName === 'INSERT')
    return [routingEvent(change, next as unknown as RoutingRecord)];
  if (!isGroup(change)) return [];
  const group = next as unknown as FulfilmentGroup;
  const previous = change.oldImage?.status as GroupStatus | undefined;
  if (previous === group.status) return [];
  const id = recordEventId(change, next);
  const at = group.updatedAt;
  const base = {
    orderId: group.orderId,
    channel: group.channel,
    groupId: group.groupId,
    locationId: group.locationId,
    lines: group.lines,
    deliveryType: group.delivery.type,
    ...(group.transferTo ? { transferTo: group.transferTo } : {}),
  };
  switch (group.status) {
    case 'REQUESTED':
      return [
        fulfillmentEvents.event('FulfillmentRequested', id, at, {
          ...base,
          answerWithinSeconds: group.times.acceptWithinSeconds,
        }),
      ];
    case 'ACCEPTED':
      return [fulfillmentEvents.event('FulfillmentAccepted', id, at, base)];
    case 'REJECTED':
    case 'SHORT_PICKED':
    case 'TIMED_OUT':
      return [
        fulfillmentEvents.event('FulfillmentRejected', id, at, {
          ...base,
          status: group.status,
          reason: group.reason ?? group.status.toLowerCase(),
        }),
      ];
    case 'SHIPPED':
    case 'IN_TRANSIT':
      return [
        fulfillmentEvents.event('Shipped', id, at, {
          ...base,
          ...(group.carrier ? { carrier: group.carrier } : {}),
          ...(group.trackingNumber ? { trackingNumber: group.trackingNumber } : {}),
        }),
      ];
    case 'READY_FOR_PICKUP':
      return [
        fulfillmentEvents.event('ReadyForPickup', id, at, {
          ...base,
          pickupLocationId: group.transferTo ?? group.locationId,
        }),
      ];
    case 'PICKED_UP':
      return [fulfillmentEvents.event('PickedUp', id, at, base)];
    case 'PICKUP_EXPIRED':
      return [fulfillmentEvents.event('PickupExpired', id, at, base)];
    default:
      return [];
  }
}

function routingEvent(change: RecordChange, record: RoutingRecord): DomainEvent {
  const id = recordEventId(change, { version: 1 });
  const data = {
    orderId: record.orderId,
    groups: record.groups,
    unfilled: record.unfilled,
    explanation: record.explanation,
    ...(record.profileId ? { profileId: record.profileId } : {}),
    ...(record.profileVersion !== undefined ? { profileVersion: record.profileVersion } : {}),
  };
  if (record.kind === 'reroute' && record.replaces) {
    return fulfillmentEvents.event('Rerouted', id, record.at, {
      ...data,
      replaces: record.replaces,
      excludedLocationIds: record.excludedLocationIds ?? [],
    });
  }
  return fulfillmentEvents.event('FulfillmentRouted', id, record.at, data);
}
