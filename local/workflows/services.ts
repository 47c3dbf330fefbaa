import type { FunctionDefinition } from '../../shared/platform/definitions';
import { type HandlerMap, invoke, LambdaTimeoutError, LOCAL_ACCOUNT_ID } from '../lambda';
import type { CallService } from './runner';

/**
 * What a workflow's Task states call, on this machine: the same handlers the API and the bus
 * invoke (through `invoke()`, so timeouts and metering are those of every other trigger), reached
 * the way Step Functions reaches Lambda:
 * - `Resource` is a function ARN (the optimized integration's short form): the state's parameters
 *   are the event, the function's return value is the result;
 * - `arn:aws:states:::lambda:invoke` (the runner strips `.waitForTaskToken` before it calls here),
 *   Parameters `{FunctionName, Payload}`: the result is the Lambda Invoke answer,
 *   `{StatusCode: 200, Payload, ExecutedVersion: '$LATEST'}`.
 * A handler's error reaches the state machine under the name Lambda reports as its `errorType`
 * (the error's `name`), so `Retry` and `Catch` match by name as on AWS.
 */

/** The Step Functions service ARN of the Lambda Invoke integration. */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** The Step Functions integration that starts a child execution: the runner's own business. */
const START_EXECUTION = 'arn:aws:states:::states:startExecution';

/** The ARN a local function has: what the stack puts in a workflow's function placeholders. */
export const localFunctionArn = (region: string, name: string): string =>
  `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${name}`;

/** A Task failure as Step Functions sees it: `Error` is the error's name, `Cause` its message. */
export class ServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface LocalServicesOptions {
  /** The functions that exist (their timeouts and memory); a name not here is not found. */
  functions: readonly FunctionDefinition[];
  /** The loaded handlers, by function name; read per call, so it may be filled after this is built. */
  handlers: HandlerMap;
  region: string;
}

/**
 * The `callService` a {@link WorkflowRunner} uses in the embedded runtime: Lambda function ARNs and
 * `lambda:invoke` to the loaded handlers; any other resource is a `States.Runtime` error naming it.
 */
export function localServices(options: LocalServicesOptions): CallService {
  const definitions = new Map(options.functions.map((fn) => [fn.name, fn]));

  /** The function a name, a partial ARN or a full ARN (with or without a qualifier) designates. */
  const resolve = (reference: string): string => {
    const arn = /^(?:arn:aws:lambda:([^:]+):)?(?:(\d{12}):function:)?([A-Za-z0-9_-]+)(?::[^:]+)?$/.exec(
      reference,
    );
    const [, region, account, name] = arn ?? [];
    // Another account or region is another function, which this machine does not have: found by
    // name it would silently run a local handler for a definition that meant something else.
    if (
      !name ||
      (region !== undefined && region !== options.region) ||
      (account !== undefined && account !== LOCAL_ACCOUNT_ID) ||
      !definitions.has(name)
    ) {
      throw new ServiceError('Lambda.ResourceNotFoundException', `Function not found: ${reference}`);
    }
    return name;
  };

  const call = async (name: string, event: unknown): Promise<unknown> => {
    const definition = definitions.get(name);
    const handler = options.handlers.get(name);
    if (!definition || !handler) {
      throw new ServiceError('Lambda.ResourceNotFoundException', `Function not found: ${name}`);
    }
    let result: unknown;
    try {
      // Lambda hands the function a JSON document and returns one: no shared objects with the
      // interpreter, no `undefined`, dates as strings.
      result = await invoke(
        {
          name,
          handler,
          timeoutSeconds: definition.timeoutSeconds,
          memoryMb: definition.memoryMb,
          region: options.region,
        },
        asJson(event),
      );
    } catch (error) {
      throw lambdaError(error);
    }
    return asJson(result);
  };

  return async (resource, parameters) => {
    if (resource.startsWith('arn:aws:lambda:')) return call(resolve(resource), parameters);
    if (resource === LAMBDA_INVOKE) {
      const { FunctionName, Payload } = (parameters ?? {}) as { FunctionName?: unknown; Payload?: unknown };
      if (typeof FunctionName !== 'string') {
        throw new ServiceError('States.Runtime', `${LAMBDA_INVOKE} needs Parameters.FunctionName`);
      }
      // Our definitions always give a Payload; without one the function gets an empty object.
      const payload = await call(resolve(FunctionName), Payload ?? {});
      return { StatusCode: 200, Payload: payload, ExecutedVersion: '$LATEST' };
    }
    if (resource.startsWith(START_EXECUTION)) {
      throw new ServiceError(
        'States.Runtime',
        `${resource} is run by the workflow runner itself (child executions), not by the local services`,
      );
    }
    throw new ServiceError(
      'States.Runtime',
      `The local runtime does not serve the Task resource ${resource}`,
    );
  };
}

/** A JSON round trip, as Lambda's invoke API makes of an event and a result (`undefined` → null). */
function asJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/**
 * The error Step Functions reports for a failed invocation: the handler error's `name` (Lambda's
 * `errorType`) and message; a function that runs out of time is `Lambda.Unknown`, as the Step
 * Functions guide documents for timeouts.
 */
function lambdaError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof LambdaTimeoutError) return new ServiceError('Lambda.Unknown', error.message);
  if (error instanceof Error) return new ServiceError(error.name || 'Error', error.message);
  return new ServiceError('Error', String(error));
}
