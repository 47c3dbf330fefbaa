import {
  type AllocatedLine,
  adjustInventory,
  type Location,
  type Planner,
  type ProfileDecision,
  placeAllocations,
  readPlanningCandidates,
} from '../../inventory';
import { FAILED_GROUP_STATUSES, type Order, type OrderLine } from '../../orders';
import {
  type FulfilmentGroup,
  failureOf,
  type GroupLine,
  groupIdOf,
  type WorkflowGroup,
  workflowGroup,
} from '../domain/group';
import { allocatedLines, dayOf, profileDecision, sourcePlan, UNFILLED_REASONS } from '../domain/planning';
import type { SourcingProfile } from '../domain/profile';
import type { RoutingRecord } from '../domain/routing';
import type { SourcingGroup } from '../domain/sourcing';
import {
  linesCancelled,
  linesWith,
  OrderCancelled,
  orderWith,
  timesFor,
  untilCommitted,
} from './fulfilment-state';
import type { CapacityCounter, FulfilmentPorts, ProfileRepository } from './ports';
import { activeProfile } from './profiles';
import { failureItems } from './transitions';

/**
 * Routing: which locations fulfil an order's lines. The intake already reserved them (with the
 * sourcing engine as its planner when it can place every line whole, see {@link profilePlanner});
 * the first routing turns that reservation into groups. A reroute moves a failed group's lines to
 * other locations, never asking a location that failed this order again.
 */

/** A second's copy of the active routing profile per execution environment (and store): every order reads it. */
const PROFILE_TTL_MS = 1_000;
const cachedProfiles = new WeakMap<ProfileRepository, { at: number; value: Promise<SourcingProfile> }>();

/** The active version of the routing profile (`default`: the built-in one until ops write their own). */
export function routingProfile(profiles: ProfileRepository): Promise<SourcingProfile> {
  const hit = cachedProfiles.get(profiles);
  if (hit && Date.now() - hit.at < PROFILE_TTL_MS) return hit.value;
  const value = activeProfile({ profiles, now: () => new Date().toISOString() });
  cachedProfiles.set(profiles, { at: Date.now(), value });
  value.catch(() => cachedProfiles.delete(profiles));
  return value;
}

/** A second's copy of each location's groups today, per counter: every order reads it. */
const cachedUsage = new WeakMap<
  CapacityCounter,
  { day: string; at: number; value: Promise<Map<string, number>> }
>();

/** Groups given to each location on the UTC day of `now` (one query for every location). */
export function usedToday(counter: CapacityCounter, now: string): Promise<Map<string, number>> {
  const day = dayOf(now);
  const hit = cachedUsage.get(counter);
  if (hit && hit.day === day && Date.now() - hit.at < PROFILE_TTL_MS) return hit.value;
  const value = counter.usedOn(day);
  cachedUsage.set(counter, { day, at: Date.now(), value });
  value.catch(() => cachedUsage.delete(counter));
  return value;
}

/**
 * The sourcing engine as the inventory pool's planner, under the active routing profile, with each
 * location's daily capacity measured against the groups it was given today.
 */
export function profilePlanner(profiles: ProfileRepository, capacity: CapacityCounter): Planner {
  return {
    async plan(request) {
      const [profile, used] = await Promise.all([routingProfile(profiles), usedToday(capacity, request.now)]);
      const result = sourcePlan(request, profile, used);
      return {
        lines: allocatedLines(result.groups),
        unfilled: result.unfilled.map((u) => ({ sku: u.sku, quantity: u.quantity, reason: u.reason })),
        decision: profileDecision(result),
      };
    },
  };
}

const withoutRecord = ({ record: _record, ...rest }: ProfileDecision): ProfileDecision => rest;

const isProfileDecision = (d: { rule: string }): d is ProfileDecision => d.rule === 'sourcing-profile';

