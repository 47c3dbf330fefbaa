import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { rerouteGroup } from '../../shared/fulfillment/use-cases/routing';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/** Task `RerouteGroup`: the failed group's units go back and its lines go to other locations. */
export const handler = workflowTask(
  z.object({
    orderId: z.string().min(1),
    groupId: z.string().min(1),
    failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
  }),
  (input) => rerouteGroup(ports, input),
);
