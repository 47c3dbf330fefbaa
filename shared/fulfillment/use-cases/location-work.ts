import type { GroupStatus } from '../../orders';
import { DomainError, notFound } from '../../platform/errors';
import type { Principal } from '../../platform/principals';
import {
  allowedActions,
  type FulfilmentGroup,
  type LocationAction,
  orderIdOfGroup,
  type Step,
  statusAfter,
} from '../domain/group';
import type { FulfilmentPorts } from './ports';

/**
 * The location API: a store's or DC's systems see the work waiting on them and answer it. An answer
 * completes the workflow's waiting task (SendTaskSuccess / SendTaskFailure); it is recorded on the
 * group first, so the same answer again is recognised and harmless, and a different answer to the
 * same task is refused.
 */

/** How many waiting groups one work-list read returns. */
export const WORK_LIST_LIMIT = 200;

function assertOwnLocation(principal: Principal, locationId: string): void {
  if (principal !== `location:${locationId}`) {
    throw new DomainError(403, 'FORBIDDEN', "A location's key sees and acts on its own work only", [
      { path: 'locationId', message: 'not the location this key belongs to' },
    ]);
  }
}

/** A group as its location sees it: what to do, for whom, by when. */
export function workView(group: FulfilmentGroup) {
  const step = group.waiting?.step;
  const within: Record<Step, number> = {
    answer: group.times.acceptWithinSeconds,
    dispatch: group.times.dispatchWithinSeconds,
    arrival: group.times.transferWithinSeconds,
    collection: group.times.holdPickupForSeconds,
  };
  return {
    groupId: group.groupId,
    orderId: group.orderId,
    channel: group.channel,
    status: group.status,
    ...(group.waiting && step
      ? {
          waitingFor: step,
          since: group.waiting.since,
          dueBy: new Date(Date.parse(group.waiting.since) + within[step] * 1000).toISOString(),
          actions: allowedActions(group, step),
        }
      : {}),
    locationId: group.locationId,
    ...(group.transferTo ? { transferTo: group.transferTo } : {}),
    lines: group.lines,
    delivery: group.delivery,
    ...(group.carrier ? { carrier: group.carrier } : {}),
    ...(group.trackingNumber ? { trackingNumber: group.trackingNumber } : {}),
  };
}

/** The groups waiting on a location, oldest first. */
export async function listWork(ports: FulfilmentPorts, principal: Principal, locationId: string) {
  assertOwnLocation(principal, locationId);
  const groups = await ports.groups.workList(locationId, WORK_LIST_LIMIT);
  return { items: groups.filter((g) => g.waiting?.actor === locationId).map(workView) };
}

export interface AnswerCommand {
  locationId: string;
  groupId: string;
  action: LocationAction;
  /** What the answer says: a rejection's reason, the short lines, the carrier and tracking number. */
  details?: Record<string, unknown>;
}

/** The status an action leaves a group in: seen in its history, the action was already taken. */
const taken = (group: FulfilmentGroup, action: LocationAction): boolean => {
  const statuses: GroupStatus[] =
    action === 'ship' ? ['SHIPPED', 'IN_TRANSIT'] : [statusAfter(group, action)];
  return group.history.some((h) => statuses.includes(h.status));
};

const notWaiting = (group: FulfilmentGroup, message: string) =>
  new DomainError(409, 'WORK_NOT_WAITING', message, [
    {
      path: 'groupId',
      message,
      status: group.status,
      ...(group.waiting
        ? { waitingFor: group.waiting.step, actions: allowedActions(group, group.waiting.step) }
        : {}),
    },
  ]);

/**
 * A location answers the step its work waits for. The same answer again is harmless (200,
 * `repeated`); an answer the work does not wait for, or after another answer, is 409
 * `WORK_NOT_WAITING` with the work's state.
 */
export async function answerWork(ports: FulfilmentPorts, principal: Principal, command: AnswerCommand) {
  const { locationId, groupId, action } = command;
  assertOwnLocation(principal, locationId);
  const orderId = orderIdOfGroup(groupId);
  const [group, order] = orderId
    ? await Promise.all([ports.groups.group(orderId, groupId), ports.orders.get(orderId)])
    : [undefined, undefined];
  if (!group || !order || (group.locationId !== locationId && group.transferTo !== locationId)) {
    throw notFound('Work', groupId, 'groupId', 'no such work at this location');
  }
  const view = () => ({ groupId, action, status: group.status });
  if (order.status === 'CANCELLED' || group.status === 'CANCELLED') {
    throw notWaiting({ ...group, status: 'CANCELLED' }, `Order ${order.orderId} was cancelled`);
  }
  const waiting = group.waiting;
  if (!waiting || waiting.actor !== locationId || !allowedActions(group, waiting.step).includes(action)) {
    if (taken(group, action)) return { ...view(), repeated: true };
    throw notWaiting(
      group,
      waiting
        ? `${groupId} waits for ${waiting.step} from ${waiting.actor}, not ${action} from ${locationId}`
        : `${groupId} is ${group.status} and waits for nothing`,
    );
  }
  const answer = {
    token: waiting.token,
    step: waiting.step,
    action,
    at: ports.now(),
    ...(command.details ? { details: command.details } : {}),
  };
  const recorded = await ports.groups.recordAnswer(group, answer);
  if (recorded === 'conflict') {
    // The work moved on since it was read: this same answer taking it there is a repeat.
    const now = (await ports.groups.group(group.orderId, groupId)) ?? group;
    const same = now.answer?.token === waiting.token && now.answer.action === action;
    if (same || taken(now, action)) return { groupId, action, status: now.status, repeated: true };
    throw notWaiting(now, `${groupId} was already answered with ${now.answer?.action ?? 'another answer'}`);
  }
  const outcome =
    action === 'reject'
      ? { error: 'FulfillmentRejected', cause: JSON.stringify(command.details ?? {}) }
      : action === 'shortPick'
        ? { error: 'ShortPicked', cause: JSON.stringify(command.details ?? {}) }
        : { output: { action, ...(command.details ?? {}) } };
  const delivered = await ports.workflows.answer(waiting.token, outcome);
  if (delivered === 'notWaiting' && recorded === 'recorded') {
    throw notWaiting(group, `${groupId} no longer waits for ${waiting.step}: its time ran out`);
  }
  return { ...view(), step: waiting.step, answeredAt: answer.at, repeated: recorded === 'repeat' };
}