/** Groups as the workflow runs them: the first routing's, in number order. */
const firstGroups = (groups: FulfilmentGroup[]) =>
  groups
    .filter((g) => !g.replaces)
    .sort((a, b) => a.groupId.localeCompare(b.groupId, 'en', { numeric: true }))
    .map(workflowGroup);

/**
 * The first routing of an order: one group per location that holds its units, the decision that
 * put them there (FulfillmentRouted), the order ROUTED. Idempotent: a second call returns the groups.
 */
export async function routeOrder(
  ports: FulfilmentPorts,
  orderId: string,
): Promise<{ groups: WorkflowGroup[] }> {
  const routed = await untilCommitted<Routed>(ports, `Order ${orderId}`, async () => {
    const [order, head] = await Promise.all([ports.orders.get(orderId), ports.groups.head(orderId)]);
    if (!order) throw new Error(`Order ${orderId} does not exist`);
    if (head) return { done: { groups: firstGroups(await ports.groups.groups(orderId)) } };
    if (order.status === 'CANCELLED') throw new OrderCancelled(orderId);
    const now = ports.now();
    const byLocation = new Map<string, GroupLine[]>();
    for (const line of order.lines) {
      for (const a of line.allocations) {
        byLocation.set(a.locationId, [
          ...(byLocation.get(a.locationId) ?? []),
          { sku: line.sku, quantity: a.quantity },
        ]);
      }
    }
    const timesAt = await stepTimes(ports, order, [...byLocation.keys()]);
    const groups: FulfilmentGroup[] = [...byLocation].map(([locationId, lines], i) => ({
      orderId,
      groupId: groupIdOf(orderId, i + 1),
      channel: order.channel,
      locationId,
      lines,
      delivery: order.delivery,
      status: 'PENDING',
      times: timesAt(locationId),
      history: [{ status: 'PENDING', at: now }],
      createdAt: now,
      updatedAt: now,
      version: 1,
    }));
    const decision = order.decision;
    const record: RoutingRecord = {
      orderId,
      sequence: 1,
      kind: 'route',
      at: now,
      groups: groups.map((g) => ({ groupId: g.groupId, locationId: g.locationId, lines: g.lines })),
      unfilled: [],
      explanation: decision.summary,
      ...(isProfileDecision(decision)
        ? { profileId: decision.profileId, profileVersion: decision.profileVersion }
        : {}),
      decision: (isProfileDecision(decision) ? decision.record : decision) as unknown as Record<
        string,
        unknown
      >,
    };
    const items = [
      ports.groups.putHeadOp({
        orderId,
        nextGroup: groups.length + 1,
        nextRouting: 2,
        excluded: [],
        version: 1,
        createdAt: now,
        updatedAt: now,
      }),
      ...groups.map((g) => ports.groups.putGroupOp(g)),
      ports.groups.putRoutingOp(record),
      ports.orders.updateOp(
        order,
        {
          ...orderWith(order, groups),
          status: 'ROUTED',
          // The routing record keeps the full decision; the order, rewritten at every step, keeps its why.
          ...(isProfileDecision(decision) ? { decision: withoutRecord(decision) } : {}),
        },
        now,
      ),
    ];
    return { items, result: { groups: groups.map(workflowGroup), counted: { day: dayOf(now), groups } } };
  });
  return countRouted(ports, routed);
}

/** Routed groups, and (when this call routed them) the day their locations' capacity counts them. */
interface Routed {
  groups: WorkflowGroup[];
  counted?: { day: string; groups: FulfilmentGroup[] };
}

/** Counts the groups this call routed against their locations' daily capacity, once it committed. */
async function countRouted(ports: FulfilmentPorts, routed: Routed): Promise<{ groups: WorkflowGroup[] }> {
  if (routed.counted) {
    const { day, groups } = routed.counted;
    await Promise.all(groups.map((g) => ports.groups.countGroups(day, g.locationId, 1)));
  }
  return { groups: routed.groups };
}

