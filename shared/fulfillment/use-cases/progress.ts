import { ENDED_GROUP_STATUSES, type GroupStatus } from '../../orders';
import { actorOf, type FulfilmentGroup, type LocationAction, type Step, statusAfter } from '../domain/group';
import {
  groupAllocations,
  linesWithout,
  OrderCancelled,
  orderAndGroup,
  orderWith,
  untilCommitted,
} from './fulfilment-state';
import type { FulfilmentPorts } from './ports';

/**
 * The group workflow's own steps: it asks a location for the next step (the work list), records
 * each answer the location gave (with what it moves in stock), expires an uncollected pickup, and
 * completes the order once every group is done.
 */

/** What the workflow does after a recorded step: wait for a transfer's arrival, the collection, or nothing. */
export type NextStep = 'arrival' | 'collection' | 'done';

/**
 * Puts a group's next step in the acting location's work list with the workflow's task token
 * (FulfillmentRequested, for the first). Asked again with the same token (a retried task) changes
 * nothing; with a new token (the task was entered again) the work list carries the new one.
 */
export async function askLocation(
  ports: FulfilmentPorts,
  command: { taskToken: string; orderId: string; groupId: string; step: Step },
): Promise<{ asked: string }> {
  const { orderId, groupId, step, taskToken } = command;
  return untilCommitted<{ asked: string }>(ports, `Group ${groupId}`, async () => {
    const { order, group } = await orderAndGroup(ports, orderId, groupId);
    const actor = actorOf(group, step);
    if (group.waiting?.token === taskToken) return { done: { asked: actor } };
    const now = ports.now();
    const status: GroupStatus = step === 'answer' && group.status === 'PENDING' ? 'REQUESTED' : group.status;
    const next: FulfilmentGroup = {
      ...group,
      status,
      waiting: { step, token: taskToken, since: now, actor },
      history: status === group.status ? group.history : [...group.history, { status, at: now }],
      updatedAt: now,
    };
    const items = [
      ports.groups.updateGroupOp(group, next),
      ...(status === group.status ? [] : [ports.orders.updateOp(order, orderWith(order, [next]), now)]),
    ];
    return { items, result: { asked: actor } };
  });
}

/** A step's answer as the workflow passes it on: what the location did, with its details. */
export interface StepAnswer {
  action?: LocationAction;
  carrier?: string;
  trackingNumber?: string;
}

export type ProgressStep = 'accepted' | 'dispatched' | 'arrived' | 'collected' | 'pickupExpired';

/** The statuses a step moves a group from: recording it again finds the group already past them. */
const FROM: Record<ProgressStep, GroupStatus[]> = {
  accepted: ['REQUESTED'],
  dispatched: ['ACCEPTED'],
  arrived: ['IN_TRANSIT'],
  collected: ['READY_FOR_PICKUP'],
  pickupExpired: ['READY_FOR_PICKUP'],
};

/**
 * Records what a location answered (or that a pickup's time ran out) on the group and the order,
 * with its stock movement, in one transaction:
 * - accepted: ACCEPTED (FulfillmentAccepted);
 * - dispatched: SHIPPED, the units leave the location (Shipped); a transfer IN_TRANSIT to the pickup
 *   store; or READY_FOR_PICKUP at the store (ReadyForPickup);
 * - arrived: a transfer at its pickup store, READY_FOR_PICKUP;
 * - collected: PICKED_UP, the units leave the store (PickedUp);
 * - pickupExpired: PICKUP_EXPIRED, the units go back to stock and the lines are cancelled
 *   (PickupExpired, LineCancelled): the compensation of the reservation.
 * Idempotent: a group already past the step is left as it is.
 */
export async function recordProgress(
  ports: FulfilmentPorts,
  command: { orderId: string; groupId: string; step: ProgressStep; answer?: StepAnswer },
): Promise<{ next: NextStep; status: GroupStatus }> {
  const { orderId, groupId, step } = command;
  return untilCommitted<{ next: NextStep; status: GroupStatus }>(ports, `Group ${groupId}`, async () => {
    const { order, group } = await orderAndGroup(ports, orderId, groupId);
    const action: LocationAction | 'expired' =
      step === 'accepted'
        ? 'accept'
        : step === 'arrived'
          ? 'readyForPickup'
          : step === 'collected'
            ? 'collected'
            : step === 'pickupExpired'
              ? 'expired'
              : (command.answer?.action ?? 'ship');
    const status: GroupStatus = action === 'expired' ? 'PICKUP_EXPIRED' : statusAfter(group, action);
    const next = nextStep(status);
    if (!FROM[step].includes(group.status)) {
      if (group.status === status) return { done: { next, status } };
      throw new Error(`${groupId} is ${group.status}: cannot record ${step}`);
    }
    const now = ports.now();
    const { waiting: _waiting, ...rest } = group;
    const details = step === 'dispatched' ? command.answer : undefined;
    const updated: FulfilmentGroup = {
      ...rest,
      status,
      ...(details?.carrier ? { carrier: details.carrier } : {}),
      ...(details?.trackingNumber ? { trackingNumber: details.trackingNumber } : {}),
      ...(status === 'PICKUP_EXPIRED' ? { reason: 'not collected by the end of its pickup hold' } : {}),
      history: [...group.history, { status, at: now }],
      updatedAt: now,
    };
    const { lines, stock } = movement(ports, order, group, status, now);
    const items = [
      ports.groups.updateGroupOp(group, updated),
      ports.orders.updateOp(order, orderWith(order, [updated], lines), now),
      ...stock,
    ];
    return { items, result: { next, status } };
  });
}

