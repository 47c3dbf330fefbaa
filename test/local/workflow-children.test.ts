import { lintStateMachine } from '../../local/workflows/lint';
import type { AslDefinition, CallService, WorkflowRunner } from '../../local/workflows/runner';
import {
  CHILD_ARN,
  childrenMachines,
  PARENT_ARN,
  parentWithRunChild,
  RECURSIVE_ARN,
} from './children-workflows';
import { executionEnded, runnersPerTest } from './runners-per-test';
import { waitFor } from './support';

/**
 * Nested executions in the durable local runner (`states:startExecution.sync:2` and `.sync`): the
 * parent's task waits for its child as for a callback, across restarts, and gets the child's
 * description as AWS gives it; children of a stopped parent are stopped. One hour in the fixtures
 * is 3.6 s here (timeScale 0.001).
 */
type ChildDescription = Record<string, unknown>;
interface ParentOutput {
  children: { child?: ChildDescription; failure?: { Error: string; Cause: string } }[];
}

describe('child executions in the local workflow runner', () => {
  let asked: { name: string; token: string }[];
  const callService: CallService = async (resource, parameters) => {
    if (resource === 'arn:aws:states:::lambda:invoke') {
      asked.push((parameters as { Payload: { name: string; token: string } }).Payload);
    }
    return { StatusCode: 200 };
  };
  const runners = runnersPerTest('wfc', callService);
  const runner = (parent?: AslDefinition) => runners.start(childrenMachines(parent));
  /** The token the execution named `name` asked with (children ask under their own name). */
  const tokenFor = (name: string) =>
    waitFor(() => asked.find((a) => a.name === name)?.token, `${name} to ask`, 10_000);
  const startParent = (r: WorkflowRunner, orderId: string, items: string[]) =>
    r.startExecution({
      stateMachineArn: PARENT_ARN,
      name: orderId,
      input: JSON.stringify({ orderId, items: items.map((item) => ({ name: `${orderId}-${item}` })) }),
    });
  const outputOf = async (r: WorkflowRunner, arn: string): Promise<ParentOutput> => {
    const execution = await executionEnded(r, arn);
    expect(execution.status).toBe('SUCCEEDED');
    return JSON.parse(execution.output ?? '{}') as ParentOutput;
  };

  beforeEach(() => {
    asked = [];
  });

  it('waits for the child of each item and gets its description, Input and Output as JSON (.sync:2)', async () => {
    const r = await runner();
    const { executionArn } = await startParent(r, 'ord-1', ['a', 'b']);

    await r.sendTaskSuccess(await tokenFor('ord-1-a'), '{"ok":"a"}');
    await new Promise((done) => setTimeout(done, 300));
    expect((await r.describeExecution(executionArn)).status).toBe('RUNNING');
    await r.sendTaskSuccess(await tokenFor('ord-1-b'), '{"ok":"b"}');
    const [a, b] = (await outputOf(r, executionArn)).children.map((c) => c.child ?? {});

    const childA = await r.describeExecution(r.executionArn(CHILD_ARN, 'ord-1-a'));
    expect(a).toEqual({
      ExecutionArn: childA.executionArn,
      Input: {
        orderId: 'ord-1',
        item: { name: 'ord-1-a' },
        AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn,
      },
      InputDetails: { Included: true },
      Name: 'ord-1-a',
      Output: { name: 'ord-1-a', answer: { ok: 'a' }, startedBy: executionArn },
      OutputDetails: { Included: true },
      StartDate: Date.parse(childA.startDate),
      StateMachineArn: CHILD_ARN,
      Status: 'SUCCEEDED',
      StopDate: Date.parse(childA.stopDate ?? ''),
    });
    expect(Object.keys(a ?? {})).toEqual(Object.keys(a ?? {}).sort());
    expect(b).toMatchObject({ Name: 'ord-1-b', Status: 'SUCCEEDED', Output: { answer: { ok: 'b' } } });
    expect(childA).toMatchObject({ parentExecutionArn: executionArn });
  });

  it('gives the child’s Input and Output as JSON text with .sync', async () => {
    const r = await runner(parentWithRunChild({ Resource: 'arn:aws:states:::states:startExecution.sync' }));
    const { executionArn } = await startParent(r, 'ord-2', ['a']);

    await r.sendTaskSuccess(await tokenFor('ord-2-a'), '{"ok":true}');
    const { child } = (await outputOf(r, executionArn)).children[0] ?? {};

    expect(typeof child?.Input).toBe('string');
    expect(typeof child?.Output).toBe('string');
    expect(JSON.parse(String(child?.Output))).toEqual({
      name: 'ord-2-a',
      answer: { ok: true },
      startedBy: executionArn,
    });
  });

  it('fails the parent’s task with States.TaskFailed when its child fails, the child’s description as cause', async () => {
    const r = await runner();
    const { executionArn } = await startParent(r, 'ord-3', ['a', 'b']);

    await r.sendTaskSuccess(await tokenFor('ord-3-a'), '{"ok":true}');
    await r.sendTaskFailure(await tokenFor('ord-3-b'), 'Rejected', 'out of stock');
    const [a, b] = (await outputOf(r, executionArn)).children;

    expect(a?.child).toMatchObject({ Status: 'SUCCEEDED' });
    expect(b?.failure?.Error).toBe('States.TaskFailed');
    const childB = await r.describeExecution(r.executionArn(CHILD_ARN, 'ord-3-b'));
    expect(JSON.parse(b?.failure?.Cause ?? '{}')).toEqual({
      Cause: 'out of stock',
      Error: 'Rejected',
      ExecutionArn: childB.executionArn,
      Input: {
        orderId: 'ord-3',
        item: { name: 'ord-3-b' },
        AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn,
      },
      InputDetails: { Included: true },
      Name: 'ord-3-b',
      StartDate: Date.parse(childB.startDate),
      StateMachineArn: CHILD_ARN,
      Status: 'FAILED',
      StopDate: Date.parse(childB.stopDate ?? ''),
    });
    const failed = (await r.getExecutionHistory(executionArn)).filter((e) => e.type === 'TaskFailed');
    expect(failed.map((e) => e.details?.error)).toEqual(['States.TaskFailed']);
  });

  it('fails the parent’s task when its child is stopped on its own, Status ABORTED in the cause', async () => {
    const r = await runner();
    const { executionArn } = await startParent(r, 'ord-4', ['a']);
    await tokenFor('ord-4-a');

    await r.stopExecution(r.executionArn(CHILD_ARN, 'ord-4-a'), 'Manual', 'stopped by hand');
    const { failure } = (await outputOf(r, executionArn)).children[0] ?? {};

    expect(failure?.Error).toBe('States.TaskFailed');
    expect(JSON.parse(failure?.Cause ?? '{}')).toMatchObject({
      Status: 'ABORTED',
      Error: 'Manual',
      Cause: 'stopped by hand',
    });
  });

  it('refuses to wait on an execution of the same name it did not start (StepFunctions.ExecutionAlreadyExistsException)', async () => {
    const r = await runner();
    await r.startExecution({ stateMachineArn: CHILD_ARN, name: 'ord-5-a', input: '{"item":{"name":"x"}}' });
    const { executionArn } = await startParent(r, 'ord-5', ['a']);

    const { failure } = (await outputOf(r, executionArn)).children[0] ?? {};

    expect(failure?.Error).toBe('StepFunctions.ExecutionAlreadyExistsException');
    expect(await r.listExecutions(CHILD_ARN)).toHaveLength(1);
  });

  it('times the task out at its TimeoutSeconds and stops the child it waited on', async () => {
    // 25 min is 1.5 s here; the child's own question would wait an hour.
    const r = await runner(parentWithRunChild({ TimeoutSeconds: 1500 }));
    const { executionArn } = await startParent(r, 'ord-6', ['a']);
    const token = await tokenFor('ord-6-a');

    const { failure } = (await outputOf(r, executionArn)).children[0] ?? {};

    expect(failure?.Error).toBe('States.Timeout');
    expect(await r.describeExecution(r.executionArn(CHILD_ARN, 'ord-6-a'))).toMatchObject({
      status: 'ABORTED',
    });
    await expect(r.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('resumes a parent and its waiting children after a restart: no second child, and answering the children completes the parent', async () => {
    const first = await runner();
    const { executionArn } = await startParent(first, 'ord-7', ['a', 'b']);
    const tokens = [await tokenFor('ord-7-a'), await tokenFor('ord-7-b')];
    await first.stop();

    const second = await runner();
    for (const token of tokens) await second.sendTaskSuccess(token, '{"ok":true}');
    const children = (await outputOf(second, executionArn)).children;

    expect(children.map((c) => c.child?.Status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect((await second.listExecutions(CHILD_ARN)).map((e) => e.name).sort()).toEqual([
      'ord-7-a',
      'ord-7-b',
    ]);
    expect(asked.map((a) => a.name).sort()).toEqual(['ord-7-a', 'ord-7-b']);
    const history = await second.getExecutionHistory(executionArn);
    expect(history.map((e) => e.type)).toContain('ExecutionResumed');
    expect(history.filter((e) => e.type === 'TaskSubmitted')).toHaveLength(2);
  });

  it('settles, on start, the wait of a parent whose child ended while the runner was down', async () => {
    const first = await runner();
    const { executionArn } = await startParent(first, 'ord-8', ['a']);
    await tokenFor('ord-8-a');
    await first.stop();
    // The child ended, and the process died before its parent was told.
    const childArn = first.executionArn(CHILD_ARN, 'ord-8-a');
    await runners.store.finishExecution(childArn, {
      status: 'SUCCEEDED',
      stopDate: new Date().toISOString(),
      output: JSON.stringify({ name: 'ord-8-a', answer: { ok: 'while down' } }),
    });
    const wait = (await runners.store.executionWaits(executionArn)).find((w) => w.kind === 'child');
    expect(wait?.status).toBe('WAITING');

    const second = await runner();
    // Settled by start() itself, before the resumed parent comes back to its task.
    expect((await runners.store.getWait(wait?.id ?? ''))?.status).toBe('SUCCEEDED');
    const { child } = (await outputOf(second, executionArn)).children[0] ?? {};

    expect(child).toMatchObject({
      ExecutionArn: childArn,
      Status: 'SUCCEEDED',
      Output: { answer: { ok: 'while down' } },
    });
    expect(asked).toHaveLength(1);
    expect(await second.listExecutions(CHILD_ARN)).toHaveLength(1);
  });

  it('stops, on start, a child whose parent stopped waiting on it while the runner was down', async () => {
    const first = await runner();
    const { executionArn } = await startParent(first, 'ord-9', ['a']);
    const token = await tokenFor('ord-9-a');
    await first.stop();
    // The parent's task timed out, and the process died before the child was stopped.
    const wait = (await runners.store.executionWaits(executionArn)).find((w) => w.kind === 'child');
    await runners.store.settleWait(wait?.id ?? '', { status: 'FAILED', error: 'States.Timeout' });

    const second = await runner();
    const childArn = second.executionArn(CHILD_ARN, 'ord-9-a');
    expect(await second.describeExecution(childArn)).toMatchObject({ status: 'ABORTED' });
    const { failure } = (await outputOf(second, executionArn)).children[0] ?? {};

    expect(failure?.Error).toBe('States.Timeout');
    await expect(second.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('runs a machine that starts children of itself through $$.StateMachine.Id', async () => {
    const r = await runner();
    const { executionArn } = await r.startExecution({
      stateMachineArn: RECURSIVE_ARN,
      name: 'rec',
      input: '{"depth":0,"levels":2}',
    });

    await r.sendTaskSuccess(await tokenFor('rec-deeper-deeper'), '{"ok":true}');
    const execution = await executionEnded(r, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      child: {
        name: 'rec-deeper',
        stateMachineArn: RECURSIVE_ARN,
        output: {
          depth: 1,
          AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn,
          child: { name: 'rec-deeper-deeper', output: { depth: 2, answer: { ok: true } } },
        },
      },
    });
    expect((await r.listExecutions(RECURSIVE_ARN)).map((e) => e.name).sort()).toEqual([
      'rec',
      'rec-deeper',
      'rec-deeper-deeper',
    ]);
  });

  it('stops the children a stopped parent waits on, and theirs: all end ABORTED and the deepest token no longer answers', async () => {
    const r = await runner();
    const { executionArn } = await r.startExecution({
      stateMachineArn: RECURSIVE_ARN,
      name: 'stop',
      input: '{"depth":0,"levels":2}',
    });
    const token = await tokenFor('stop-deeper-deeper');

    await r.stopExecution(executionArn, 'OrderCancelled', 'the customer cancelled');

    const names = ['stop', 'stop-deeper', 'stop-deeper-deeper'];
    const statuses = await Promise.all(
      names.map(async (name) => (await r.describeExecution(r.executionArn(RECURSIVE_ARN, name))).status),
    );
    expect(statuses).toEqual(['ABORTED', 'ABORTED', 'ABORTED']);
    await expect(r.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ code: 'TaskTimedOut' });
    const deepest = await r.getExecutionHistory(r.executionArn(RECURSIVE_ARN, 'stop-deeper-deeper'));
    expect(deepest.find((e) => e.type === 'ExecutionAborted')?.details).toMatchObject({
      stoppedWithParent: r.executionArn(RECURSIVE_ARN, 'stop-deeper'),
    });
  });
});

describe('the local-runtime lint on child execution tasks', () => {
  const child = {
    Type: 'Task',
    Resource: 'arn:aws:states:::states:startExecution.sync:2',
    Parameters: { StateMachineArn: CHILD_ARN, 'Name.$': '$.name', Input: {} },
    End: true,
  };
  const lint = (fields: Record<string, unknown>) =>
    lintStateMachine({ StartAt: 'Start', States: { Start: { ...child, ...fields } } });

  it('accepts them with TimeoutSeconds, or TimeoutSecondsPath (the runner keeps their deadline)', () => {
    expect(lint({ TimeoutSeconds: 60 })).toEqual([]);
    expect(lint({ TimeoutSecondsPath: '$.seconds' })).toEqual([]);
    expect(lint({ Resource: 'arn:aws:states:::states:startExecution.sync', TimeoutSeconds: 60 })).toEqual([]);
  });

  it('refuses one without a timeout, and one with HeartbeatSeconds (a child sends none)', () => {
    expect(lint({}).map((p) => p.path)).toEqual(['$.States.Start.TimeoutSeconds']);
    expect(lint({ TimeoutSeconds: 60, HeartbeatSeconds: 10 }).map((p) => p.path)).toEqual([
      '$.States.Start.HeartbeatSeconds',
    ]);
  });
});
