import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { LocalHandler } from '../../local/lambda';
import { silentLogger } from '../../local/log';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';
import { ENV, type FunctionDefinition, type WorkflowDefinition } from '../../shared/platform/definitions';
import { startOrder } from './step-functions';
import { closeConnections, recorder, send, waitFor } from './support';

/**
 * The workflows inside the embedded runtime: the state machines built from the workflow
 * definitions (placeholders filled with local ARNs), their Tasks run by the same handlers as the API
 * and the bus, and the runner behind `/_aws/states`, driven from outside with `@aws-sdk/client-sfn`
 * as a location's systems and the order cancel would. The fixture machine has the fulfilment's Task
 * shapes without its child executions (`startExecution.sync:2`, the runner's own business).
 */

const HANDOFF: WorkflowDefinition = {
  name: 'Handoff',
  file: 'test/local/fixtures/handoff.asl.json',
  description: 'Routes an order, asks a location, records the answer, completes the order',
  functions: {
    RouteOrderFunctionArn: 'RouteOrder',
    AskLocationFunctionArn: 'AskLocation',
    // Any task function serves the fixture's answer-recording task: its fake decides what it does.
    RecordAnswerFunctionArn: 'ResolveTimeout',
    CompleteOrderFunctionArn: 'CompleteOrder',
  },
  workflows: { HandoffStateMachineArn: 'Handoff' },
  envVar: 'HANDOFF_STATE_MACHINE_ARN',
};

/** An error as a handler throws it: Lambda reports its `name` as the `errorType`. */
class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface TaskEvent {
  orderId: string;
  groupId?: string;
  step?: string;
  taskToken?: string;
}

/** Fakes of the fulfilment's task functions; every other function answers 501 (not used here). */
function fakeHandlers() {
  const attempts = new Map<string, number>();
  const tasks = {
    route: recorder<TaskEvent>(({ orderId }) => {
      const attempt = (attempts.get(orderId) ?? 0) + 1;
      attempts.set(orderId, attempt);
      if (orderId.startsWith('cancelled')) throw new NamedError('OrderCancelled', 'the customer cancelled');
      if (orderId.startsWith('busy') && attempt === 1)
        throw new NamedError('ConcurrentUpdate', 'lost a race');
      return { groups: [{ groupId: `${orderId}-g1`, locationId: 'store-1' }] };
    }),
    ask: recorder<TaskEvent>(() => undefined),
    record: recorder<TaskEvent>(() => ({ next: 'done' })),
    complete: recorder<TaskEvent>(({ orderId }) => ({ orderId, status: 'FULFILLED' })),
  };
  const loadHandler = (definition: FunctionDefinition): LocalHandler => {
    switch (definition.name) {
      case 'CheckHealth':
        return async () => ({ statusCode: 200, body: JSON.stringify({ status: 'ok' }) });
      case 'RouteOrder':
        return tasks.route;
      case 'AskLocation':
        return tasks.ask;
      case 'ResolveTimeout':
        return tasks.record;
      case 'CompleteOrder':
        return tasks.complete;
      default:
        return async () => ({ statusCode: 501, body: '' });
    }
  };
  /** The task tokens AskLocation was given for an order, in order. */
  const tokens = (orderId: string) =>
    tasks.ask.calls.filter((c) => c.event.orderId === orderId).map((c) => c.event.taskToken);
  return { loadHandler, tasks, tokens };
}

const start = (fakes: ReturnType<typeof fakeHandlers>, options: LocalStackOptions = {}) =>
  startLocalStack({
    port: 0,
    dynamodbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    tablePrefix: `w${Math.random().toString(36).slice(2, 8)}-`,
    loadHandler: fakes.loadHandler,
    log: silentLogger,
    ...options,
  });

const sfnClient = (endpoint: string) =>
  new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

const ended = (sfn: SFNClient, executionArn: string, timeoutMs = 15_000) =>
  waitFor(
    async () => {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return execution.status === 'RUNNING' ? undefined : execution;
    },
    `${executionArn} to end`,
    timeoutMs,
  );

const output = (execution: DescribeExecutionCommandOutput) =>
  JSON.parse(execution.output ?? 'null') as Record<string, unknown>;

afterAll(() => closeConnections());

