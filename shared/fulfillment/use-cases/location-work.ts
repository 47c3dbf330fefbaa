import type { GroupStatus } from '../../orders';
import { DomainError, notFound } from '../../platform/errors';
import type { Principal } from '../../platform/principals';
import {
  allowedActions,
  type FulfilmentGroup,
  failureOf,
  type LocationAction,
  orderIdOfGroup,
  type RecordedAnswer,
  type Step,
  statusAfter,
} from '../domain/group';
import { untilCommitted } from './fulfilment-state';
import type { FulfilmentPorts } from './ports';
import { failureItems, nextAfter, progressItems } from './transitions';

/**
 * The location API: a store's or DC's systems see the work waiting on them and answer it. An answer
 * moves the group (and what it holds) at once, then completes the workflow's waiting task
 * (SendTaskSuccess / SendTaskFailure).
 */

/** How many waiting groups one work-list read returns. */
export const WORK_LIST_LIMIT = 200;

function assertOwnLocation(principal: Principal, locationId: string): void {
  if (principal !== `location:${locationId}`) {
    throw new DomainError(403, 'FORBIDDEN', "A location's client sees and acts on its own work only", [
      { path: 'locationId', message: 'not the location this client belongs to' },
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

/** What the workflow's waiting task is told: success with the next step, or the failure by name. */
function taskOutcome(group: FulfilmentGroup, answer: RecordedAnswer) {
  if (answer.action === 'reject')
    return { error: 'FulfillmentRejected', cause: JSON.stringify(answer.details ?? {}) };
  if (answer.action === 'shortPick')
    return { error: 'ShortPicked', cause: JSON.stringify(answer.details ?? {}) };
  return {
    output: {
      action: answer.action,
      status: group.status,
      next: nextAfter(group),
      ...(answer.details ?? {}),
    },
  };
}

/**
 * A location answers the step its work waits for. The answer's move is committed first (group,
 * order and stock in one transaction, conditional on the versions read), so from the moment the
 * location hears 200 the order shows it: a cancel after a ship is refused, a lapse of the step
 * finds it answered. Then the workflow's waiting task is completed with the answer. The same answer
 * again is harmless (200, `repeated`, and the task is told again in case the first message was
 * lost); an answer the work does not wait for, or one after another answer, is 409
 * `WORK_NOT_WAITING` with the work's state.
 */
export async function answerWork(ports: FulfilmentPorts, principal: Principal, command: AnswerCommand) {
  const { locationId, groupId, action } = command;
  assertOwnLocation(principal, locationId);
  const orderId = orderIdOfGroup(groupId);
  const outcome = await untilCommitted<{
    group: FulfilmentGroup;
    answer?: RecordedAnswer;
    repeated: boolean;
  }>(ports, `Group ${groupId}`, async () => {
    const [group, order, head] = orderId
      ? await Promise.all([
          ports.groups.group(orderId, groupId),
          ports.orders.get(orderId),
          ports.groups.head(orderId),
        ])
      : [undefined, undefined, undefined];
    if (!group || !order || !head || (group.locationId !== locationId && group.transferTo !== locationId)) {
      throw notFound('Work', groupId, 'groupId', 'no such work at this location');
    }
    if (order.status === 'CANCELLED' || group.status === 'CANCELLED') {
      throw notWaiting({ ...group, status: 'CANCELLED' }, `Order ${order.orderId} was cancelled`);
    }
    const waiting = group.waiting;
    if (!waiting || waiting.actor !== locationId || !allowedActions(group, waiting.step).includes(action)) {
      if (taken(group, action)) {
        const again = group.answer?.action === action ? group.answer : undefined;
        return { done: { group, ...(again ? { answer: again } : {}), repeated: true } };
      }
      // The last answer was committed but the workflow may never have heard it (its message
      // failed): tell it again, so that the next step is asked, before refusing this one.
      if (!waiting && group.answer) {
        await ports.workflows.answer(group.answer.token, taskOutcome(group, group.answer));
      }
      throw notWaiting(
        group,
        waiting
          ? `${groupId} waits for ${waiting.step} from ${waiting.actor}, not ${action} from ${locationId}`
          : `${groupId} is ${group.status} and waits for nothing`,
      );
    }
    const now = ports.now();
    const answer: RecordedAnswer = {
      token: waiting.token,
      step: waiting.step,
      action,
      at: now,
      ...(command.details ? { details: command.details } : {}),
    };
    if (action === 'reject' || action === 'shortPick') {
      const failure = failureOf({
        Error: taskOutcome(group, answer).error,
        Cause: JSON.stringify(command.details ?? {}),
      });
      const { failed, items } = failureItems(ports, order, head, group, failure, now, answer);
      return { items, result: { group: failed, answer, repeated: false } };
    }
    const details = command.details as { carrier?: string; trackingNumber?: string } | undefined;
    const moved = progressItems(
      ports,
      order,
      group,
      action === 'ship' ? { action, ...details } : { action },
      now,
      answer,
    );
    if (!moved) throw notWaiting(group, `${groupId} is ${group.status}: ${action} does not apply`);
    return { items: moved.items, result: { group: moved.updated, answer, repeated: false } };
  });
  // Told after the move is committed; a task that no longer waits (its time ran out a moment ago)
  // finds the answer when it resolves its lapse.
  if (outcome.answer)
    await ports.workflows.answer(outcome.answer.token, taskOutcome(outcome.group, outcome.answer));
  return {
    groupId,
    action,
    status: outcome.group.status,
    ...(outcome.answer ? { step: outcome.answer.step, answeredAt: outcome.answer.at } : {}),
    repeated: outcome.repeated,
  };
}
