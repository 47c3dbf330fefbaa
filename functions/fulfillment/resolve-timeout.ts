import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { resolveTimeout } from '../../shared/fulfillment/use-cases/progress';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/** Task `ResolveTimeout` of the group workflow: a wait ran out; the location's late answer, or the lapse. */
export const handler = workflowTask(
  z.object({ orderId: z.string().min(1), groupId: z.string().min(1) }),
  (input) => resolveTimeout(ports, input),
);
