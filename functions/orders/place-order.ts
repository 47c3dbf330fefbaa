import { runtimeRoutingPlanner } from '../../shared/fulfillment';
import { runtimeOrderPorts } from '../../shared/orders/adapters/runtime';
import { orderRoutes } from '../../shared/orders/definition';
import { placeOrder } from '../../shared/orders/use-cases/orders';
import { DomainError } from '../../shared/platform/errors';
import { httpApi } from '../../shared/platform/http';
import { BUSINESS_METRICS, countMetric } from '../../shared/platform/metrics';

const ports = runtimeOrderPorts({ planner: runtimeRoutingPlanner() });

/** POST /orders (channel): the one order intake; `Idempotency-Key` header required. */
export const handler = httpApi(orderRoutes.placeOrder, async ({ channel, body, headers }) => {
  const result = await placeOrder(ports, {
    channel,
    scope: channel,
    idempotencyKey: headers['Idempotency-Key'],
    idempotencyKeyPath: 'headers.Idempotency-Key',
    input: body,
  }).catch((error: unknown) => {
    if (error instanceof DomainError && error.code === 'INSUFFICIENT_STOCK') {
      countMetric(BUSINESS_METRICS.insufficientStock, 1, channel);
    }
    throw error;
  });
  countMetric(
    result.replayed ? BUSINESS_METRICS.idempotentReplays : BUSINESS_METRICS.ordersPlaced,
    1,
    channel,
  );
  return {
    statusCode: result.statusCode,
    body: result.body,
    headers: { 'idempotent-replayed': String(result.replayed) },
  };
});
