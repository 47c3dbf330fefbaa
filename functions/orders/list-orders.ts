import { runtimeOrderQueryPorts } from '../../shared/orders/adapters/runtime';
import { orderRoutes } from '../../shared/orders/definition';
import { listOrdersByChannelOrderId } from '../../shared/orders/use-cases/orders';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeOrderQueryPorts();

/** GET /orders?channelOrderId=…: a channel sees only its own orders; ops sees all. */
export const handler = httpApi(orderRoutes.listOrders, async ({ principal, query }) => ({
  statusCode: 200,
  body: await listOrdersByChannelOrderId(ports, principal, query.channelOrderId),
}));
