import { FAILED_GROUP_STATUSES, type Order } from '../../orders';
import type { TransactItem } from '../../platform/dynamodb';
import {
  type FulfilmentGroup,
  type failureOf,
  type LocationAction,
  type Step,
  statusAfter,
} from '../domain/group';
import { groupAllocations, linesWithout, orderWith } from './fulfilment-state';
import type { FulfilmentHead, FulfilmentPorts } from './ports';

/**
 * A group's moves as transaction items: each writes the group, its order and the stock it moves
 * together, conditional on the versions read, so a cancel, a timeout and a location's answer never
 * both win. The location API commits an answer's move before it answers the workflow's task; the
 * workflow commits a lapse (a timeout, an expired pickup).
 */

/** What the group workflow waits for next, or that the group failed (`reroute`) or is over (`done`). */
export type NextStep = 'dispatch' | 'arrival' | 'collection' | 'reroute' | 'done';

/** The step a group at `status` waits on next. */
export function nextAfter(group: Pick<FulfilmentGroup, 'status'>): NextStep {
  switch (group.status) {
    case 'REQUESTED':
    case 'PENDING':
      return 'reroute'; // never left waiting for an answer: only a lapse gets here
    case 'ACCEPTED':
      return 'dispatch';
    case 'IN_TRANSIT':
      return 'arrival';
    case 'READY_FOR_PICKUP':
      return 'collection';
    default:
      return FAILED_GROUP_STATUSES.includes(group.status) ? 'reroute' : 'done';
  }
}

/** The statuses from which each answer moves a group (the step it answers). */
const FROM: Record<Exclude<LocationAction, 'reject' | 'shortPick'>, FulfilmentGroup['status'][]> = {
  accept: ['REQUESTED'],
  ship: ['ACCEPTED'],
  readyForPickup: ['ACCEPTED', 'IN_TRANSIT'],
  collected: ['READY_FOR_PICKUP'],
};

/** What a successful answer (or an expired pickup) writes. */
export type Progress =
  | { action: 'accept' | 'readyForPickup' | 'collected' }
  | { action: 'ship'; carrier?: string; trackingNumber?: string }
  | { action: 'pickupExpired' };

/**
 * The move of a group that goes forward: ACCEPTED; SHIPPED (the units leave the location) or, for a
 * ship-to-store transfer, IN_TRANSIT; READY_FOR_PICKUP; PICKED_UP (the units leave the store); or
 * PICKUP_EXPIRED (the units go back to stock and the lines are cancelled: the compensation of the
 * reservation). `undefined` when the group is not where that move starts.
 */
export function progressItems(
  ports: FulfilmentPorts,
  order: Order,
  group: FulfilmentGroup,
  progress: Progress,
  now: string,
  answer?: FulfilmentGroup['answer'],
): { updated: FulfilmentGroup; items: TransactItem[] } | undefined {
  const from = progress.action === 'pickupExpired' ? ['READY_FOR_PICKUP'] : FROM[progress.action];
  if (!from.includes(group.status)) return undefined;
  const status = progress.action === 'pickupExpired' ? 'PICKUP_EXPIRED' : statusAfter(group, progress.action);
  const { waiting: _waiting, ...rest } = group;
  const updated: FulfilmentGroup = {
    ...rest,
    status,
    ...(progress.action === 'ship' && progress.carrier ? { carrier: progress.carrier } : {}),
    ...(progress.action === 'ship' && progress.trackingNumber
      ? { trackingNumber: progress.trackingNumber }
      : {}),
    ...(status === 'PICKUP_EXPIRED' ? { reason: 'not collected by the end of its pickup hold' } : {}),
    ...(answer ? { answer } : {}),
    history: [...group.history, { status, at: now }],
    updatedAt: now,
  };
  const { lines, stock } = movement(ports, order, group, status, now);
  return {
    updated,
    items: [
      ports.groups.updateGroupOp(group, updated),
      ports.orders.updateOp(order, orderWith(order, [updated], lines), now),
      ...stock,
    ],
  };
}

