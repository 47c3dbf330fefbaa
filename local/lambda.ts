import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FUNCTION_DEFAULTS } from '../shared/platform/definitions';
import { meter, meteringEnabled, runMetered } from '../shared/platform/metering';

/**
 * A handler as the embedded runtime sees it: whatever a function module exports as `handler`.
 * The event type is `unknown` because one map holds HTTP, bus, stream and schedule handlers;
 * each trigger builds the event shape Lambda would deliver.
 */
export type LocalHandler = (event: unknown, context: Context) => unknown;

/** Handlers by function definition name (`PlaceOrder`, `PublishEvents`, ...). */
export type HandlerMap = ReadonlyMap<string, LocalHandler>;

/** The account id every local ARN and event carries. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** A function's timeout when its definition sets none: the one the CDK construct gives it. */
export const DEFAULT_TIMEOUT_SECONDS = FUNCTION_DEFAULTS.timeoutSeconds;

/** A function's memory when its definition sets none: the one the CDK construct gives it. */
export const DEFAULT_MEMORY_MB = FUNCTION_DEFAULTS.memoryMb;

/** What an invocation needs to know about the function it runs. */
export interface InvocationTarget {
  name: string;
  handler: LocalHandler;
  timeoutSeconds?: number;
  memoryMb?: number;
  region: string;
}

/** Thrown when a handler runs past its function's timeout, as Lambda would report it. */
export class LambdaTimeoutError extends Error {
  constructor(functionName: string, timeoutSeconds: number) {
    super(`${functionName} timed out after ${timeoutSeconds} s`);
    this.name = 'LambdaTimeoutError';
  }
}

/** A Lambda `Context` for one invocation: request id, names and a deadline from the timeout. */
export function lambdaContext(target: InvocationTarget, deadline: number): Context {
  const arn = `arn:aws:lambda:${target.region}:${LOCAL_ACCOUNT_ID}:function:${target.name}`;
  const unsupported = () => {
    throw new Error('Callback-style completion (done/fail/succeed) is not supported: return a promise.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: target.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: String(target.memoryMb ?? DEFAULT_MEMORY_MB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${target.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Invokes a handler the way Lambda does: a fresh context, the result awaited, and a timeout that
 * fails the invocation (the handler's promise keeps running, as a frozen Lambda sandbox would not,
 * but its result is ignored).
 */
export async function invoke(target: InvocationTarget, event: unknown): Promise<unknown> {
  const timeoutSeconds = target.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const deadline = Date.now() + timeoutSeconds * 1000;
  const context = lambdaContext(target, deadline);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LambdaTimeoutError(target.name, timeoutSeconds)),
      timeoutSeconds * 1000,
    );
  });
  try {
    // Promise.resolve().then() turns a synchronous throw into a rejection like an async handler's.
    return await Promise.race([
      Promise.resolve().then(() => runMetered(target.name, () => target.handler(event, context))),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    if (meteringEnabled()) meter.invocation(target.name, Date.now() - (deadline - timeoutSeconds * 1000));
  }
}
