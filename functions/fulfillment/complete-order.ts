import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { completeOrder } from '../../shared/fulfillment/use-cases/progress';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/** Task `CompleteOrder` of the fulfilment workflow: every group ended; the order's final status. */
export const handler = workflowTask(z.object({ orderId: z.string().min(1) }), ({ orderId }) =>
  completeOrder(ports, orderId),
);
