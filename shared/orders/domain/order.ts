import type { AllocatedLine, Delivery, SourcingDecision } from '../../inventory';
import type { Channel } from '../../platform/principals';
import type { Customer } from '../schemas';

/**
 * The order's life. Fulfillment moves it forward; the intake creates it; cancel is allowed only
 * while no location has started work on it (once picked, it is a return, not a cancel).
 */
export const ORDER_STATUSES = [
  'CREATED',
  'ROUTED',
  'IN_FULFILLMENT',
  'SHIPPED',
  'READY_FOR_PICKUP',
  'COMPLETED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Which status may follow which; anything else is refused. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  CREATED: ['ROUTED', 'CANCELLED'],
  ROUTED: ['IN_FULFILLMENT', 'CREATED', 'CANCELLED'],
  IN_FULFILLMENT: ['SHIPPED', 'READY_FOR_PICKUP', 'ROUTED'],
  SHIPPED: ['COMPLETED'],
  READY_FOR_PICKUP: ['COMPLETED', 'ROUTED'],
  COMPLETED: [],
  CANCELLED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus): boolean =>
  ORDER_TRANSITIONS[from].includes(to);

/** An order as stored; the stored record is also the source of OrderCreated / OrderCancelled. */
export interface Order {
  orderId: string;
  channel: Channel;
  /** Whose numbering `channelOrderId` belongs to: the channel, or `marketplace.<name>`. */
  channelScope: string;
  channelOrderId?: string;
  holdId?: string;
  status: OrderStatus;
  customer: Customer;
  delivery: Delivery;
  lines: AllocatedLine[];
  decision: SourcingDecision;
  createdAt: string;
  updatedAt: string;
  version: number;
  history: { status: OrderStatus; at: string }[];
}

/** The API's view of an order. */
export function orderView(order: Order) {
  return {
    orderId: order.orderId,
    channel: order.channel,
    ...(order.channelOrderId ? { channelOrderId: order.channelOrderId } : {}),
    ...(order.holdId ? { holdId: order.holdId } : {}),
    status: order.status,
    customer: order.customer,
    delivery: order.delivery,
    lines: order.lines,
    decision: order.decision,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    history: order.history,
  };
}
