import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { CHILD_ARN, PARENT_ARN } from './children-workflows';
import { waitFor } from './support';

/**
 * `kill -9` of the process running a parent whose children wait on callbacks, then a new process:
 * the parent waits on the same children (none started twice, each asking with the one token it
 * had), and answering them completes it.
 */
describe('child executions across a kill -9', () => {
  const processes: ChildProcess[] = [];
  const table = `crashc${randomUUID().slice(0, 8)}-Workflows`;
  const asked: { name: string; token: string }[] = [];

  const start = () =>
    new Promise<{ process: ChildProcess; sfn: SFNClient }>((done, fail) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          resolve(__dirname, 'fixtures/children-runner-child.ts'),
          String(process.env.TEST_DYNAMODB_ENDPOINT),
          table,
          // One hour is 36 s: the children's questions outlast the kill and the restart.
          '0.01',
        ],
        { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      processes.push(child);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split('\n');
        out = lines.pop() ?? '';
        for (const line of lines) {
          const [kind, a, b] = line.split(' ');
          if (kind === 'ASKED' && a && b) asked.push({ name: a, token: b });
          if (kind === 'READY') {
            done({
              process: child,
              sfn: new SFNClient({
                endpoint: `http://127.0.0.1:${a}/_aws/states`,
                region: LOCAL_REGION,
                credentials: LOCAL_CREDENTIALS,
              }),
            });
          }
        }
      });
      child.once('exit', (code) =>
        fail(new Error(`the runner process exited (${code}) before it was ready`)),
      );
    });

  afterAll(() => {
    for (const child of processes) child.kill('SIGKILL');
  });

  it('resumes the parent on the same children after a kill -9, and answering them completes it', async () => {
    const first = await start();
    const names = ['ord-k-a', 'ord-k-b', 'ord-k-c'];
    const { executionArn } = await first.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: PARENT_ARN,
        name: 'ord-k',
        input: JSON.stringify({ orderId: 'ord-k', items: names.map((name) => ({ name })) }),
      }),
    );
    await waitFor(() => asked.length === names.length, 'every child to ask', 20_000);

    const exited = new Promise((done) => first.process.once('exit', done));
    first.process.kill('SIGKILL');
    await exited;
    const second = await start();
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
