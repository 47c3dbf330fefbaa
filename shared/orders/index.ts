/** The orders context as other contexts see it: the only module they may import from here. */
export { makeOrderPorts, runtimeOrderPorts, runtimeOrderQueryPorts } from './adapters/runtime';
export { orders } from './definition';
export type { Order, OrderStatus } from './domain/order';
export { orderEvents } from './events';
export { type Customer, customerSchema, type OrderInput, orderInputSchema } from './schemas';
