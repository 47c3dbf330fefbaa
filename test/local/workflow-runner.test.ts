import type { CallService, StatesError } from '../../local/workflows/runner';
import { ASK_A_STORE_ARN, askAStore, withState } from './ask-a-store';
import { executionEnded, runnersPerTest } from './runners-per-test';
import { waitFor } from './support';

/**
 * The durable local workflow runner: callbacks with absolute deadlines and heartbeats, Waits that
 * keep their deadline across a restart, executions resumed where they were, Step Functions errors.
 * One hour in the fixture is 3.6 s here (timeScale 0.001).
 */
const ARN = ASK_A_STORE_ARN;
const definition = askAStore();

describe('the local workflow runner', () => {
  let calls: { resource: string; parameters: unknown }[];
  const callService: CallService = async (resource, parameters) => {
    calls.push({ resource, parameters });
    if (resource.endsWith(':function:Prepare')) return { prepared: true };
    return { StatusCode: 200 };
  };
  const runners = runnersPerTest('wf', callService);
  const runner = (machine = definition) =>
    runners.start([{ arn: ARN, name: 'AskAStore', definition: machine }]);
  const tokenFor = async (orderId: string, after = 0) =>
    waitFor(
      () =>
        calls
          .filter((c) => c.resource === 'arn:aws:states:::lambda:invoke')
          .map((c) => (c.parameters as { Payload: { token: string; orderId: string } }).Payload)
          .filter((p) => p.orderId === orderId)[after]?.token,
      `a task token for ${orderId}`,
      10_000,
    );

  beforeEach(() => {
    calls = [];
  });

  it('runs a task, waits for the callback with its own token, then the Wait, and succeeds', async () => {
    const r = await runner();
    const { executionArn } = await r.startExecution({
      stateMachineArn: ARN,
      name: 'ord-1',
      input: '{"orderId":"ord-1"}',
    });

    const token = await tokenFor('ord-1');
    expect(token).not.toContain('LOCAL_TASK_TOKEN');
    expect((await r.describeExecution(executionArn)).status).toBe('RUNNING');
    await r.sendTaskSuccess(token, '{"accepted":true}');
    const execution = await executionEnded(r, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({
      orderId: 'ord-1',
      prepared: { prepared: true },
      answer: { accepted: true },
    });
    const types = (await r.getExecutionHistory(executionArn)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['ExecutionStarted', 'TaskSubmitted', 'TaskSucceeded', 'ExecutionSucceeded']),
    );
    await expect(r.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('hands a failure to the state machine’s Catch under its error name', async () => {
    const r = await runner();
    const { executionArn } = await r.startExecution({
      stateMachineArn: ARN,
      name: 'ord-2',
      input: '{"orderId":"ord-2"}',
    });

    await r.sendTaskFailure(await tokenFor('ord-2'), 'Rejected', 'out of stock');
    const execution = await executionEnded(r, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      outcome: 'rejected',
      error: { Error: 'Rejected' },
    });
  });

  it('fails a task whose heartbeat does not come, and keeps waiting while heartbeats come', async () => {
    // A timeout of 4 h (14.4 s here) leaves the heartbeat (1.8 s) as the only deadline that can pass.
    const r = await runner(withState(definition, 'AskStore', { TimeoutSeconds: 14_400 }));
    const silent = await r.startExecution({
      stateMachineArn: ARN,
      name: 'ord-3',
      input: '{"orderId":"ord-3"}',
    });
    const alive = await r.startExecution({
      stateMachineArn: ARN,
      name: 'ord-4',
      input: '{"orderId":"ord-4"}',
    });
    const token = await tokenFor('ord-4');
    await tokenFor('ord-3');

    // The heartbeat is 1.8 s: beat every 0.5 s for 2.5 s, then answer.
    for (let i = 0; i < 5; i++) {
      await new Promise((done) => setTimeout(done, 500));
      await r.sendTaskHeartbeat(token);
    }
    await r.sendTaskSuccess(token, '{"accepted":true}');

    expect(await executionEnded(r, silent.executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'StoreSilent',
    });
    expect(await executionEnded(r, alive.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('resumes a waiting execution after a restart: the same token completes it, the store was asked once', async () => {
    const first = await runner();
    const { executionArn } = await first.startExecution({
      stateMachineArn: ARN,
      name: 'ord-5',
      input: '{"orderId":"ord-5"}',
    });
    const token = await tokenFor('ord-5');
    await first.stop();

    const second = await runner();
    await second.sendTaskSuccess(token, '{"accepted":true}');
    const execution = await executionEnded(second, executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.resource === 'arn:aws:states:::lambda:invoke')).toHaveLength(1);
    expect((await second.getExecutionHistory(executionArn)).map((e) => e.type)).toContain('ExecutionResumed');
  });

  it('keeps a Wait’s absolute deadline across a restart instead of starting it again', async () => {
    // A Wait of 50 min (3 s here), so the restart surely comes before its deadline.
    const make = () => runner(withState(definition, 'CoolOff', { Seconds: 3000 }));
    const first = await make();
    const { executionArn } = await first.startExecution({
      stateMachineArn: ARN,
      name: 'ord-6',
      input: '{"orderId":"ord-6"}',
    });
    await first.sendTaskSuccess(await tokenFor('ord-6'), '{"accepted":true}');
    await waitFor(
      async () =>
        (await first.getExecutionHistory(executionArn)).some(
          (e) => e.type === 'StateEntered' && e.details?.name === 'CoolOff',
        ),
      'the Wait to begin',
    );
    await new Promise((done) => setTimeout(done, 400));
    await first.stop();
    await new Promise((done) => setTimeout(done, 300));

    const second = await make();
    const restarted = Date.now();
    const execution = await executionEnded(second, executionArn);

    // It ends at the deadline it was given when it began (before the restart), not 3 s after the restart.
    const timer = (await runners.store.executionWaits(executionArn)).find((w) => w.kind === 'timer');
    const deadline = Date.parse(timer?.deadline ?? '');
    const stopped = Date.parse(execution.stopDate ?? '');
    expect(execution.status).toBe('SUCCEEDED');
    expect(restarted).toBeLessThan(deadline);
    expect(stopped).toBeGreaterThanOrEqual(deadline);
    expect(stopped - restarted).toBeLessThan(2_900);
  });

  it('times a callback out at its deadline, also when the runner restarted in between', async () => {
    const make = () =>
      runner(withState(definition, 'AskStore', { TimeoutSeconds: 1500, HeartbeatSeconds: undefined }));
    const first = await make();
    const { executionArn } = await first.startExecution({
      stateMachineArn: ARN,
      name: 'ord-7',
      input: '{"orderId":"ord-7"}',
    });
    const token = await tokenFor('ord-7');
    const asked = Date.now();
    await first.stop();
    const second = await make();
    const execution = await executionEnded(second, executionArn);

    expect(execution).toMatchObject({ status: 'FAILED', error: 'StoreSilent' });
    expect(Date.parse(execution.stopDate ?? '') - asked).toBeLessThan(1_500 + 1_000);
    await expect(second.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ code: 'TaskTimedOut' });
  });

  it('starts one execution per name: the same input again is the same execution, another input is refused', async () => {
    const r = await runner();
    const a = await r.startExecution({ stateMachineArn: ARN, name: 'ord-8', input: '{"orderId":"ord-8"}' });
    const again = await r.startExecution({
      stateMachineArn: ARN,
      name: 'ord-8',
      input: '{"orderId":"ord-8"}',
    });
    const other = await r
      .startExecution({ stateMachineArn: ARN, name: 'ord-8', input: '{"orderId":"x"}' })
      .catch((e: StatesError) => e);

    expect(again.executionArn).toBe(a.executionArn);
    expect(other).toMatchObject({ code: 'ExecutionAlreadyExists' });
    expect(await r.listExecutions(ARN)).toHaveLength(1);
  });

  it('stops an execution: it ends ABORTED and its token no longer answers', async () => {
    const r = await runner();
    const { executionArn } = await r.startExecution({
      stateMachineArn: ARN,
      name: 'ord-9',
      input: '{"orderId":"ord-9"}',
    });
    const token = await tokenFor('ord-9');

    await r.stopExecution(executionArn, 'OrderCancelled', 'the customer cancelled');

    expect(await r.describeExecution(executionArn)).toMatchObject({
      status: 'ABORTED',
      error: 'OrderCancelled',
    });
    await expect(r.sendTaskSuccess(token, '{}')).rejects.toMatchObject({ code: 'TaskTimedOut' });
    await expect(r.sendTaskSuccess('no-such-token', '{}')).rejects.toMatchObject({
      code: 'TaskDoesNotExist',
    });
    await expect(r.describeExecution(`${executionArn}-x`)).rejects.toMatchObject({
      code: 'ExecutionDoesNotExist',
    });
  });
});
