import { ENDED_GROUP_STATUSES, FAILED_GROUP_STATUSES, type GroupStatus, type OrderLine } from '../../orders';
import { actorOf, type FulfilmentGroup, type Step } from '../domain/group';
import { linesWithout, OrderCancelled, orderAndGroup, orderWith, untilCommitted } from './fulfilment-state';
import type { FulfilmentPorts } from './ports';
import {
  backToStock,
  failureItems,
  holdsReserved,
  LAPSE_REASON,
  type NextStep,
  nextAfter,
  progressItems,
} from './transitions';

/**
 * The group workflow's own steps: it asks a location for the next step (the work list), resolves a
 * step whose time ran out (the location's answer, or the lapse), abandons a group whose execution
 * failed, and completes the order once every group is done. A location's answers themselves are
 * committed by the location API (`location-work.ts`).
 */

/** The statuses at which each step is asked of a location. */
const ASKED_AT: Record<Step, GroupStatus[]> = {
  answer: ['PENDING', 'REQUESTED'],
  dispatch: ['ACCEPTED'],
  arrival: ['IN_TRANSIT'],
  collection: ['READY_FOR_PICKUP'],
};

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
    // A late ask (its task already lapsed and was resolved) must not put finished work back in a
    // work list: the group must be where the step starts.
    if (!ASKED_AT[step].includes(group.status)) return { done: { asked: actor } };
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

/**
 * A step's wait lapsed (its SLA or the pickup hold ran out). The location may have answered just
 * before (its answer is committed before the workflow is told): then the group follows the answer.
 * Otherwise the lapse is committed: an answer, a dispatch or a transfer's arrival that never came
 * fails the group (TIMED_OUT, its units go back, the location is excluded) and it is rerouted; an
 * uncollected pickup expires (PickupExpired). The group's version decides which of the two won.
 */
export async function resolveTimeout(
  ports: FulfilmentPorts,
  command: { orderId: string; groupId: string },
): Promise<{ next: NextStep; status: GroupStatus }> {
  const { orderId, groupId } = command;
  return untilCommitted<{ next: NextStep; status: GroupStatus }>(ports, `Group ${groupId}`, async () => {
    const { order, group } = await orderAndGroup(ports, orderId, groupId);
    const step = group.waiting?.step;
    // Nothing waits, or what waits is not where the group is: the location's answer was committed
    // (its message to the workflow lost or late), and the group follows it.
    if (!step || !ASKED_AT[step].includes(group.status)) {
      return { done: { next: nextAfter(group), status: group.status } };
    }
    const now = ports.now();
    if (step === 'collection') {
      const expired = progressItems(ports, order, group, { action: 'pickupExpired' }, now);
      if (!expired) throw new Error(`${groupId} is ${group.status}: its pickup cannot expire`);
      return { items: expired.items, result: { next: 'done', status: 'PICKUP_EXPIRED' } };
    }
    const head = await ports.groups.head(orderId);
    if (!head) throw new Error(`Order ${orderId} has no fulfilment`);
    const lapse = { status: 'TIMED_OUT' as const, reason: LAPSE_REASON[step], short: [] };
    const { items } = failureItems(ports, order, head, group, lapse, now);
    return { items, result: { next: 'reroute', status: 'TIMED_OUT' } };
  });
}

/**
 * A group execution failed on something that is not a business outcome (a bug, a permission, a
 * wait past its task's limit): the group and the replacements it started are abandoned, what they
 * hold goes back to stock, their lines are cancelled (LineCancelled) and they leave the work lists,
 * so nothing stays reserved for an execution that no longer runs.
 */
