import { runtimeCancelPorts } from '../../shared/orders/adapters/runtime';
import { orderRoutes } from '../../shared/orders/definition';
import { cancelOrder } from '../../shared/orders/use-cases/orders';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCancelPorts();

/** POST /orders/{orderId}/cancel: releases what the order holds; cancelling twice is a no-op. */
export const handler = httpApi(orderRoutes.cancelOrder, async ({ principal, params }) => ({
  statusCode: 200,
  body: await cancelOrder(ports, principal, params.orderId),
}));