/** How the order's lines and the stock move when a group reaches a status. */
function movement(
  ports: FulfilmentPorts,
  order: Order,
  group: FulfilmentGroup,
  status: FulfilmentGroup['status'],
  now: string,
) {
  const units = () => groupAllocations(order, group);
  const fulfil = (reason: string) =>
    ports.stock.fulfilOps(order.orderId, group.groupId, units(), reason, now);
  switch (status) {
    case 'SHIPPED':
      return {
        lines: linesWithout(order.lines, group, { fulfilled: true }),
        stock: fulfil(`shipped (${group.groupId})`),
      };
    case 'IN_TRANSIT':
      return {
        lines: linesWithout(order.lines, group),
        stock: fulfil(`shipped to ${group.transferTo} (${group.groupId})`),
      };
    case 'PICKED_UP':
      // A transfer's units never entered the pickup store's stock: nothing of it to take out.
      return group.transferTo
        ? { lines: linesWithout(order.lines, group, { fulfilled: true, keepAllocations: true }), stock: [] }
        : {
            lines: linesWithout(order.lines, group, { fulfilled: true }),
            stock: fulfil(`collected (${group.groupId})`),
          };
    case 'PICKUP_EXPIRED':
      return {
        lines: linesWithout(order.lines, group, {
          cancelled: `not collected at ${group.transferTo ?? group.locationId} by the end of its pickup hold`,
          keepAllocations: Boolean(group.transferTo),
        }),
        stock: backToStock(ports, order, group, `pickup ${group.groupId} not collected`, now),
      };
    default:
      return { lines: order.lines, stock: [] };
  }
}

/**
 * Units a group holds go back to stock: units still reserved at its location (the source, for a
 * transfer) are released, as are those a pickup store holds for collection; a transfer that reached
 * its pickup store is put on hand there (its units left the source when shipped). Units shipped or
 * in transit are gone.
 */
export function backToStock(
  ports: FulfilmentPorts,
  order: Order,
  group: FulfilmentGroup,
  reason: string,
  now: string,
): TransactItem[] {
  if (holdsReserved(group)) {
    return ports.stock.releaseOps(order.orderId, groupAllocations(order, group), reason, now);
  }
  if (group.status === 'READY_FOR_PICKUP' && group.transferTo) {
    return ports.stock.restockOps(order.orderId, group.groupId, group.transferTo, group.lines, reason, now);
  }
  return [];
}

/** Units the order's lines hold for this group: reserved at its location until they leave. */
export const holdsReserved = (group: FulfilmentGroup) =>
  holdsUnits(group) || (group.status === 'READY_FOR_PICKUP' && !group.transferTo);

/** A group whose units are still reserved at its location (not yet shipped, collected or released). */
const holdsUnits = (group: FulfilmentGroup) => ['PENDING', 'REQUESTED', 'ACCEPTED'].includes(group.status);

/**
 * A group the location failed (rejected, short, silent past a deadline): it ends with the reason,
 * the units it still holds at its location go back, and the location is excluded from the order.
 * Its lines are re-sourced by the reroute that follows.
 */
export function failureItems(
  ports: FulfilmentPorts,
  order: Order,
  head: FulfilmentHead,
  group: FulfilmentGroup,
  failure: ReturnType<typeof failureOf>,
  now: string,
  answer?: FulfilmentGroup['answer'],
): { failed: FulfilmentGroup; items: TransactItem[] } {
  const { waiting: _waiting, ...rest } = group;
  const failed: FulfilmentGroup = {
    ...rest,
    status: failure.status,
    reason: failure.reason,
    ...(failure.short.length > 0 ? { short: failure.short } : {}),
    ...(answer ? { answer } : {}),
    history: [...group.history, { status: failure.status, at: now, note: failure.reason }],
    updatedAt: now,
  };
  // A transfer that never arrived left its source already: nothing is reserved to give back, and
  // its source, which shipped, is not to blame (the units are written off as lost in transit).
  const holds = holdsUnits(group);
  const blamed = group.status !== 'IN_TRANSIT';
  const lines = holds ? linesWithout(order.lines, group) : order.lines;
  return {
    failed,
    items: [
      ports.groups.updateGroupOp(group, failed),
      ports.groups.updateHeadOp(head, {
        ...head,
        excluded: blamed ? [...new Set([...head.excluded, group.locationId])] : head.excluded,
        updatedAt: now,
      }),
      ports.orders.updateOp(order, orderWith(order, [failed], lines), now),
      ...(holds
        ? ports.stock.releaseOps(
            order.orderId,
            groupAllocations(order, group),
            `${failure.status.toLowerCase()} at ${group.locationId}`,
            now,
          )
        : []),
    ],
  };
}

/** Which step a lapse of `step` ends: what the group reaches if nothing answered in time. */
export const LAPSE_REASON: Record<Step, string> = {
  answer: 'no answer within its SLA',
  dispatch: 'not dispatched within its SLA',
  arrival: 'the transfer did not reach the pickup store in time',
  collection: 'not collected by the end of its pickup hold',
};