describe('workflows in the local stack', () => {
  let stack: LocalStack;
  let fakes: ReturnType<typeof fakeHandlers>;
  let sfn: SFNClient;
  let arn: string;

  beforeAll(async () => {
    fakes = fakeHandlers();
    // One hour of the machine's durations is 3.6 s here.
    stack = await start(fakes, { workflows: [HANDOFF], workflowTimeScale: 0.001 });
    sfn = sfnClient(`${stack.url}/_aws/states`);
    arn = stack.stateMachineArns.Handoff ?? '';
  });

  afterAll(async () => {
    sfn.destroy();
    await stack.stop();
  });

  it('gives each workflow its local ARN, and the handlers the endpoint and the ARNs', () => {
    expect(stack.stateMachineArns).toEqual({
      Handoff: 'arn:aws:states:us-east-1:000000000000:stateMachine:Handoff',
    });
    expect(stack.stepFunctionsEndpoint).toBe(`${stack.url}/_aws/states`);
    // The handlers reach the runner under the runtime's own prefix, open while the API holds others off.
    expect(process.env[ENV.stepFunctionsEndpoint]).toBe(`${stack.internalUrl}/_aws/states`);
    expect(process.env.HANDOFF_STATE_MACHINE_ARN).toBe(arn);
    expect(stack.env.HANDOFF_STATE_MACHINE_ARN).toBe(arn);
  });

  it('runs an execution over the SDK: tasks by the handlers, a callback answered with its token', async () => {
    const started = await startOrder(sfn, arn, 'ord-1');
    const token = await waitFor(() => fakes.tokens('ord-1')[0], 'the task token AskLocation got');

    const running = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'ord-1', stateMachineArn: arn });
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:Handoff:ord-1');
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }));
    const execution = await ended(sfn, started.executionArn ?? '');

    expect(execution.status).toBe('SUCCEEDED');
    expect(output(execution)).toEqual({
      orderId: 'ord-1',
      // A function ARN as Resource: the parameters are the event, the return value the result.
      routing: { groups: [{ groupId: 'ord-1-g1', locationId: 'store-1' }] },
      answer: { accepted: true },
      progress: { next: 'done' },
      // lambda:invoke: the Lambda Invoke answer around the function's return value.
      completion: {
        StatusCode: 200,
        Payload: { orderId: 'ord-1', status: 'FULFILLED' },
        ExecutedVersion: '$LATEST',
      },
    });
    expect(fakes.tasks.route.calls.find((c) => c.event.orderId === 'ord-1')?.event).toEqual({
      orderId: 'ord-1',
    });
    expect(fakes.tasks.ask.calls.find((c) => c.event.orderId === 'ord-1')?.event).toEqual({
      taskToken: token,
      orderId: 'ord-1',
      groupId: 'ord-1-g1',
      step: 'answer',
    });
    const completion = fakes.tasks.complete.calls.find((c) => c.event.orderId === 'ord-1');
    // The workflow placeholder is the machine's local ARN; the invocation is a Lambda one.
    expect(completion?.event).toEqual({ orderId: 'ord-1', stateMachine: arn });
    expect(completion?.context.functionName).toBe('CompleteOrder');
    expect(completion?.context.invokedFunctionArn).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:CompleteOrder',
    );
    // The execution name is the order id: starting it again with the same input is the same one.
    const again = await startOrder(sfn, arn, 'ord-1').catch((error: Error) => error);
    expect(again).toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it("hands a handler's error to Retry and Catch under the error's name, as Lambda reports it", async () => {
    const cancelled = await startOrder(sfn, arn, 'cancelled-1');
    const busy = await startOrder(sfn, arn, 'busy-1');

    const caught = await ended(sfn, cancelled.executionArn ?? '');
    expect(caught.status).toBe('SUCCEEDED');
    expect(output(caught).cancelled).toEqual({ Error: 'OrderCancelled', Cause: 'the customer cancelled' });
    // ConcurrentUpdate is retried (once, 1 s later): the second attempt routes and the location is asked.
    await waitFor(() => fakes.tokens('busy-1')[0], 'the retried route to ask the location', 10_000);
    expect(fakes.tasks.route.calls.filter((c) => c.event.orderId === 'busy-1')).toHaveLength(2);
    await sfn.send(new StopExecutionCommand({ executionArn: busy.executionArn, error: 'OrderCancelled' }));
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: busy.executionArn }))).toMatchObject({
      status: 'ABORTED',
      error: 'OrderCancelled',
    });
  });

  it("scales a callback's timeout with the stack's time scale: 5,000 s pass in 5 s", async () => {
    const begun = Date.now();
    const started = await startOrder(sfn, arn, 'silent-1');
    const token = await waitFor(() => fakes.tokens('silent-1')[0], 'the location to be asked');
    const execution = await ended(sfn, started.executionArn ?? '', 15_000);
    const took = (execution.stopDate?.getTime() ?? 0) - begun;

    expect(execution.status).toBe('SUCCEEDED');
    expect(output(execution).failure).toMatchObject({ Error: 'States.Timeout' });
    expect(took).toBeGreaterThanOrEqual(4_900);
    expect(took).toBeLessThan(12_000);
    expect(fakes.tasks.record.calls.filter((c) => c.event.orderId === 'silent-1')).toHaveLength(0);
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  // AWS reads TimeoutSecondsPath from the state's input, not from its Parameters (as
  // statemachines/fulfillment-group.asl.json needs: `$.group.slaSeconds`).
  it("scales a TimeoutSecondsPath read from the state's input: an SLA of 2,000 s passes in 2 s", async () => {
    const begun = Date.now();
    const started = await startOrder(sfn, arn, 'sla-1', { slaSeconds: 2_000 });
    const execution = await ended(sfn, started.executionArn ?? '', 10_000);
    const took = (execution.stopDate?.getTime() ?? 0) - begun;

    expect(execution.status).toBe('SUCCEEDED');
    expect(output(execution).failure).toMatchObject({ Error: 'States.Timeout' });
    expect(fakes.tokens('sla-1')).toHaveLength(1);
    expect(took).toBeGreaterThanOrEqual(1_900);
    expect(took).toBeLessThan(8_000);
  });
});