export async function abandonGroup(
  ports: FulfilmentPorts,
  command: { orderId: string; groupId: string; error?: { Error?: string; Cause?: string } },
): Promise<{ abandoned: string[] }> {
  const { orderId, groupId } = command;
  const why = `abandoned: its workflow failed (${command.error?.Error ?? 'unknown error'})`;
  const abandoned: string[] = [];
  for (;;) {
    const [groups, routings] = await Promise.all([
      ports.groups.groups(orderId),
      ports.groups.routings(orderId),
    ]);
    const replaced = new Set(routings.flatMap((r) => (r.replaces ? [r.replaces.groupId] : [])));
    // Open groups, and failed ones whose reroute never happened (their lines are in no group).
    const needs = (g: FulfilmentGroup) =>
      !ENDED_GROUP_STATUSES.includes(g.status) ||
      (FAILED_GROUP_STATUSES.includes(g.status) && !replaced.has(g.groupId) && !g.abandoned);
    const target = descendants(groups, groupId).find(needs);
    if (!target) return { abandoned };
    await untilCommitted<undefined>(ports, `Group ${target.groupId}`, async () => {
      const [order, group] = await Promise.all([
        ports.orders.get(orderId),
        ports.groups.group(orderId, target.groupId),
      ]);
      if (!order || !group || !needs(group)) return { done: undefined };
      const now = ports.now();
      const { waiting: _waiting, ...rest } = group;
      const open = !ENDED_GROUP_STATUSES.includes(group.status);
      const updated: FulfilmentGroup = open
        ? {
            ...rest,
            status: 'CANCELLED',
            reason: why,
            history: [...group.history, { status: 'CANCELLED', at: now, note: why }],
            updatedAt: now,
          }
        : {
            ...rest,
            abandoned: true,
            history: [...group.history, { status: group.status, at: now, note: why }],
            updatedAt: now,
          };
      if (order.status === 'CANCELLED') {
        // The cancel released what the lines held; a transfer at its pickup store holds none, and
        // its units are put back on hand there.
        const atStore = group.transferTo && group.status === 'READY_FOR_PICKUP';
        return {
          items: [
            ports.groups.updateGroupOp(group, updated),
            ...(atStore ? backToStock(ports, order, group, why, now) : []),
          ],
          result: undefined,
        };
      }
      // Units that left (shipped, in transit) are not the group's to give back; the rest are. A
      // failed group gave its units back when it failed: only its lines are left to cancel.
      const lines = open
        ? linesWithout(order.lines, group, { cancelled: why, keepAllocations: !holdsReserved(group) })
        : linesWithout(order.lines, group, { cancelled: why, keepAllocations: true });
      return {
        items: [
          ports.groups.updateGroupOp(group, updated),
          ports.orders.updateOp(order, orderWith(order, [updated], lines), now),
          ...(open ? backToStock(ports, order, group, why, now) : []),
        ],
        result: undefined,
      };
    });
    abandoned.push(target.groupId);
  }
}

/** A group and every replacement started for it, down the chain of reroutes. */
function descendants(groups: FulfilmentGroup[], groupId: string): FulfilmentGroup[] {
  const root = groups.find((g) => g.groupId === groupId);
  if (!root) return [];
  return [
    root,
    ...groups.filter((g) => g.replaces === groupId).flatMap((g) => descendants(groups, g.groupId)),
  ];
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
    const now = ports.now();
    // Every group is over: units of a line that none of them fulfilled or cancelled (a reroute that
    // never ran) are cancelled now, and whatever they still hold goes back, so the order always ends.
    const left = (l: OrderLine) => l.quantity - (l.fulfilledQuantity ?? 0) - (l.cancelledQuantity ?? 0);
    const stranded = order.status === 'CANCELLED' ? [] : order.lines.filter((l) => left(l) > 0);
    const lines = order.lines.map((l) =>
      stranded.includes(l)
        ? {
            ...l,
            allocations: [],
            cancelledQuantity: (l.cancelledQuantity ?? 0) + left(l),
            cancelReason: 'no location fulfilled it before its fulfilment ended',
          }
        : l,
    );
    const next = orderWith(order, groups, lines);
    if (next.status === order.status && stranded.length === 0) return { done: { status: order.status } };
    return {
      items: [
        ports.orders.updateOp(order, next, now),
        ...ports.stock.releaseOps(orderId, stranded, 'fulfilment ended without these units', now),
      ],
      result: { status: next.status },
    };
  });
}
