import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { handleStatesRequest, STATES_PATH } from '../../local/workflows/endpoint';
import type { WorkflowRunner } from '../../local/workflows/runner';

/**
 * Serves `runner` over the Step Functions JSON protocol on a free port of 127.0.0.1 (POSTs under
 * `STATES_PATH`; anything else is answered 404), and resolves once the server listens.
 */
export async function serveStates(runner: WorkflowRunner): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.method !== 'POST' || !req.url?.startsWith(STATES_PATH)) {
        res.writeHead(404).end();
        return;
      }
      const answer = await handleStatesRequest(runner, { headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.statusCode, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A `@aws-sdk/client-sfn` client of the endpoint {@link serveStates} opened on `port`. */
export const statesClient = (port: number | string): SFNClient =>
  new SFNClient({
    endpoint: `http://127.0.0.1:${port}${STATES_PATH}`,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });

/**
 * Starts an execution of `stateMachineArn` for an order, as the intake does: named after the order,
 * its input the order id and `input`.
 */
export const startOrder = (
  sfn: SFNClient,
  stateMachineArn: string | undefined,
  orderId: string,
  input: Record<string, unknown> = {},
) =>
  sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: orderId,
      input: JSON.stringify({ orderId, ...input }),
    }),
  );
