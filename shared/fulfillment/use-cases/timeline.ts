import type { GroupStatus } from '../../orders';
import { notFound } from '../../platform/errors';
import type { Principal } from '../../platform/principals';
import type { FulfilmentPorts } from './ports';

/** The event a group's status stands for, as the timeline names it. */
const GROUP_EVENT: Partial<Record<GroupStatus, string>> = {
  PENDING: 'GroupPlanned',
  REQUESTED: 'FulfillmentRequested',
  ACCEPTED: 'FulfillmentAccepted',
  REJECTED: 'FulfillmentRejected',
  SHORT_PICKED: 'FulfillmentRejected',
  TIMED_OUT: 'FulfillmentRejected',
  SHIPPED: 'Shipped',
  IN_TRANSIT: 'Shipped',
  READY_FOR_PICKUP: 'ReadyForPickup',
  PICKED_UP: 'PickedUp',
  PICKUP_EXPIRED: 'PickupExpired',
  CANCELLED: 'GroupCancelled',
};

const ORDER_EVENT: Record<string, string> = {
  CREATED: 'OrderCreated',
  CANCELLED: 'OrderCancelled',
  COMPLETED: 'OrderFulfilled',
};

export interface TimelineEntry {
  at: string;
  /** `order`: the order's own status; `decision`: a routing or reroute; `group`: a group's progress; `workflow`: an execution's step. */
  kind: 'order' | 'decision' | 'group' | 'workflow';
  type: string;
  [detail: string]: unknown;
}

/**
 * Everything that happened to an order, in order: its statuses, each routing decision (the first
 * and every reroute, with why), each group's progress, and every step of its workflow executions.
 * A channel sees its own orders only; ops see every order.
 */
export async function orderTimeline(ports: FulfilmentPorts, principal: Principal, orderId: string) {
  const order = await ports.orders.get(orderId);
  if (!order || (principal !== 'ops' && order.channel !== principal)) {
    throw notFound('Order', orderId, 'orderId', 'no such order');
  }
  const [groups, routings] = await Promise.all([
    ports.groups.groups(orderId),
    ports.groups.routings(orderId),
  ]);
  const histories = await Promise.all([
    ports.workflows.history('order', orderId),
    ...groups.map((g) => ports.workflows.history('group', g.groupId)),
  ]);
  const entries: TimelineEntry[] = [
    ...order.history.map((h) => ({
      at: h.at,
      kind: 'order' as const,
      type:
        ORDER_EVENT[h.status] ??
        `Order${h.status.charAt(0)}${h.status
          .slice(1)
          .toLowerCase()
          .replace(/_(.)/g, (_, c: string) => c.toUpperCase())}`,
      status: h.status,
    })),
    ...routings.map((r) => ({
      at: r.at,
      kind: 'decision' as const,
      type: r.kind === 'route' ? 'FulfillmentRouted' : 'Rerouted',
      explanation: r.explanation,
      groups: r.groups,
      unfilled: r.unfilled,
      ...(r.replaces ? { replaces: r.replaces } : {}),
      ...(r.profileId ? { profileId: r.profileId, profileVersion: r.profileVersion } : {}),
      // Each listed candidate with every filter's verdict and every criterion's score: the why in data.
      ...(Array.isArray(r.decision.candidates) ? { candidates: r.decision.candidates } : {}),
    })),
    ...groups.flatMap((g) =>
      g.history.map((h) => ({
        at: h.at,
        kind: 'group' as const,
        type: GROUP_EVENT[h.status] ?? h.status,
        groupId: g.groupId,
        locationId: g.locationId,
        status: h.status,
        ...(h.note ? { note: h.note } : {}),
      })),
    ),
    ...histories.flat().map((h) => ({ ...h, kind: 'workflow' as const })),
  ];
  const rank = { order: 0, decision: 1, group: 2, workflow: 3 };
  entries.sort((a, b) => a.at.localeCompare(b.at) || rank[a.kind] - rank[b.kind]);
  return { orderId, status: order.status, entries };
}
