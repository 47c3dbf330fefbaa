import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { abandonGroup } from '../../shared/fulfillment/use-cases/progress';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/** Task `AbandonGroup` of the order workflow: a group's execution failed; what it holds goes back. */
export const handler = workflowTask(
  z.object({
    orderId: z.string().min(1),
    groupId: z.string().min(1),
    error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
  (input) => abandonGroup(ports, input),
);
