import type { EventBridgeEvent } from 'aws-lambda';
import { StepFunctionsWorkflows, workflowArnsFromEnv } from '../../shared/fulfillment/adapters/workflows';
import { startFulfillment } from '../../shared/fulfillment/use-cases/lifecycle';
import { stepFunctionsClient } from '../../shared/platform/clients';

const workflows = new StepFunctionsWorkflows(stepFunctionsClient(), workflowArnsFromEnv(['order']));

/** `OrderCreated` (rule FulfilNewOrders): the order's fulfilment execution, named after the order. */
export const handler = (event: EventBridgeEvent<'OrderCreated', { data: { orderId: string } }>) =>
  startFulfillment({ workflows }, event.detail.data.orderId);