/**
 * Each fulfilling location's step durations for this order: its own SLAs, and the pickup store's
 * hold for a pickup order (read once per routing).
 */
async function stepTimes(ports: FulfilmentPorts, order: Order, locationIds: string[]) {
  const pickupId = order.delivery.type === 'pickup' ? order.delivery.locationId : undefined;
  const ids = [...new Set([...locationIds, ...(pickupId ? [pickupId] : [])])];
  const found = await Promise.all(ids.map((id) => ports.inventory.inventory.getLocation(id)));
  const locations = new Map(found.flatMap((l): [string, Location][] => (l ? [[l.locationId, l]] : [])));
  const pickupStore = pickupId ? locations.get(pickupId) : undefined;
  return (locationId: string) => timesFor(locations.get(locationId), pickupStore);
}

/**
 * A location failed a group (rejected it, was short, or did not answer in time): the group ends
 * with the reason and its units at that location go back, the location is never asked again for
 * this order, and the lines are re-sourced without it and reserved again (Rerouted); lines nothing
 * can fill are cancelled (LineCancelled). Returns the replacement groups for the workflow to run.
 * Idempotent: each half is recorded, so a retried task finishes what was left and repeats nothing.
 */
export async function rerouteGroup(
  ports: FulfilmentPorts,
  command: { orderId: string; groupId: string; failure?: { Error?: string; Cause?: string } },
): Promise<{ groups: WorkflowGroup[] }> {
  const { orderId, groupId } = command;
  await failGroup(ports, orderId, groupId, failureOf(command.failure));
  await correctShortStock(ports, orderId, groupId);
  const routed = await untilCommitted<Routed>(ports, `Order ${orderId}`, async () => {
    const [order, head, group, routings] = await Promise.all([
      ports.orders.get(orderId),
      ports.groups.head(orderId),
      ports.groups.group(orderId, groupId),
      ports.groups.routings(orderId),
    ]);
    if (!order || !head || !group) throw new Error(`Order ${orderId} has no group ${groupId}`);
    const done = routings.find((r) => r.replaces?.groupId === groupId);
    if (done) {
      const groups = await ports.groups.groups(orderId);
      return { done: { groups: groups.filter((g) => g.replaces === groupId).map(workflowGroup) } };
    }
    if (order.status === 'CANCELLED') throw new OrderCancelled(orderId);
    const now = ports.now();
    const skus = group.lines.map((l) => l.sku);
    const [candidates, profile, used] = await Promise.all([
      readPlanningCandidates(ports.inventory, order.channel, skus),
      routingProfile(ports.profiles),
      ports.groups.usedOn(dayOf(now)),
    ]);
    const result = sourcePlan(
      {
        orderId,
        channel: order.channel,
        lines: group.lines,
        delivery: order.delivery,
        candidates,
        excludedLocationIds: head.excluded,
        now,
      },
      profile,
      used,
    );
    const placed = await placeAllocations(
      ports.inventory,
      order.channel,
      allocatedLines(result.groups),
      { type: 'reserve', ref: { type: 'order', id: orderId } },
      now,
    );
    const timesAt = await stepTimes(
      ports,
      order,
      result.groups.map((g) => g.locationId),
    );
    const replacements = result.groups.map(
      (g: SourcingGroup, i): FulfilmentGroup => ({
        orderId,
        groupId: groupIdOf(orderId, head.nextGroup + i),
        channel: order.channel,
        locationId: g.locationId,
        lines: g.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        delivery: order.delivery,
        ...(g.transferTo ? { transferTo: g.transferTo } : {}),
        status: 'PENDING',
        times: timesAt(g.locationId),
        replaces: groupId,
        history: [{ status: 'PENDING', at: now, note: `replaces ${groupId}` }],
        createdAt: now,
        updatedAt: now,
        version: 1,
      }),
    );
    const unfilled = result.unfilled.map((u) => ({
      sku: u.sku,
      quantity: u.quantity,
      reason: UNFILLED_REASONS[u.reason],
    }));
    const lines: OrderLine[] = linesCancelled(
      linesWith(order.lines, placed.lines as AllocatedLine[]),
      unfilled,
    );
    const record: RoutingRecord = {
      orderId,
      sequence: head.nextRouting,
      kind: 'reroute',
      at: now,
      groups: replacements.map((g) => ({
        groupId: g.groupId,
        locationId: g.locationId,
        lines: g.lines,
        ...(g.transferTo ? { transferTo: g.transferTo } : {}),
      })),
      unfilled,
      explanation: `${groupId} ${group.status.toLowerCase().replace('_', ' ')} at ${group.locationId} (${group.reason ?? 'no reason given'}). ${result.decision.explanation}`,
      profileId: result.decision.profileId,
      profileVersion: result.decision.profileVersion,
      decision: result.decision as unknown as Record<string, unknown>,
      replaces: {
        groupId,
        locationId: group.locationId,
        status: group.status,
        reason: group.reason ?? group.status,
      },
      excludedLocationIds: head.excluded,
    };
    const items = [
      ...placed.stockOps,
      ...replacements.map((g) => ports.groups.putGroupOp(g)),
      ports.groups.putRoutingOp(record),
      ports.groups.updateHeadOp(head, {
        ...head,
        nextGroup: head.nextGroup + replacements.length,
        nextRouting: head.nextRouting + 1,
        updatedAt: now,
      }),
      ports.orders.updateOp(order, orderWith(order, replacements, lines), now),
    ];
    return {
      items,
      result: { groups: replacements.map(workflowGroup), counted: { day: dayOf(now), groups: replacements } },
    };
  });
  return countRouted(ports, routed);
}

