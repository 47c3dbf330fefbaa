import { randomUUID } from 'node:crypto';
import type { FunctionDefinition } from '../shared/platform/definitions';
import { LOCAL_CREDENTIALS, signingKeyId } from './dynamodb';
import type { LocalEndpoint, LocalResponse } from './http-server';
import { type HandlerMap, invoke } from './lambda';
import { describeError } from './log';

/** Where the runtime speaks Lambda's Invoke API (`LambdaClient` with this endpoint). */
export const LAMBDA_PATH = '/_aws/lambda';

/**
 * Lambda's `Invoke` (request-response) for the embedded runtime's functions, as the real SDK client
 * calls it: `POST <endpoint>/2015-03-31/functions/<name>/invocations` with the event as the body.
 * What an operator does on AWS from the console's Test tab or with `aws lambda invoke` to replay a
 * stream batch the publisher gave up on (`npm run replay-stream-failures`): only the stream
 * consumers are served, so no route handler can be called around the API's authorizer with a
 * principal of the caller's making.
 *
 * The answer is Lambda's: 200 with the function's result; a handler that threw or timed out is
 * still 200, with `X-Amz-Function-Error: Unhandled` and `{errorType, errorMessage}`; an unknown
 * function 404 `ResourceNotFoundException`. Only the system's own credentials may invoke (the
 * access key id of the SigV4 signature, as the local bus tells publishers apart), as on AWS only
 * roles granted `lambda:InvokeFunction` may.
 */
export function lambdaEndpoints(options: {
  functions: readonly FunctionDefinition[];
  handlers: HandlerMap;
  region: string;
}): LocalEndpoint[] {
  const error = (statusCode: number, type: string, message: string): LocalResponse => ({
    statusCode,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ Type: 'User', message }),
  });
  return options.functions
    .filter((definition) => definition.trigger.kind === 'stream')
    .map((definition) => ({
      method: 'POST',
      path: `${LAMBDA_PATH}/2015-03-31/functions/${definition.name}/invocations`,
      handle: async (request) => {
        const keyId = signingKeyId(request.headers.authorization);
        if (keyId !== LOCAL_CREDENTIALS.accessKeyId) {
          return error(
            403,
            'AccessDeniedException',
            `${keyId ? `Access key ${keyId}` : 'An unsigned caller'} is not authorized to perform lambda:InvokeFunction on ${definition.name}`,
          );
        }
        const invocationType = request.headers['x-amz-invocation-type'] ?? 'RequestResponse';
        if (invocationType !== 'RequestResponse') {
          return error(
            400,
            'InvalidParameterValueException',
            'The local runtime invokes RequestResponse only',
          );
        }
        let event: unknown;
        try {
          const text = request.body.toString('utf8');
          event = text === '' ? {} : JSON.parse(text);
        } catch {
          return error(400, 'InvalidRequestContentException', 'Could not parse request body into json');
        }
        const handler = options.handlers.get(definition.name);
        if (!handler)
          return error(404, 'ResourceNotFoundException', `Function not loaded: ${definition.name}`);
        const headers = {
          'content-type': 'application/json',
          'x-amz-executed-version': '$LATEST',
          'x-amzn-requestid': randomUUID(),
        };
        try {
          const result = await invoke(
            {
              name: definition.name,
              handler,
              timeoutSeconds: definition.timeoutSeconds,
              memoryMb: definition.memoryMb,
              region: options.region,
            },
            event,
          );
          return { statusCode: 200, headers, body: result === undefined ? 'null' : JSON.stringify(result) };
        } catch (caught) {
          const failure = caught instanceof Error ? caught : new Error(describeError(caught));
          return {
            statusCode: 200,
            headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
            body: JSON.stringify({ errorType: failure.name, errorMessage: failure.message }),
          };
        }
      },
    }));
}
