/**
 * Values the CDK constructs give the AWS resources, which the embedded runtime must match so a
 * handler meets the same limits and retries on one machine as on AWS. They are written here, once,
 * until the shared definitions carry them; then each constant below is replaced by the definitions
 * field named in its comment, and CDK and this runtime read the same value.
 */

/**
 * A function's timeout and memory when its definition sets none: `cdk/constructs/commerce-function.ts`
 * (`definition.timeoutSeconds ?? 10`, `definition.memoryMb ?? 512`).
 * To become a definitions export, e.g. `FUNCTION_DEFAULTS = { timeoutSeconds: 10, memoryMb: 512 }`.
 */
export const FUNCTION_DEFAULTS = { timeoutSeconds: 10, memoryMb: 512 } as const;

/**
 * A bus rule's function target: `cdk/constructs/event-rules.ts`. EventBridge retries a delivery it
 * could not hand to Lambda (`DELIVERY_RETRY.retryAttempts`, 8); Lambda's asynchronous invocation then
 * retries a handler that failed (`HANDLER_RETRY.retryAttempts`, 2) before the event goes to the
 * failure queue. To become definitions fields, e.g. `BUS_TARGET_RETRY = { deliveryRetryAttempts: 8,
 * handlerRetryAttempts: 2 }`.
 */
export const BUS_TARGET_RETRY = { deliveryRetryAttempts: 8, handlerRetryAttempts: 2 } as const;

/**
 * The stream event source mapping: `cdk/constructs/stream-subscriptions.ts` (`retryAttempts: 10`,
 * `maxRecordAge: 24 h`). To become a definitions field, e.g. `STREAM_RETRY = { retryAttempts: 10,
 * maxRecordAgeSeconds: 86_400 }`. (DynamoDB Local keeps stream records 24 h as well.)
 */
export const STREAM_RETRY = { retryAttempts: 10, maxRecordAgeSeconds: 86_400 } as const;

/**
 * API Gateway's REST integration timeout (29 s, the service default the API stack keeps): a Lambda
 * running longer gets the caller a 504 while the function carries on.
 */
export const API_INTEGRATION_TIMEOUT_MS = 29_000;
