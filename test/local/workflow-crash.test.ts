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
import { waitFor } from './support';

/**
 * `kill -9` of the process running workflows while executions wait on stores, then a new process:
 * every execution is still there, each waits with the token it had, a store's answer completes
 * it, and no store was asked twice.
 */
const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:AskAStore';

describe('workflows across a kill -9', () => {
  const children: ChildProcess[] = [];
  const table = `crash${randomUUID().slice(0, 8)}-Workflows`;
  const asked: { orderId: string; token: string }[] = [];

  const start = () =>
    new Promise<{ child: ChildProcess; sfn: SFNClient }>((done, fail) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          resolve(__dirname, 'fixtures/runner-child.ts'),
          String(process.env.TEST_DYNAMODB_ENDPOINT),
          table,
          // One hour is 36 s: the heartbeat (30 min) leaves 18 s for the kill and the restart.
          '0.01',
        ],
        { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split('\n');
        out = lines.pop() ?? '';
        for (const line of lines) {
          const [kind, a, b] = line.split(' ');
          if (kind === 'ASKED' && a && b) asked.push({ orderId: a, token: b });
          if (kind === 'READY') {
            done({
              child,
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
    for (const child of children) child.kill('SIGKILL');
  });

  it('resumes every waiting execution with its token, and no store is asked twice', async () => {
    const first = await start();
    const orders = ['ord-a', 'ord-b', 'ord-c'];
    for (const orderId of orders) {
      await first.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: ARN,
          name: orderId,
          input: JSON.stringify({ orderId }),
        }),
      );
    }
    await waitFor(() => asked.length === orders.length, 'every store to be asked', 20_000);

    const exited = new Promise((done) => first.child.once('exit', done));
    first.child.kill('SIGKILL');
    await exited;
    const second = await start();
    for (const { token } of asked) {
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
    expect(asked.map((a) => a.orderId).sort()).toEqual(orders);
    const listed = await second.sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN }));
    expect(listed.executions?.map((e) => e.name).sort()).toEqual(orders);
  }, 60_000);
});
