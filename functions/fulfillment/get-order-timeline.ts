import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { orderTimeline } from '../../shared/fulfillment/use-cases/timeline';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfilmentPorts(['order', 'group']);

/** GET /orders/{orderId}/timeline: events, routing decisions and workflow steps, in order. */
export const handler = httpApi(fulfillmentRoutes.getOrderTimeline, async ({ principal, params }) => ({
  statusCode: 200,
  body: await orderTimeline(ports, principal, params.orderId),
}));
