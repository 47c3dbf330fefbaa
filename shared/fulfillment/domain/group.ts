import type { Delivery } from '../../inventory';
import type { GroupStatus } from '../../orders';

/**
 * A fulfilment group: the lines one location fulfils for an order, and where that work stands.
 * The workflow moves it (the location answers through the location API, which completes the
 * workflow's waiting task); the group record is also each location's work list and the source of
 * the fulfilment events.
 */

/** What the workflow waits for from a location: its answer, the dispatch, a transfer's arrival, the collection. */
export type Step = 'answer' | 'dispatch' | 'arrival' | 'collection';
export const STEPS: readonly Step[] = ['answer', 'dispatch', 'arrival', 'collection'];

/** What a location can tell the workflow. */
export type LocationAction = 'accept' | 'reject' | 'shortPick' | 'ship' | 'readyForPickup' | 'collected';

/** How long a location has for each step before its work is rerouted (or, for a pickup, goes back to stock). */
export interface FulfilmentTimes {
  acceptWithinSeconds: number;
  dispatchWithinSeconds: number;
  transferWithinSeconds: number;
  holdPickupForSeconds: number;
}

/** What a location that says nothing of its own gets. */
export const DEFAULT_TIMES: FulfilmentTimes = {
  acceptWithinSeconds: 2 * 3600,
  dispatchWithinSeconds: 2 * 86_400,
  transferWithinSeconds: 3 * 86_400,
  holdPickupForSeconds: 5 * 86_400,
};

/**
 * The most each step may take (the location schema's limits; also applied to locations written
 * before them): one group's life, 17 days at most, fits in its workflow task's 19-day limit.
 */
export const MAX_TIMES: FulfilmentTimes = {
  acceptWithinSeconds: 86_400,
  dispatchWithinSeconds: 6 * 86_400,
  transferWithinSeconds: 5 * 86_400,
  holdPickupForSeconds: 5 * 86_400,
};

export interface GroupLine {
  sku: string;
  quantity: number;
}

/** A location's answer, as recorded before the workflow is told (so a repeat is recognised). */
export interface RecordedAnswer {
  token: string;
  step: Step;
  action: LocationAction;
  at: string;
  details?: Record<string, unknown>;
}

