import type { CustomerDecision } from '../../customers';
import type { AllocatedLine, Delivery, PlacementDecision } from '../../inventory';
import type { Channel } from '../../platform/principals';
import type { AppliedPromotion, PricedLine, PromotionUse } from '../../pricing';
import type { Customer } from '../schemas';

/**
 * The order's life. The intake creates it; fulfilment routes it (ROUTED), a location takes work
 * (IN_FULFILLMENT), a pickup order waits at its store (READY_FOR_PICKUP), and it ends COMPLETED once
 * every line was shipped, collected or cancelled (at least one unit delivered), or CANCELLED. A
 * cancel is allowed until the first unit leaves a location (after that it is a return).
 */
export const ORDER_STATUSES = [
  'CREATED',
  'ROUTED',
  'IN_FULFILLMENT',
  'READY_FOR_PICKUP',
  'COMPLETED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Which status may follow which; anything else is refused. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CREATED: ['ROUTED', 'CANCELLED'],
  ROUTED: ['IN_FULFILLMENT', 'READY_FOR_PICKUP', 'COMPLETED', 'CANCELLED'],
  IN_FULFILLMENT: ['ROUTED', 'READY_FOR_PICKUP', 'COMPLETED', 'CANCELLED'],
  READY_FOR_PICKUP: ['IN_FULFILLMENT', 'ROUTED', 'COMPLETED', 'CANCELLED'],
  COMPLETED: [],
  CANCELLED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean =>
  ORDER_TRANSITIONS[from].includes(to);

/**
 * Where a fulfilment group stands (one location's part of an order). PENDING: routed, not yet
 * asked; REQUESTED: in the location's work list; then ACCEPTED, and SHIPPED (to the customer) or
 * IN_TRANSIT (a ship-to-store transfer on its way to the pickup store) or READY_FOR_PICKUP, then
 * PICKED_UP or PICKUP_EXPIRED. REJECTED, SHORT_PICKED and TIMED_OUT groups were rerouted into new
 * groups; CANCELLED ones ended with their order.
 */
export const GROUP_STATUSES = [
  'PENDING',
  'REQUESTED',
  'ACCEPTED',
  'SHIPPED',
  'IN_TRANSIT',
  'READY_FOR_PICKUP',
  'PICKED_UP',
  'PICKUP_EXPIRED',
  'REJECTED',
  'SHORT_PICKED',
  'TIMED_OUT',
  'CANCELLED',
] as const;
export type GroupStatus = (typeof GROUP_STATUSES)[number];

/** Groups a location failed (rejected, short, silent): their lines went to replacement groups. */
export const FAILED_GROUP_STATUSES: readonly GroupStatus[] = ['REJECTED', 'SHORT_PICKED', 'TIMED_OUT'];

/** Groups whose work is over, one way or another. */
export const ENDED_GROUP_STATUSES: readonly GroupStatus[] = [
  'SHIPPED',
  'PICKED_UP',
  'PICKUP_EXPIRED',
  'CANCELLED',
  ...FAILED_GROUP_STATUSES,
];

/** Units have left a location: the order can no longer be cancelled. */
export const DISPATCHED_GROUP_STATUSES: readonly GroupStatus[] = ['SHIPPED', 'IN_TRANSIT', 'PICKED_UP'];

/** One location's part of an order, as the order shows it. */
export interface OrderGroup {
  groupId: string;
  locationId: string;
  lines: { sku: string; quantity: number }[];
  status: GroupStatus;
  /** A ship-to-store transfer: the pickup store the units travel to. */
  transferTo?: string;
  carrier?: string;
  trackingNumber?: string;
  /** Why the group ended without its units reaching the customer (a rejection's reason, a timeout). */
  reason?: string;
  updatedAt: string;
}

/**
 * A line as stored: `allocations` are the units reserved for it now (they move when a group is
 * rerouted and leave when shipped or collected); `fulfilledQuantity` units reached the customer or
 * left for them; `cancelledQuantity` units could not be fulfilled.
 */
export interface OrderLine extends AllocatedLine {
  fulfilledQuantity?: number;
  cancelledQuantity?: number;
  /** Why units of the line were cancelled, the latest reason. */
  cancelReason?: string;
}

export type LineStatus =
  | 'OPEN'
  | 'IN_FULFILLMENT'
  | 'READY_FOR_PICKUP'
  | 'FULFILLED'
  | 'CANCELLED'
  | 'PARTLY_CANCELLED';

/** The prices an order was placed at (`OrderPrice` of the pricing context, without what did not apply). */
export interface OrderPricing {
  currency: string;
  pricedAt: string;
  quoteId?: string;
  lines: Omit<PricedLine, 'notApplied'>[];
  totals: { subtotal: number; discount: number; total: number };
  promotions: AppliedPromotion[];
  uses: PromotionUse[];
}

/** An order as stored; the stored record is also the source of its events. */
export interface Order {
  orderId: string;
  channel: Channel;
  /** Whose numbering `channelOrderId` belongs to: the channel, or `marketplace.<name>`. */
  channelScope: string;
  channelOrderId?: string;
  holdId?: string;
  status: OrderStatus;
  customer: Customer;
  /** The one customer the order's identifiers resolved to (the customers context). */
  customerId?: string;
  /** Why that customer: the identity rule and outcome, free of personal data. */
  customerDecision?: CustomerDecision;
  delivery: Delivery;
  lines: OrderLine[];
  /**
   * What the order costs and why: the price of each line with its discounts and trace, the totals,
   * the quote it took, and the promotion uses it counted. Kept apart from `lines`, which fulfilment
   * rewrites, so returns refund exactly what was paid for the units they take back.
   */
  pricing?: OrderPricing;
  /** What the catalog said of each product when it was sold (a return checks `finalSale`). */
  products?: Record<string, { title: string; finalSale: boolean }>;
  decision: PlacementDecision;
  /** The fulfilment groups, current and past (rerouted ones stay, with their reason). */
  groups?: OrderGroup[];
  /** Why a CANCELLED order was: a cancel request, or nothing could be fulfilled. */
  cancelCause?: 'request' | 'unfulfillable';
  createdAt: string;
  updatedAt: string;
  version: number;
  history: { status: OrderStatus; at: string }[];
}

/** The order status its lines and groups give (a cancelled order stays cancelled). */
export function derivedStatus(order: Pick<Order, 'status' | 'lines' | 'groups'>): OrderStatus {
  if (order.status === 'CANCELLED' || order.status === 'COMPLETED') return order.status;
  const groups = order.groups ?? [];
  if (groups.length === 0) return order.status;
  const settled = order.lines.every(
    (l) => (l.fulfilledQuantity ?? 0) + (l.cancelledQuantity ?? 0) >= l.quantity,
  );
  if (settled) {
    return order.lines.some((l) => (l.fulfilledQuantity ?? 0) > 0) ? 'COMPLETED' : 'CANCELLED';
  }
  const open = groups.filter((g) => !ENDED_GROUP_STATUSES.includes(g.status));
  if (open.length > 0 && open.every((g) => g.status === 'READY_FOR_PICKUP')) return 'READY_FOR_PICKUP';
  const started = groups.some(
    (g) => !['PENDING', 'REQUESTED', 'REJECTED', 'TIMED_OUT', 'CANCELLED'].includes(g.status),
  );
  return started ? 'IN_FULFILLMENT' : 'ROUTED';
}

/** A line's status: from its quantities, else from the groups that carry it. */
export function lineStatus(line: OrderLine, groups: OrderGroup[]): LineStatus {
  const cancelled = line.cancelledQuantity ?? 0;
  const fulfilled = line.fulfilledQuantity ?? 0;
  if (cancelled >= line.quantity) return 'CANCELLED';
  if (fulfilled >= line.quantity) return 'FULFILLED';
  if (fulfilled + cancelled >= line.quantity) return 'PARTLY_CANCELLED';
  const open = groups.filter(
    (g) => !ENDED_GROUP_STATUSES.includes(g.status) && g.lines.some((l) => l.sku === line.sku),
  );
  if (open.length > 0 && open.every((g) => g.status === 'READY_FOR_PICKUP')) return 'READY_FOR_PICKUP';
  return open.some((g) => g.status !== 'PENDING' && g.status !== 'REQUESTED') || fulfilled > 0
    ? 'IN_FULFILLMENT'
    : 'OPEN';
}

/** The API's view of an order: status per line and per group, and the current plan. */
export function orderView(order: Order) {
  const groups = order.groups ?? [];
  return {
    orderId: order.orderId,
    channel: order.channel,
    ...(order.channelOrderId ? { channelOrderId: order.channelOrderId } : {}),
    ...(order.holdId ? { holdId: order.holdId } : {}),
    status: order.status,
    ...(order.cancelCause ? { cancelCause: order.cancelCause } : {}),
    customer: order.customer,
    ...(order.customerId ? { customerId: order.customerId, customerDecision: order.customerDecision } : {}),
    ...(order.pricing ? { pricing: order.pricing } : {}),
    ...(order.products ? { products: order.products } : {}),
    delivery: order.delivery,
    // A cancelled order's lines are cancelled, whatever their groups had reached (nothing had left).
    lines: order.lines.map((line) => ({
      ...line,
      status: order.status === 'CANCELLED' ? ('CANCELLED' as const) : lineStatus(line, groups),
    })),
    ...(order.groups ? { groups: order.groups } : {}),
    /** The groups still in play: where each line is being fulfilled from now. */
    ...(order.groups
      ? {
          plan: groups
            .filter((g) => !['CANCELLED', ...FAILED_GROUP_STATUSES].includes(g.status))
            .map((g) => ({
              groupId: g.groupId,
              locationId: g.locationId,
              lines: g.lines,
              status: g.status,
              ...(g.transferTo ? { transferTo: g.transferTo } : {}),
            })),
        }
      : {}),
    decision: order.decision,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    history: order.history,
  };
}
