import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray tracing of the AWS SDK calls: every client the platform creates is captured, so a trace
 * shows each DynamoDB, EventBridge and Step Functions request of an invocation. Active only in
 * Lambda with tracing on (the stacks turn it on); in the embedded runtime it stays off by itself.
 */
export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'connected-commerce',
});