export interface FulfilmentGroup {
  orderId: string;
  groupId: string;
  /** The order's channel: what the location may see of who sells. */
  channel: string;
  locationId: string;
  lines: GroupLine[];
  delivery: Delivery;
  /** A ship-to-store transfer: the pickup store the units travel to, and where they are collected. */
  transferTo?: string;
  status: GroupStatus;
  times: FulfilmentTimes;
  /** The step the workflow waits for, its task token, and who must act. */
  waiting?: { step: Step; token: string; since: string; actor: string };
  answer?: RecordedAnswer;
  carrier?: string;
  trackingNumber?: string;
  /** Why it ended without delivering (a rejection's reason, a timeout, a short pick). */
  reason?: string;
  /** A short pick's lines: what the location did not find (taken off its on hand). */
  short?: { sku: string; quantityShort: number }[];
  /** A failed group whose reroute never happened (its execution failed): its lines were cancelled. */
  abandoned?: boolean;
  /** The group whose failure this one replaces. */
  replaces?: string;
  history: { status: GroupStatus; at: string; note?: string }[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A group as the workflow carries it (an execution's input): ids, lines and the step durations. */
export interface WorkflowGroup {
  groupId: string;
  locationId: string;
  lines: GroupLine[];
  deliveryType: Delivery['type'];
  transferTo?: string;
  slaSeconds: number;
  dispatchSeconds: number;
  transitSeconds: number;
  pickupHoldSeconds: number;
}

export const workflowGroup = (group: FulfilmentGroup): WorkflowGroup => ({
  groupId: group.groupId,
  locationId: group.locationId,
  lines: group.lines,
  deliveryType: group.delivery.type,
  ...(group.transferTo ? { transferTo: group.transferTo } : {}),
  slaSeconds: group.times.acceptWithinSeconds,
  dispatchSeconds: group.times.dispatchWithinSeconds,
  transitSeconds: group.times.transferWithinSeconds,
  pickupHoldSeconds: group.times.holdPickupForSeconds,
});

/** `${orderId}-G${n}`: a group id names its order, and is a valid execution name. */
export const groupIdOf = (orderId: string, n: number) => `${orderId}-G${n}`;

/** The order a group id belongs to. */
export const orderIdOfGroup = (groupId: string): string | undefined => /^(.+)-G\d+$/.exec(groupId)?.[1];

/** Who acts on a step: the fulfilling location, or for a transfer's arrival and collection the pickup store. */
export const actorOf = (group: Pick<FulfilmentGroup, 'locationId' | 'transferTo'>, step: Step): string =>
  (step === 'arrival' || step === 'collection') && group.transferTo ? group.transferTo : group.locationId;

/** Which answers a step takes from a group's location. */
export function allowedActions(
  group: Pick<FulfilmentGroup, 'delivery' | 'transferTo'>,
  step: Step,
): LocationAction[] {
  switch (step) {
    case 'answer':
      return ['accept', 'reject', 'shortPick'];
    case 'dispatch':
      return group.delivery.type === 'pickup' && !group.transferTo
        ? ['readyForPickup', 'shortPick']
        : ['ship', 'shortPick'];
    case 'arrival':
      return ['readyForPickup'];
    case 'collection':
      return ['collected'];
  }
}

/** The status a group takes when the workflow records a step's answer. */
export function statusAfter(group: Pick<FulfilmentGroup, 'transferTo'>, action: LocationAction): GroupStatus {
  switch (action) {
    case 'accept':
      return 'ACCEPTED';
    case 'ship':
      return group.transferTo ? 'IN_TRANSIT' : 'SHIPPED';
    case 'readyForPickup':
      return 'READY_FOR_PICKUP';
    case 'collected':
      return 'PICKED_UP';
    case 'reject':
      return 'REJECTED';
    case 'shortPick':
      return 'SHORT_PICKED';
  }
}

/** How a workflow failure (a task's error) ends a group. */
export function failureOf(failure: { Error?: string; Cause?: string } | undefined): {
  status: Extract<GroupStatus, 'REJECTED' | 'SHORT_PICKED' | 'TIMED_OUT'>;
  reason: string;
  /** A short pick's lines: what the location did not find. */
  short: { sku: string; quantityShort: number }[];
} {
  const error = failure?.Error ?? 'States.Timeout';
  const cause = parseCause(failure?.Cause);
  if (error === 'FulfillmentRejected') {
    return { status: 'REJECTED', reason: String(cause.reason ?? 'rejected by the location'), short: [] };
  }
  if (error === 'ShortPicked') {
    const lines = Array.isArray(cause.lines)
      ? (cause.lines as { sku?: unknown; quantityShort?: unknown }[])
      : [];
    const short = lines
      .filter(
        (l) => typeof l.sku === 'string' && Number.isInteger(l.quantityShort) && Number(l.quantityShort) > 0,
      )
      .map((l) => ({ sku: String(l.sku), quantityShort: Number(l.quantityShort) }));
    const said = short.map((l) => `${l.sku} short ${l.quantityShort}`).join(', ');
    return { status: 'SHORT_PICKED', reason: `short pick${said ? `: ${said}` : ''}`, short };
  }
  if (error === 'States.HeartbeatTimeout') {
    return { status: 'TIMED_OUT', reason: 'no sign of life within its heartbeat', short: [] };
  }
  return { status: 'TIMED_OUT', reason: 'no answer within its SLA', short: [] };
}

function parseCause(cause: string | undefined): Record<string, unknown> {
  if (!cause) return {};
  try {
    const parsed = JSON.parse(cause) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { reason: cause };
  } catch {
    return { reason: cause };
  }
}
