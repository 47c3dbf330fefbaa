import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { STEPS } from '../../shared/fulfillment/domain/group';
import { askLocation } from '../../shared/fulfillment/use-cases/progress';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/**
 * The callback tasks of the group workflow (`.waitForTaskToken`): the step goes into the acting
 * location's work list with the task token; the location API completes the task.
 */
export const handler = workflowTask(
  z.object({
    taskToken: z.string().min(1),
    orderId: z.string().min(1),
    groupId: z.string().min(1),
    step: z.enum(STEPS as [string, ...string[]]).transform((s) => s as (typeof STEPS)[number]),
  }),
  (input) => askLocation(ports, input),
);
