import type { Channel } from '../infra/definitions';
import type { Customer, Delivery } from './schemas';
import type { AllocatedLine, SourcingDecision } from './sourcing';

export type OrderStatus = 'CREATED' | 'CANCELLED';

/** An order as stored; the stored record is also the source of OrderCreated / OrderCancelled. */
export interface Order {
  orderId: string;
  channel: Channel;
  /** Whose numbering `channelOrderId` belongs to: the channel, or `marketplace.<name>`. */
  channelScope: string;
  channelOrderId?: string;
  reservationId?: string;
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
    ...(order.reservationId ? { reservationId: order.reservationId } : {}),
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
