import type { AllocatedLine, Location } from '../../inventory';
import { derivedStatus, type Order, type OrderGroup, type OrderLine } from '../../orders';
import { contentionBackoff, MAX_CONTENTION_ATTEMPTS, type TransactItem } from '../../platform/dynamodb';
import {
  DEFAULT_TIMES,
  type FulfilmentGroup,
  type FulfilmentTimes,
  type GroupLine,
  MAX_TIMES,
} from '../domain/group';
import type { FulfilmentPorts } from './ports';

/**
 * What the fulfilment use cases share: reading an order with its group, the errors the workflow
 * catches by name, and keeping the order record (what a channel sees) in step with its groups.
 */

/** The order was cancelled: the workflow catches this by name and ends the group or order quietly. */
export class OrderCancelled extends Error {
  constructor(orderId: string) {
    super(`Order ${orderId} was cancelled`);
    this.name = 'OrderCancelled';
  }
}

/** Lost races on an order too often: the workflow retries the task (`Retry` on this name). */
export class ConcurrentUpdate extends Error {
  constructor(what: string) {
    super(`${what} changed too often; try again`);
    this.name = 'ConcurrentUpdate';
  }
}

/** An order and one of its groups, read consistently; a cancelled order stops the caller. */
export async function orderAndGroup(
  ports: FulfilmentPorts,
  orderId: string,
  groupId: string,
): Promise<{ order: Order; group: FulfilmentGroup }> {
  const [order, group] = await Promise.all([ports.orders.get(orderId), ports.groups.group(orderId, groupId)]);
  if (!order) throw new Error(`Order ${orderId} does not exist`);
  if (!group) throw new Error(`Group ${groupId} of order ${orderId} does not exist`);
  if (order.status === 'CANCELLED' || group.status === 'CANCELLED') throw new OrderCancelled(orderId);
  return { order, group };
}

/** A group as the order shows it. */
export const orderGroupOf = (group: FulfilmentGroup): OrderGroup => ({
  groupId: group.groupId,
  locationId: group.locationId,
  lines: group.lines,
  status: group.status,
  ...(group.transferTo ? { transferTo: group.transferTo } : {}),
  ...(group.carrier ? { carrier: group.carrier } : {}),
  ...(group.trackingNumber ? { trackingNumber: group.trackingNumber } : {}),
  ...(group.reason ? { reason: group.reason } : {}),
  updatedAt: group.updatedAt,
});

/** The order with these groups put in (added or replaced) and its lines as given, its status derived. */
export function orderWith(order: Order, groups: FulfilmentGroup[], lines: OrderLine[] = order.lines) {
  const byId = new Map((order.groups ?? []).map((g) => [g.groupId, g]));
  for (const group of groups) byId.set(group.groupId, orderGroupOf(group));
  const next = { status: order.status, lines, groups: [...byId.values()] };
  const status = derivedStatus(next);
  return {
    ...next,
    status,
    ...(status === 'CANCELLED' ? { cancelCause: 'unfulfillable' as const } : {}),
  };
}

/** The group's units, at its location, as allocated lines (what it reserves there). */
export function groupAllocations(order: Order, group: FulfilmentGroup): AllocatedLine[] {
  return group.lines.map((l) => {
    const line = order.lines.find((o) => o.sku === l.sku);
    // Share rules counted the line's units when reserved: they count them no more once the line
    // holds nothing (its last units left or went back).
    const last = line !== undefined && heldBy(line) === l.quantity;
    return {
      sku: l.sku,
      quantity: l.quantity,
      allocations: [{ locationId: group.locationId, quantity: l.quantity }],
      ...(last && line?.counted ? { counted: line.counted } : {}),
    };
  });
}

const heldBy = (line: OrderLine) => line.allocations.reduce((n, a) => n + a.quantity, 0);

/**
 * The order's lines once a group's units no longer sit at its location (shipped, collected,
 * released), with `fulfilled` or `cancelled` units counted where that is why.
 */
