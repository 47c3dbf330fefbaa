import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { CHILD_ARN, PARENT_ARN } from './children-workflows';
import { runnerProcesses } from './runner-process';
import { waitFor } from './support';
import { uniqueWorkflowsTable } from './workflow-store';

/**
 * `kill -9` of the process running a parent whose children wait on callbacks, then a new process:
 * the parent waits on the same children (none started twice, each asking with the one token it
 * had), and answering them completes it.
 */
describe('child executions across a kill -9', () => {
  const asked: { name: string; token: string }[] = [];
  const runners = runnerProcesses({
    workflows: 'children',
    table: uniqueWorkflowsTable('crashc'),
    // One hour is 36 s: the children's questions outlast the kill and the restart.
    timeScale: 0.01,
    onAsked: (name, token) => asked.push({ name, token }),
  });

  afterAll(() => runners.killAll());

  it('resumes the parent on the same children after a kill -9, and answering them completes it', async () => {
    const first = await runners.start();
    const names = ['ord-k-a', 'ord-k-b', 'ord-k-c'];
    const { executionArn } = await first.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: PARENT_ARN,
        name: 'ord-k',
        input: JSON.stringify({ orderId: 'ord-k', items: names.map((name) => ({ name })) }),
      }),
    );
    await waitFor(() => asked.length === names.length, 'every child to ask', 20_000);

    await first.kill();
    const second = await runners.start();
    // A child killed between asking and recording that it asked asks again, with the same token.
    for (const token of new Set(asked.map((a) => a.token))) {
      await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    }
    const parent = await waitFor(
      async () => {
        const d = await second.sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      'the parent to end',
      30_000,
    );

    expect(parent.status).toBe('SUCCEEDED');
    const { children } = JSON.parse(parent.output ?? '{}') as { children: { child: { Name: string } }[] };
    expect(children.map((c) => c.child.Name)).toEqual(names);
    const tokensByChild = new Set(asked.map((a) => `${a.name} ${a.token}`));
    expect([...tokensByChild].map((pair) => pair.split(' ')[0]).sort()).toEqual(names);
    const listed = await second.sfn.send(new ListExecutionsCommand({ stateMachineArn: CHILD_ARN }));
    expect(listed.executions?.map((e) => e.name).sort()).toEqual(names);
  }, 60_000);
});
