import { DescribeExecutionCommand, ListExecutionsCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { runnerProcesses } from './runner-process';
import { startOrder } from './step-functions';
import { waitFor } from './support';
import { uniqueWorkflowsTable } from './workflow-store';

/**
 * `kill -9` of the process running workflows while executions wait on stores, then a new process:
 * every execution is still there, each waits with the token it had, a store's answer completes
 * it, and a store asked again after the kill is asked with the same token.
 */
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:AskAStore';

describe('workflows across a kill -9', () => {
  const asked: { orderId: string; token: string }[] = [];
  const runners = runnerProcesses({
    workflows: 'ask-a-store',
    table: uniqueWorkflowsTable('crash'),
    // One hour is 36 s: the heartbeat (30 min) leaves 18 s for the kill and the restart.
    timeScale: 0.01,
    onAsked: (orderId, token) => asked.push({ orderId, token }),
  });

  afterAll(() => runners.killAll());

  it('resumes every waiting execution with its token: a store asked again after the kill gets the same one', async () => {
    const first = await runners.start();
    const orders = ['ord-a', 'ord-b', 'ord-c'];
    for (const orderId of orders) await startOrder(first.sfn, ARN, orderId);
    await waitFor(() => asked.length === orders.length, 'every store to be asked', 20_000);

    await first.kill();
    const second = await runners.start();
    // A kill between asking a store and recording that it was asked makes the resumed run ask again
    // (at least once, as on AWS), with the same token: each token is answered once.
    for (const token of new Set(asked.map((a) => a.token))) {
      await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }));
    }
    const statuses = await waitFor(
      async () => {
        const all = await Promise.all(
          orders.map((name) =>
            second.sfn.send(
              new DescribeExecutionCommand({
                executionArn: `arn:aws:states:us-east-1:000000000000:execution:AskAStore:${name}`,
              }),
            ),
          ),
        );
        return all.every((d) => d.status !== 'RUNNING') ? all.map((d) => d.status) : undefined;
      },
      'every execution to end (the Wait is 12 s here)',
      40_000,
    );

    expect(statuses).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const tokens = new Map<string, Set<string>>();
    for (const { orderId, token } of asked)
      tokens.set(orderId, new Set([...(tokens.get(orderId) ?? []), token]));
    expect([...tokens.keys()].sort()).toEqual(orders);
    expect([...tokens.values()].map((t) => t.size)).toEqual([1, 1, 1]);
    const listed = await second.sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN }));
    expect(listed.executions?.map((e) => e.name).sort()).toEqual(orders);
  }, 60_000);
});
