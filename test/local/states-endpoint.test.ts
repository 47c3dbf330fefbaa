import type { Server } from 'node:http';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { WorkflowRunner } from '../../local/workflows/runner';
import { ASK_A_STORE_ARN, askAStore } from './ask-a-store';
import { serveStates, statesClient } from './step-functions';
import { waitFor } from './support';
import { uniqueWorkflowsTable, workflowStore } from './workflow-store';

/** The runner behind the Step Functions JSON protocol, driven by the real `@aws-sdk/client-sfn`. */
const ARN = ASK_A_STORE_ARN;
const definition = askAStore();

describe('the local Step Functions endpoint', () => {
  let runner: WorkflowRunner;
  let server: Server;
  let sfn: SFNClient;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    runner = new WorkflowRunner({
      store: workflowStore(uniqueWorkflowsTable('sfn')),
      stateMachines: [{ arn: ARN, name: 'AskAStore', definition }],
      timeScale: 0.001,
      callService: async (resource, parameters) => {
        const payload = (parameters as { Payload?: { token: string; orderId: string } }).Payload;
        if (payload) tokens.set(payload.orderId, payload.token);
        return resource.endsWith(':function:Prepare') ? { prepared: true } : { StatusCode: 200 };
      },
    });
    await runner.start();
    const served = await serveStates(runner);
    server = served.server;
    sfn = statesClient(served.port);
  });

  afterAll(async () => {
    await runner.stop();
    await new Promise((done) => server.close(done));
  });

  it('starts an execution, completes its task through SendTaskSuccess and shows its history', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'ord-1', input: '{"orderId":"ord-1"}' }),
    );
    const token = await waitFor(() => tokens.get('ord-1'), 'the task token', 10_000);
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }));
    const done = await waitFor(
      async () => {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      'the execution to end',
      10_000,
    );

    expect(started.startDate).toBeInstanceOf(Date);
    expect(done).toMatchObject({ status: 'SUCCEEDED', name: 'ord-1', stateMachineArn: ARN });
    expect(JSON.parse(done.output ?? '{}')).toMatchObject({ answer: { accepted: true } });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    expect(history.events?.map((e) => e.type)).toContain('TaskSucceeded');
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'SUCCEEDED' }),
    );
    expect(listed.executions?.map((e) => e.name)).toEqual(['ord-1']);
  });

  it('stops an execution, and answers unknown ones and spent tokens with the errors AWS uses', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: ARN, name: 'ord-2', input: '{"orderId":"ord-2"}' }),
    );
    const token = await waitFor(() => tokens.get('ord-2'), 'the task token', 10_000);
    await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn, error: 'OrderCancelled' }));

    const describe = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    const spent = await sfn
      .send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))
      .catch((e: Error) => e);
    const unknown = await sfn
      .send(new DescribeExecutionCommand({ executionArn: `${started.executionArn}-nope` }))
      .catch((e: Error) => e);
    const again = await sfn
      .send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'ord-2', input: '{"orderId":"ord-2"}' }))
      .catch((e: Error) => e);

    expect(describe).toMatchObject({ status: 'ABORTED', error: 'OrderCancelled' });
    expect(spent).toMatchObject({ name: 'TaskTimedOut' });
    expect(unknown).toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(again).toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});
