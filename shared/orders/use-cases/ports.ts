import type { CatalogRepository } from '../../catalog';
import type { Resolution, ResolveCustomerCommand } from '../../customers';
import type { StockReservations } from '../../inventory';
import type { CancelledTransaction, TransactItem } from '../../platform/dynamodb';
import type { IdempotencyRepository } from '../../platform/idempotency/store';
import type { Channel } from '../../platform/principals';
import type { OrderPricing } from '../../pricing';
import type { Order } from '../domain/order';

/** What the order use cases need from storage; the DynamoDB adapter implements it. */
export interface OrderRepository {
  createOp(order: Order): TransactItem;
  /** Claims a channel order id for one order; fails the transaction when another has it. */
  channelOrderGuardOp(scope: string, channelOrderId: string, orderId: string): TransactItem;
  transitionOp(order: Order, to: Order['status'], now: string): TransactItem;
  /** Status, lines and groups as fulfilment or a cancel leave them; conditional on the version read. */
  updateOp(order: Order, next: OrderUpdate, now: string): TransactItem;
  get(orderId: string): Promise<Order | undefined>;
  findByChannelOrderId(channelOrderId: string, channel?: string): Promise<Order[]>;
}

/** What fulfilment or a cancel writes on an order. */
export type OrderUpdate = Pick<Order, 'status' | 'lines'> &
  Partial<Pick<Order, 'groups' | 'cancelCause' | 'decision'>>;

/** The customers context as the intake uses it. */
export interface CustomerIdentity {
  /** Resolves the order's identifiers to one customer; the same `orderId` again gets the same answer. */
  resolve(command: ResolveCustomerCommand): Promise<Resolution>;
  /** The link of an order to its customer, to commit in the order's transaction. */
  linkOp(customerId: string, orderId: string, channel: Channel, at: string): TransactItem;
}

/** Reading orders needs only the orders table. */
export interface OrderQueryPorts {
  orders: OrderRepository;
}

/** Cancelling: the order, the stock it holds and the promotion uses it counted, in one transaction. */
export interface CancelPorts extends OrderQueryPorts {
  stock: Pick<StockReservations, 'releaseOps'>;
  pricing: Pick<OrderPricing, 'releaseUsageOps'>;
  transact(items: TransactItem[]): Promise<{ kind: 'committed' } | CancelledTransaction>;
  now(): string;
}

/** Placing and cancelling orders: the orders table, the inventory pool, one transaction for both. */
export interface OrderPorts extends OrderQueryPorts {
  orderKeys: IdempotencyRepository;
  /** The catalog, read to refuse lines the channel may not sell. */
  catalog: CatalogRepository;
  /** Who the order's customer is, and the link of the order to them (the customers context). */
  customers: CustomerIdentity;
  /** What the order costs, and the promotion uses to count in its transaction (the pricing context). */
  pricing: OrderPricing;
  stock: StockReservations;
  transact(items: TransactItem[]): Promise<{ kind: 'committed' } | CancelledTransaction>;
  now(): string;
  newId(prefix: string): string;
}
