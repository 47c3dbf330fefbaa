import { runtimeOrderQueryPorts } from '../../shared/orders/adapters/runtime';
import { orderRoutes } from '../../shared/orders/definition';
import { getOrder } from '../../shared/orders/use-cases/orders';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeOrderQueryPorts();

/** GET /orders/{orderId}: a channel sees only its own orders; ops sees all. */
export const handler = httpApi(orderRoutes.getOrder, async ({ principal, params }) => ({
  statusCode: 200,
  body: await getOrder(ports, principal, params.orderId),
}));
