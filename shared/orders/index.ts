/** The orders context as other contexts see it: the only module they may import from here. */

export { OrderStore } from './adapters/order-store';
export { makeOrderPorts, runtimeOrderPorts, runtimeOrderQueryPorts } from './adapters/runtime';
export { orders, ordersTable } from './definition';
export {
  DISPATCHED_GROUP_STATUSES,
  derivedStatus,
  ENDED_GROUP_STATUSES,
  FAILED_GROUP_STATUSES,
  type GroupStatus,
  type Order,
  type OrderGroup,
  type OrderLine,
  type OrderStatus,
  orderView,
} from './domain/order';
export { ORDERS_TABLE_KEY } from './domain/record-events';
export { orderEvents } from './events';
export { type Customer, customerSchema, type OrderInput, orderInputSchema } from './schemas';
export type { OrderRepository, OrderUpdate } from './use-cases/ports';
