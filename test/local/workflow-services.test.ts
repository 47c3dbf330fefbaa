import type { LocalHandler } from '../../local/lambda';
import type { CallService } from '../../local/workflows/runner';
import { LAMBDA_INVOKE, localFunctionArn, localServices } from '../../local/workflows/services';
import type { FunctionDefinition } from '../../shared/platform/definitions';
import { recorder } from './support';

/**
 * The Task services of the embedded runtime: a workflow's Lambda tasks reach the same handlers as
 * the API and the bus, with what Step Functions gives and gets back, and the errors it reports.
 */

const definition = (name: string, timeoutSeconds?: number): FunctionDefinition => ({
  name,
  entry: `functions/test/${name}.ts`,
  description: name,
  trigger: { kind: 'workflow', workflow: 'Test' },
  reads: [],
  writes: [],
  putsEvents: false,
  ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
});

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const context = { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:Test:x', state: 'Go' };

describe('the local Task services', () => {
  const route = recorder<{ orderId: string; at?: unknown }>(({ orderId }) => ({
    groups: [{ orderId }],
    ignored: undefined,
  }));
  const silent = recorder(() => undefined);
  const handlers = new Map<string, LocalHandler>([
    ['RouteOrder', route],
    ['Silent', silent],
    [
      'Cancelled',
      async () => {
        throw new NamedError('OrderCancelled', 'the customer cancelled');
      },
    ],
    [
      'Plain',
      () => {
        throw new Error('plain failure');
      },
    ],
    ['Slow', () => new Promise((done) => setTimeout(done, 300))],
  ]);
  let call: CallService;

  beforeAll(() => {
    call = localServices({
      functions: [
        definition('RouteOrder'),
        definition('Silent'),
        definition('Cancelled'),
        definition('Plain'),
        definition('Slow', 0.05),
        definition('NotLoaded'),
      ],
      handlers,
      region: 'us-east-1',
    });
  });

  it('invokes a function ARN with the parameters as the event, its return value the result', async () => {
    const parameters = { orderId: 'ord-1' };

    const result = await call(localFunctionArn('us-east-1', 'RouteOrder'), parameters, context);

    // A JSON round trip, as Lambda makes: no undefined fields, no shared objects.
    expect(result).toEqual({ groups: [{ orderId: 'ord-1' }] });
    expect(Object.keys(result as object)).toEqual(['groups']);
    const [invocation] = route.calls.slice(-1);
    expect(invocation?.event).toEqual(parameters);
    expect(invocation?.event).not.toBe(parameters);
    expect(invocation?.context.functionName).toBe('RouteOrder');
    expect(invocation?.context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('answers lambda:invoke by name, ARN or qualified ARN with the Lambda Invoke answer', async () => {
    for (const FunctionName of [
      'RouteOrder',
      'arn:aws:lambda:us-east-1:000000000000:function:RouteOrder',
      'arn:aws:lambda:us-east-1:000000000000:function:RouteOrder:$LATEST',
    ]) {
      await expect(
        call(LAMBDA_INVOKE, { FunctionName, Payload: { orderId: 'ord-2' } }, context),
      ).resolves.toEqual({
        StatusCode: 200,
        Payload: { groups: [{ orderId: 'ord-2' }] },
        ExecutedVersion: '$LATEST',
      });
    }
    await expect(call(LAMBDA_INVOKE, { FunctionName: 'Silent', Payload: {} }, context)).resolves.toEqual({
      StatusCode: 200,
      Payload: null,
      ExecutedVersion: '$LATEST',
    });
  });

  it("fails with the handler error's name and message, as Lambda reports errorType and message", async () => {
    await expect(call(localFunctionArn('us-east-1', 'Cancelled'), {}, context)).rejects.toMatchObject({
      name: 'OrderCancelled',
      message: 'the customer cancelled',
    });
    await expect(
      call(LAMBDA_INVOKE, { FunctionName: 'Cancelled', Payload: {} }, context),
    ).rejects.toMatchObject({ name: 'OrderCancelled' });
    await expect(call(localFunctionArn('us-east-1', 'Plain'), {}, context)).rejects.toMatchObject({
      name: 'Error',
      message: 'plain failure',
    });
    // A function past its timeout: what the Step Functions guide documents for Lambda timeouts.
    await expect(call(localFunctionArn('us-east-1', 'Slow'), {}, context)).rejects.toMatchObject({
      name: 'Lambda.Unknown',
    });
  });

  it('does not find a function that is not here: unknown, not loaded, or in another account or region', async () => {
    for (const resource of [
      localFunctionArn('us-east-1', 'NoSuchFunction'),
      localFunctionArn('us-east-1', 'NotLoaded'),
      localFunctionArn('eu-west-1', 'RouteOrder'),
      'arn:aws:lambda:us-east-1:123456789012:function:RouteOrder',
    ]) {
      await expect(call(resource, {}, context)).rejects.toMatchObject({
        name: 'Lambda.ResourceNotFoundException',
      });
    }
    await expect(
      call(LAMBDA_INVOKE, { FunctionName: 'NoSuchFunction', Payload: {} }, context),
    ).rejects.toMatchObject({ name: 'Lambda.ResourceNotFoundException' });
  });

  it('leaves child executions to the runner and refuses resources it does not serve, saying which', async () => {
    await expect(
      call('arn:aws:states:::states:startExecution.sync:2', { StateMachineArn: 'x' }, context),
    ).rejects.toMatchObject({
      name: 'States.Runtime',
      message: expect.stringContaining('run by the workflow runner itself'),
    });
    await expect(call('arn:aws:states:::sqs:sendMessage', {}, context)).rejects.toMatchObject({
      name: 'States.Runtime',
      message: expect.stringContaining('arn:aws:states:::sqs:sendMessage'),
    });
    await expect(call(LAMBDA_INVOKE, { Payload: {} }, context)).rejects.toMatchObject({
      name: 'States.Runtime',
    });
  });
});
