import { runtimeRoutingPlanner } from '../../shared/fulfillment';
import { runtimeOrderPorts } from '../../shared/orders/adapters/runtime';
import { orderRoutes } from '../../shared/orders/definition';
import { placeOrder } from '../../shared/orders/use-cases/orders';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeOrderPorts({ planner: runtimeRoutingPlanner() });

/** POST /orders (channel): the one order intake; `Idempotency-Key` header required. */
export const handler = httpApi(orderRoutes.placeOrder, async ({ channel, body, headers }) => {
  const result = await placeOrder(ports, {
    channel,
    scope: channel,
    idempotencyKey: headers['Idempotency-Key'],
    idempotencyKeyPath: 'headers.Idempotency-Key',
    input: body,
  });
  return {
    statusCode: result.statusCode,
    body: result.body,
    headers: { 'idempotent-replayed': String(result.replayed) },
  };
});
