import { randomUUID } from 'node:crypto';
import type { LocalEndpoint, LocalRequest, LocalResponse } from '../http-server';
import { StatesError, type WorkflowRunner } from './runner';
import type { ExecutionStatus } from './store';

/**
 * The local runner as a Step Functions endpoint: the AWS JSON 1.0 protocol at `/_aws/states`, so
 * `@aws-sdk/client-sfn` (the location API's callbacks, the order cancel) and
 * `aws stepfunctions … --endpoint-url http://localhost:3000/_aws/states` work against the local
 * stack as they do against AWS. Errors come back as AWS sends them: 400 with `__type`.
 */
export const STATES_PATH = '/_aws/states';

const epochSeconds = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);

type Body = Record<string, unknown>;
type Operation = (runner: WorkflowRunner, body: Body) => Promise<Body>;

const text = (body: Body, field: string, required = true): string => {
  const value = body[field];
  if (value === undefined && !required) return '';
  if (typeof value !== 'string' || value.length === 0) {
    throw new StatesError('ValidationException', `${field} is required and must be a string`);
  }
  return value;
};

const summary = (e: {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
}) => ({
  executionArn: e.executionArn,
  stateMachineArn: e.stateMachineArn,
  name: e.name,
  status: e.status,
  startDate: epochSeconds(e.startDate),
  ...(e.stopDate ? { stopDate: epochSeconds(e.stopDate) } : {}),
});

const operations: Record<string, Operation> = {
  async StartExecution(runner, body) {
    const started = await runner.startExecution({
      stateMachineArn: text(body, 'stateMachineArn'),
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      ...(typeof body.input === 'string' ? { input: body.input } : {}),
    });
    return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
  },
  async DescribeExecution(runner, body) {
    const e = await runner.describeExecution(text(body, 'executionArn'));
    return {
      ...summary(e),
      input: e.input,
      ...(e.output !== undefined ? { output: e.output } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  },
  async ListExecutions(runner, body) {
    const status = typeof body.statusFilter === 'string' ? (body.statusFilter as ExecutionStatus) : undefined;
    const all = await runner.listExecutions(text(body, 'stateMachineArn'), status);
    const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100;
    const from = typeof body.nextToken === 'string' ? Number(body.nextToken) : 0;
    const page = all.slice(from, from + max);
    return {
      executions: page.map(summary),
      ...(from + max < all.length ? { nextToken: String(from + max) } : {}),
    };
  },
  async GetExecutionHistory(runner, body) {
    const events = await runner.getExecutionHistory(text(body, 'executionArn'));
    const ordered = body.reverseOrder === true ? [...events].reverse() : events;
    return {
      events: ordered.map((e) => ({
        id: e.id,
        previousEventId: e.id - 1,
        timestamp: epochSeconds(e.timestamp),
        type: e.type,
        ...(e.details ? { details: e.details } : {}),
      })),
    };
  },
  async StopExecution(runner, body) {
    const stopped = await runner.stopExecution(
      text(body, 'executionArn'),
      typeof body.error === 'string' ? body.error : undefined,
      typeof body.cause === 'string' ? body.cause : undefined,
    );
    return { stopDate: epochSeconds(stopped.stopDate) };
  },
  async SendTaskSuccess(runner, body) {
    await runner.sendTaskSuccess(text(body, 'taskToken'), text(body, 'output'));
    return {};
  },
  async SendTaskFailure(runner, body) {
    await runner.sendTaskFailure(
      text(body, 'taskToken'),
      typeof body.error === 'string' ? body.error : undefined,
      typeof body.cause === 'string' ? body.cause : undefined,
    );
    return {};
  },
  async SendTaskHeartbeat(runner, body) {
    await runner.sendTaskHeartbeat(text(body, 'taskToken'));
    return {};
  },
};

const respond = (statusCode: number, body: Body, type?: string): LocalResponse => ({
  statusCode,
  headers: {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
    ...(type ? { 'x-amzn-errortype': type } : {}),
  },
  body: JSON.stringify(body),
});

export async function handleStatesRequest(
  runner: WorkflowRunner,
  request: Pick<LocalRequest, 'headers' | 'body'>,
) {
  const target = String(request.headers['x-amz-target'] ?? '');
  const name = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  const operation = operations[name];
  if (!operation) {
    return respond(
      400,
      { __type: 'UnknownOperationException', message: `Not implemented locally: ${target}` },
      'UnknownOperationException',
    );
  }
  let body: Body;
  try {
    body = JSON.parse(request.body.toString('utf8') || '{}') as Body;
  } catch {
    return respond(
      400,
      { __type: 'SerializationException', message: 'The request body is not valid JSON' },
      'SerializationException',
    );
  }
  try {
    return respond(200, await operation(runner, body));
  } catch (error) {
    if (error instanceof StatesError)
      return respond(400, { __type: error.code, message: error.message }, error.code);
    // A fault of the runner (its table unreachable) answers as AWS does: 500, which the SDK retries.
    return respond(500, { __type: 'InternalFailure', message: (error as Error).message }, 'InternalFailure');
  }
}

export const statesEndpoints = (runner: WorkflowRunner): LocalEndpoint[] =>
  [STATES_PATH, `${STATES_PATH}/`].map((path) => ({
    method: 'POST',
    path,
    handle: (request) => handleStatesRequest(runner, request),
  }));