/**
 * A short pick says the location holds fewer units than its position says: its on hand falls by
 * what it was short (never below zero), as an adjustment named after the group and SKU, so a
 * retried task applies it once and availability stops promising units that are not there.
 */
async function correctShortStock(ports: FulfilmentPorts, orderId: string, groupId: string): Promise<void> {
  const group = await ports.groups.group(orderId, groupId);
  if (group?.status !== 'SHORT_PICKED') return;
  for (const line of group.short ?? []) {
    const ordered = group.lines.find((l) => l.sku === line.sku)?.quantity ?? 0;
    const position = await ports.inventory.inventory.getPosition(line.sku, group.locationId);
    const fall = Math.min(line.quantityShort, ordered, position?.onHand ?? 0);
    if (fall <= 0) continue;
    await adjustInventory(ports.inventory, {
      sku: line.sku,
      locationId: group.locationId,
      delta: -fall,
      reason: `short pick (${groupId})`,
      sourceSystem: 'fulfilment',
      sourceEventId: `${groupId}-${line.sku}`,
    });
  }
}

/**
 * The first half of a reroute, when the group is not failed yet (the location API or the lapse of
 * a step fails it in the same transaction as its answer): it ends with the reason, its units go
 * back and the location is excluded.
 */
async function failGroup(
  ports: FulfilmentPorts,
  orderId: string,
  groupId: string,
  failure: ReturnType<typeof failureOf>,
): Promise<void> {
  await untilCommitted<undefined>(ports, `Order ${orderId}`, async () => {
    const [order, head, group] = await Promise.all([
      ports.orders.get(orderId),
      ports.groups.head(orderId),
      ports.groups.group(orderId, groupId),
    ]);
    if (!order || !head || !group) throw new Error(`Order ${orderId} has no group ${groupId}`);
    if (FAILED_GROUP_STATUSES.includes(group.status)) return { done: undefined };
    if (order.status === 'CANCELLED' || group.status === 'CANCELLED') throw new OrderCancelled(orderId);
    return { items: failureItems(ports, order, head, group, failure, ports.now()).items, result: undefined };
  });
}
