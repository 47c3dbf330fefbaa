import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { routeOrder } from '../../shared/fulfillment/use-cases/routing';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/** Task `RouteOrder` of the fulfilment workflow: the order's groups and why (FulfillmentRouted). */
export const handler = workflowTask(z.object({ orderId: z.string().min(1) }), ({ orderId }) =>
  routeOrder(ports, orderId),
);
