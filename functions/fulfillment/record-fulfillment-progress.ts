import { z } from 'zod';
import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { recordProgress } from '../../shared/fulfillment/use-cases/progress';
import { workflowTask } from '../../shared/platform/workflow-task';

const ports = runtimeFulfilmentPorts();

/** Tasks `RecordAcceptance`, `RecordDispatch`, `RecordArrival`, `RecordCollection` and `ExpirePickup`. */
export const handler = workflowTask(
  z.object({
    orderId: z.string().min(1),
    groupId: z.string().min(1),
    step: z.enum(['accepted', 'dispatched', 'arrived', 'collected', 'pickupExpired']),
    answer: z
      .object({
        action: z.enum(['accept', 'ship', 'readyForPickup', 'collected']).optional(),
        carrier: z.string().optional(),
        trackingNumber: z.string().optional(),
      })
      .optional(),
  }),
  (input) => recordProgress(ports, input),
);