export function linesWithout(
  lines: OrderLine[],
  group: Pick<FulfilmentGroup, 'locationId' | 'lines'>,
  outcome: { fulfilled?: boolean; cancelled?: string; keepAllocations?: boolean } = {},
): OrderLine[] {
  return lines.map((line) => {
    const taken = group.lines.find((l) => l.sku === line.sku);
    if (!taken) return line;
    let left = taken.quantity;
    const allocations = outcome.keepAllocations
      ? line.allocations
      : line.allocations
          .map((a) => {
            if (a.locationId !== group.locationId || left === 0) return a;
            const moved = Math.min(left, a.quantity);
            left -= moved;
            return { ...a, quantity: a.quantity - moved };
          })
          .filter((a) => a.quantity > 0);
    const next: OrderLine = { ...line, allocations };
    if (allocations.length === 0) delete next.counted;
    if (outcome.fulfilled) next.fulfilledQuantity = (line.fulfilledQuantity ?? 0) + taken.quantity;
    if (outcome.cancelled) {
      next.cancelledQuantity = (line.cancelledQuantity ?? 0) + taken.quantity;
      next.cancelReason = outcome.cancelled;
    }
    return next;
  });
}

/** Lines with units cancelled (nothing could fill them), and why. */
export function linesCancelled(
  lines: OrderLine[],
  cancelled: (GroupLine & { reason: string })[],
): OrderLine[] {
  return lines.map((line) => {
    const gone = cancelled.filter((c) => c.sku === line.sku);
    if (gone.length === 0) return line;
    return {
      ...line,
      cancelledQuantity: (line.cancelledQuantity ?? 0) + gone.reduce((n, c) => n + c.quantity, 0),
      cancelReason: gone.map((c) => c.reason).join('; '),
    };
  });
}

/** Lines with newly reserved allocations added (a reroute). */
export function linesWith(lines: OrderLine[], added: AllocatedLine[]): OrderLine[] {
  return lines.map((line) => {
    const more = added.filter((a) => a.sku === line.sku);
    if (more.length === 0) return line;
    const allocations = [...line.allocations];
    for (const a of more.flatMap((m) => m.allocations)) {
      const same = allocations.findIndex((x) => x.locationId === a.locationId);
      if (same >= 0) allocations[same] = { ...a, quantity: (allocations[same]?.quantity ?? 0) + a.quantity };
      else allocations.push(a);
    }
    const counted = [...(line.counted ?? []), ...more.flatMap((m) => m.counted ?? [])];
    return { ...line, allocations, ...(counted.length > 0 ? { counted } : {}) };
  });
}

/** A location's step durations: its own where it says, the defaults elsewhere; the pickup hold is the pickup store's. */
export function timesFor(source: Location | undefined, pickupStore: Location | undefined): FulfilmentTimes {
  const own = source?.sla ?? {};
  const step = (name: keyof FulfilmentTimes, value: number | undefined) =>
    Math.min(value ?? DEFAULT_TIMES[name], MAX_TIMES[name]);
  return {
    acceptWithinSeconds: step('acceptWithinSeconds', own.acceptWithinSeconds),
    dispatchWithinSeconds: step('dispatchWithinSeconds', own.dispatchWithinSeconds),
    transferWithinSeconds: step('transferWithinSeconds', own.transferWithinSeconds),
    holdPickupForSeconds: step('holdPickupForSeconds', (pickupStore ?? source)?.sla?.holdPickupForSeconds),
  };
}

/**
 * Runs `attempt` (which reads, decides and returns the items to commit, or a result without
 * writing) until its transaction commits: a lost race reads again.
 */
export type Attempt<T> = { items: TransactItem[]; result: T } | { done: T };

export async function untilCommitted<T>(
  ports: Pick<FulfilmentPorts, 'transact'>,
  what: string,
  attempt: () => Promise<Attempt<T>>,
): Promise<T> {
  for (let n = 1; n <= MAX_CONTENTION_ATTEMPTS; n++) {
    const step = await attempt();
    if (!('items' in step)) return step.done;
    const outcome = await ports.transact(step.items);
    if (outcome.kind === 'committed') return step.result;
    await contentionBackoff(n);
  }
  throw new ConcurrentUpdate(what);
}