/** What the workflow waits for after a group reached `status`. */
function nextStep(status: GroupStatus): NextStep {
  if (status === 'IN_TRANSIT') return 'arrival';
  if (status === 'READY_FOR_PICKUP') return 'collection';
  return 'done';
}

/** How the order's lines and the stock move when a group reaches a status. */
function movement(
  ports: FulfilmentPorts,
  order: Parameters<typeof groupAllocations>[0],
  group: FulfilmentGroup,
  status: GroupStatus,
  now: string,
) {
  const units = () => groupAllocations(order, group);
  switch (status) {
    case 'SHIPPED':
      return {
        lines: linesWithout(order.lines, group, { fulfilled: true }),
        stock: ports.stock.fulfilOps(
          order.orderId,
          group.groupId,
          units(),
          `shipped (${group.groupId})`,
          now,
        ),
      };
    case 'IN_TRANSIT':
      return {
        lines: linesWithout(order.lines, group),
        stock: ports.stock.fulfilOps(
          order.orderId,
          group.groupId,
          units(),
          `shipped to ${group.transferTo} (${group.groupId})`,
          now,
        ),
      };
    case 'PICKED_UP':
      // A transfer's units never entered the pickup store's stock: nothing of it to take out.
      return group.transferTo
        ? { lines: linesWithout(order.lines, group, { fulfilled: true, keepAllocations: true }), stock: [] }
        : {
            lines: linesWithout(order.lines, group, { fulfilled: true }),
            stock: ports.stock.fulfilOps(
              order.orderId,
              group.groupId,
              units(),
              `collected (${group.groupId})`,
              now,
            ),
          };
    case 'PICKUP_EXPIRED': {
      const cancelled = `not collected at ${group.transferTo ?? group.locationId} by the end of its pickup hold`;
      return group.transferTo
        ? {
            lines: linesWithout(order.lines, group, { cancelled, keepAllocations: true }),
            stock: ports.stock.restockOps(
              order.orderId,
              group.groupId,
              group.transferTo,
              group.lines,
              `transfer ${group.groupId} not collected`,
              now,
            ),
          }
        : {
            lines: linesWithout(order.lines, group, { cancelled }),
            stock: ports.stock.releaseOps(
              order.orderId,
              units(),
              `pickup ${group.groupId} not collected`,
              now,
            ),
          };
    }
    default:
      return { lines: order.lines, stock: [] };
  }
}

/**
 * Every group execution of the order ended: its groups must all be over, and the order's status is
 * what they make it: COMPLETED (OrderFulfilled) when every line was shipped, collected or cancelled
 * with at least one unit delivered, CANCELLED when nothing could be. Each group's step already
 * wrote that status; this checks it, and writes it if a step's write is missing.
 */
export async function completeOrder(ports: FulfilmentPorts, orderId: string): Promise<{ status: string }> {
  return untilCommitted<{ status: string }>(ports, `Order ${orderId}`, async () => {
    const [order, groups] = await Promise.all([ports.orders.get(orderId), ports.groups.groups(orderId)]);
    if (!order) throw new Error(`Order ${orderId} does not exist`);
    if (order.status === 'CANCELLED' && order.cancelCause !== 'unfulfillable')
      throw new OrderCancelled(orderId);
    const open = groups.filter((g) => !ENDED_GROUP_STATUSES.includes(g.status));
    if (open.length > 0) {
      throw new Error(
        `Order ${orderId} has groups still open: ${open.map((g) => `${g.groupId} ${g.status}`).join(', ')}`,
      );
    }
    const next = orderWith(order, groups);
    if (next.status === order.status) return { done: { status: order.status } };
    return { items: [ports.orders.updateOp(order, next, ports.now())], result: { status: next.status } };
  });
}