describe('the Fulfillment workflow in the local stack', () => {
  let stack: LocalStack | undefined;
  let sfn: SFNClient | undefined;

  afterEach(async () => {
    sfn?.destroy();
    await stack?.stop();
    stack = undefined;
  });

  it('fulfils an order: one child per group, each answered by its location through its task tokens', async () => {
    const fakes = fakeHandlers();
    const groups = ['g1', 'g2'].map((g) => ({
      groupId: `ord-7-${g}`,
      locationId: `store-${g}`,
      slaSeconds: 3_600,
      dispatchSeconds: 86_400,
    }));
    const loadHandler = (definition: FunctionDefinition): LocalHandler =>
      definition.name === 'RouteOrder' ? recorder(() => ({ groups })) : fakes.loadHandler(definition);
    stack = await start(fakes, { loadHandler });
    sfn = sfnClient(stack.stepFunctionsEndpoint);
    const client = sfn;
    const started = await startOrder(client, stack.stateMachineArns.Fulfillment, 'ord-7');
    const runner = stack.workflows;
    /** The token AskLocation got for a group's step; gives up at once if the order's execution ended. */
    const tokenFor = (groupId: string, step: string) =>
      waitFor(async () => {
        const asked = fakes.tasks.ask.calls.find((c) => c.event.groupId === groupId && c.event.step === step);
        if (asked) return asked.event.taskToken;
        const order = await runner.describeExecution(started.executionArn ?? '');
        if (order.status !== 'RUNNING') throw new Error(`ord-7 ended ${order.status}: ${order.cause}`);
        return undefined;
      }, `${groupId} to be asked for its ${step}`);
    for (const { groupId } of groups) {
      await client.send(
        new SendTaskSuccessCommand({
          taskToken: await tokenFor(groupId, 'answer'),
          output: '{"action":"accept","next":"dispatch"}',
        }),
      );
    }
    expect(
      await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn })),
    ).toMatchObject({ status: 'RUNNING', name: 'ord-7' });
    for (const { groupId } of groups) {
      await client.send(
        new SendTaskSuccessCommand({
          taskToken: await tokenFor(groupId, 'dispatch'),
          output: '{"action":"ship","next":"done"}',
        }),
      );
    }
    const execution = await ended(client, started.executionArn ?? '');

    expect(execution.status).toBe('SUCCEEDED');
    // One child per group, named after it; each followed its location's answers (no step lapsed).
    const children = await client.send(
      new ListExecutionsCommand({ stateMachineArn: stack.stateMachineArns.FulfillmentGroup }),
    );
    expect(children.executions?.map((e) => [e.name, e.status]).sort()).toEqual([
      ['ord-7-g1', 'SUCCEEDED'],
      ['ord-7-g2', 'SUCCEEDED'],
    ]);
    expect(fakes.tasks.ask.calls.map((c) => `${c.event.groupId}:${c.event.step}`).sort()).toEqual([
      'ord-7-g1:answer',
      'ord-7-g1:dispatch',
      'ord-7-g2:answer',
      'ord-7-g2:dispatch',
    ]);
    expect(fakes.tasks.record.calls).toEqual([]);
    expect(fakes.tasks.complete.calls.map((c) => c.event)).toEqual([{ orderId: 'ord-7' }]);
  });
});

