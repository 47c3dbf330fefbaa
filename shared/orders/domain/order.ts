import type { AllocatedLine, Delivery, SourcingDecision } from '../../inventory';
import type { Channel } from '../../platform/principals';
import type { Customer } from '../schemas';

export type OrderStatus = 'CREATED' | 'CANCELLED';

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