describe('the local stack and its workflow definitions', () => {
  let stack: LocalStack | undefined;

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('refuses to start with a placeholder the definition does not declare, naming it', async () => {
    const mystery: WorkflowDefinition = {
      ...HANDOFF,
      name: 'Mystery',
      file: 'test/local/fixtures/undeclared-placeholder.asl.json',
      workflows: {},
    };

    await expect(start(fakeHandlers(), { workflows: [mystery] })).rejects.toThrow(
      /workflow Mystery .*\$\{MysteryFunctionArn\}/,
    );
    await expect(
      start(fakeHandlers(), {
        workflows: [{ ...HANDOFF, functions: { ...HANDOFF.functions, RouteOrderFunctionArn: 'NoSuchFn' } }],
      }),
    ).rejects.toThrow(/\$\{RouteOrderFunctionArn\} names function NoSuchFn/);
    await expect(start(fakeHandlers(), { workflowTimeScale: 0 })).rejects.toThrow(/workflowTimeScale/);
  });

  it("runs the shared definitions' workflows by default; the endpoint answers 503 STARTING until the stack opens", async () => {
    let outside: { status: number; body: unknown } | undefined;
    let inside: { status: number; body: unknown } | undefined;
    const listFulfillments = async (base: string) => {
      const response = await send(`${base}/_aws/states`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'AWSStepFunctions.ListExecutions',
        },
        body: JSON.stringify({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Fulfillment',
        }),
      });
      return { status: response.status, body: response.json() };
    };

    stack = await start(fakeHandlers(), {
      beforeOpen: async ({ internalUrl }) => {
        outside = await listFulfillments(new URL(internalUrl).origin);
        inside = await listFulfillments(internalUrl);
      },
    });

    expect(outside).toMatchObject({
      status: 503,
      body: { __type: 'ServiceUnavailableException', error: { code: 'STARTING' } },
    });
    expect(inside).toEqual({ status: 200, body: { executions: [] } });
    expect(await listFulfillments(stack.url)).toEqual({ status: 200, body: { executions: [] } });
    expect(stack.stateMachineArns).toEqual({
      Fulfillment: 'arn:aws:states:us-east-1:000000000000:stateMachine:Fulfillment',
      FulfillmentGroup: 'arn:aws:states:us-east-1:000000000000:stateMachine:FulfillmentGroup',
    });
    expect(stack.env.FULFILLMENT_STATE_MACHINE_ARN).toBe(stack.stateMachineArns.Fulfillment);
    expect(stack.env.FULFILLMENT_GROUP_STATE_MACHINE_ARN).toBe(stack.stateMachineArns.FulfillmentGroup);
  });

  it('keeps executions in its own table across a restart: a waiting task is answered after it', async () => {
    const tablePrefix = `r${Math.random().toString(36).slice(2, 8)}-`;
    const first = fakeHandlers();
    stack = await start(first, { workflows: [HANDOFF], tablePrefix });
    const before = sfnClient(stack.stepFunctionsEndpoint);
    const started = await startOrder(before, stack.stateMachineArns.Handoff, 'ord-restart');
    const token = await waitFor(() => first.tokens('ord-restart')[0], 'the location to be asked');
    before.destroy();
    await stack.stop();

    const second = fakeHandlers();
    stack = await start(second, { workflows: [HANDOFF], tablePrefix });
    const after = sfnClient(stack.stepFunctionsEndpoint);
    try {
      await after.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }));
      const execution = await ended(after, started.executionArn ?? '');

      expect(execution.status).toBe('SUCCEEDED');
      expect(output(execution).answer).toEqual({ accepted: true });
      // Resumed at the waiting task: the location was not asked again, the rest ran on the new handlers.
      expect(second.tasks.ask.calls).toHaveLength(0);
      expect(second.tasks.route.calls).toHaveLength(0);
      expect(second.tasks.complete.calls.map((c) => c.event.orderId)).toEqual(['ord-restart']);
    } finally {
      after.destroy();
    }
  });
});
