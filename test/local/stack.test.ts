import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { APIGatewayProxyEvent, DynamoDBStreamEvent } from 'aws-lambda';
import { DataDirInUseError, LOCK_FILE_NAME } from '../../local/data-dir-lock';
import { callerHeaders } from '../../local/dev-credentials';
import { freePort, LOCAL_CREDENTIALS } from '../../local/dynamodb';
import type { LocalHandler } from '../../local/lambda';
import { silentLogger } from '../../local/log';
import { demoNetwork, SeedError } from '../../local/seed';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';
import { LocalStreamFailureStore } from '../../local/stream-failures';
import { replayStreamFailures } from '../../scripts/replay-stream-failures';
import { ENV, type FunctionDefinition, LOCAL_API_KEYS } from '../../shared/platform/definitions';
import { recorder, send, waitFor } from './support';

/**
 * Fake handlers built the way real modules are: configuration read from `process.env` when the
 * module loads, SDK clients created once. PutLocation writes to the inventory table; the publisher
 * turns each stream record into a bus event, so a request travels API → table → stream → bus.
 */
function fakeHandlers() {
  const clients: { destroy(): void }[] = [];
  const calls = {
    sweeps: recorder(),
    published: [] as DynamoDBStreamEvent[],
    puts: recorder<APIGatewayProxyEvent>(() => ({ statusCode: 200, body: '{}' })),
  };
  const loadHandler = (definition: FunctionDefinition): LocalHandler => {
    // The system's own functions sign with the runtime's credentials (the bus policy admits commerce.* from them).
    const credentials = LOCAL_CREDENTIALS;
    switch (definition.name) {
      case 'CheckHealth':
        return async () => ({ statusCode: 200, body: JSON.stringify({ status: 'ok' }) });
      case 'PutLocation': {
        const tableName = process.env.INVENTORY_TABLE;
        const client = new DynamoDBClient({ endpoint: process.env[ENV.dynamodbEndpoint], credentials });
        clients.push(client);
        return async (event) => {
          const { pathParameters, body } = event as APIGatewayProxyEvent;
          await client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: {
                PK: { S: `LOCATION#${pathParameters?.locationId}` },
                SK: { S: 'A' },
                doc: { S: body ?? '' },
              },
            }),
          );
          return { statusCode: 200, body: '{}' };
        };
      }
      case 'PublishEvents': {
        const busName = process.env[ENV.eventBusName];
        const client = new EventBridgeClient({ endpoint: process.env[ENV.eventBridgeEndpoint], credentials });
        clients.push(client);
        return async (event) => {
          const stream = event as DynamoDBStreamEvent;
          calls.published.push(stream);
          await client.send(
            new PutEventsCommand({
              Entries: stream.Records.map((record) => ({
                EventBusName: busName,
                Source: 'commerce.inventory',
                DetailType: 'LocationChanged',
                Detail: JSON.stringify({ key: record.dynamodb?.Keys?.PK?.S, change: record.eventName }),
              })),
            }),
          );
          return { batchItemFailures: [] };
        };
      }
      case 'ExpireHolds':
        return calls.sweeps;
      case 'Authorize': {
        // The real authorizer, loaded afresh for each stack: it reads its issuer at cold start.
        let authorize: LocalHandler | undefined;
        jest.isolateModules(() => {
          authorize = require('../../functions/platform/authorize').handler;
        });
        if (!authorize) throw new Error('the authorizer has no handler');
        return authorize;
      }
      case 'CountInventory':
      case 'PutChannelRule':
      case 'PutCategory':
      case 'PutProduct':
      case 'PutBasePrices':
      case 'PutPriceRule':
      case 'PutPromotion':
        return calls.puts;
      default:
        return async () => ({ statusCode: 501, body: '' });
    }
  };
  const destroy = () => {
    for (const client of clients) client.destroy();
  };
  return { loadHandler, calls, destroy };
}

describe('local stack', () => {
  let stack: LocalStack | undefined;
  let fakes: ReturnType<typeof fakeHandlers>;

  beforeEach(() => {
    fakes = fakeHandlers();
  });

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    fakes.destroy();
  });

  const start = (options: LocalStackOptions = {}) =>
    startLocalStack({
      port: 0,
      dynamodbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT,
      tablePrefix: `s${Math.random().toString(36).slice(2, 8)}-`,
      loadHandler: fakes.loadHandler,
      log: silentLogger,
      ...options,
    });

  it('serves the API and carries a write through the stream and the publisher to the bus', async () => {
    stack = await start({ scheduleIntervalsMs: { ExpireHolds: 20 } });

    const health = await send(`${stack.url}/health`);
    const put = await send(`${stack.url}/locations/store-1`, {
      method: 'PUT',
      headers: await callerHeaders(stack.url, 'local-ops'),
      body: '{"name":"One"}',
    });

    expect(health.status).toBe(200);
    expect(put.status).toBe(200);
    const running = stack;
    const [record] = await waitFor(() => {
      const found = running.bus.events({ detailType: 'LocationChanged' });
      return found.length > 0 && found;
    }, 'the LocationChanged event on the bus');
    expect(record?.event).toMatchObject({
      source: 'commerce.inventory',
      detail: { key: 'LOCATION#store-1', change: 'INSERT' },
    });
    expect(record?.deliveries).toEqual([
      expect.objectContaining({ rule: 'CommerceAudit', status: 'delivered' }),
    ]);
    const listed = (await send(`${stack.url}/_local/events?detailType=LocationChanged`)).json() as {
      events: unknown[];
    };
    expect(listed.events).toHaveLength(1);
    await waitFor(() => fakes.calls.sweeps.calls.length >= 2, 'the sweeper to run at the local rate');
  });

  it('gives the handlers their environment and puts the previous one back when stopped', async () => {
    const before = process.env.INVENTORY_TABLE;

    stack = await start();

    expect(process.env.INVENTORY_TABLE).toBe(stack.tableNames.inventory);
    expect(process.env.ORDERS_TABLE).toBe(stack.tableNames.orders);
    expect(process.env[ENV.eventBusName]).toBe('commerce');
    // The authorizer's clients: the dev clients, each with its principal.
    expect(JSON.parse(process.env[ENV.authClients] ?? '{}')).toEqual(LOCAL_API_KEYS);
    // The handlers reach the bus under the runtime's own prefix, open while the API holds others off.
    expect(process.env[ENV.eventBridgeEndpoint]).toBe(`${stack.internalUrl}/_aws/eventbridge`);
    expect(stack.internalUrl).toMatch(new RegExp(`^${stack.url}/_runtime/[0-9a-f-]{36}$`));
    expect(stack.eventBridgeEndpoint).toBe(`${stack.url}/_aws/eventbridge`);
    expect(process.env[ENV.dynamodbEndpoint]).toBe(stack.dynamodbEndpoint);
    expect(process.env.AWS_REGION).toBe('us-east-1');
    await stack.stop();
    stack = undefined;
    expect(process.env.INVENTORY_TABLE).toBe(before);
  });

  it('answers 503 STARTING from the first accepted connection until ready, then serves: never another 5xx', async () => {
    const port = await freePort();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const slowLoad = async (definition: FunctionDefinition) => {
      await sleep(20);
      return fakes.loadHandler(definition);
    };
    let open!: () => void;
    const held = new Promise<void>((resolveHeld) => {
      open = resolveHeld;
    });
    let internalHealth = 0;
    const statuses: number[] = [];
    const bodies: unknown[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        try {
          const response = await send(`http://127.0.0.1:${port}/health`);
          statuses.push(response.status);
          if (response.status !== 200)
            bodies.push({ retryAfter: response.headers['retry-after'], ...(response.json() as object) });
        } catch {
          // not listening yet
        }
        await sleep(5);
      }
    })();

    const starting = start({
      port,
      loadHandler: slowLoad,
      beforeOpen: async ({ internalUrl }) => {
        internalHealth = (await send(`${internalUrl}/health`)).status;
        await held;
      },
    });
    await waitFor(() => internalHealth !== 0, 'the stack to reach beforeOpen');
    const countWhileHeld = statuses.length;
    await waitFor(() => statuses.length > countWhileHeld + 2, 'requests while beforeOpen holds');
    expect(statuses.at(-1)).toBe(503);
    open();
    stack = await starting;
    await waitFor(() => statuses.at(-1) === 200, 'a 200 once started');
    probing = false;
    await probe;

    const firstOk = statuses.indexOf(200);
    expect(firstOk).toBeGreaterThan(0);
    expect(statuses.slice(0, firstOk).every((status) => status === 503)).toBe(true);
    expect(statuses.slice(firstOk).every((status) => status === 200)).toBe(true);
    for (const body of bodies) {
      expect(body).toEqual({
        retryAfter: '1',
        error: { code: 'STARTING', message: expect.any(String), details: [] },
      });
    }
    expect(internalHealth).toBe(200);
  });

  it('holds its data dir: a second stack on it is refused, a stopped one frees it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-stack-lock-'));
    try {
      stack = await start({ dataDir });

      await expect(start({ dataDir })).rejects.toBeInstanceOf(DataDirInUseError);
      expect((await send(`${stack.url}/health`)).status).toBe(200);
      await stack.stop();
      stack = undefined;
      expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
      stack = await start({ dataDir });
      expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(true);
    } finally {
      await stack?.stop();
      stack = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('takes up at start a marketplace order the previous run queued and did not process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-stack-bus-'));
    let failures = 0;
    const failing = (definition: FunctionDefinition) =>
      definition.name === 'AcceptMarketplaceOrder'
        ? async () => {
            failures += 1;
            throw new Error('intake down');
          }
        : fakes.loadHandler(definition);
    const intake = recorder<{
      Records: { body: string; attributes: { ApproximateReceiveCount: string } }[];
    }>();
    const working = (definition: FunctionDefinition) =>
      definition.name === 'AcceptMarketplaceOrder' ? intake : fakes.loadHandler(definition);
    try {
      // The same table prefix for both runs: the queues, like the stream checkpoints, are per prefix.
      const tablePrefix = `b${Math.random().toString(36).slice(2, 8)}-`;
      stack = await start({ dataDir, tablePrefix, loadHandler: failing, queueVisibilityTimeoutMs: 60_000 });
      const client = new EventBridgeClient({
        endpoint: stack.eventBridgeEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'marketplace-acme', secretAccessKey: 'local' },
      });
      const put = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'commerce',
              Source: 'marketplace.acme',
              DetailType: 'MarketplaceOrderPlaced',
              Detail: JSON.stringify({ marketplaceOrderId: 'ACME-1' }),
            },
          ],
        }),
      );
      client.destroy();
      const first = stack;
      const queued = first.queues.get('MarketplaceOrders')!.queue;
      await waitFor(
        () => failures === 1 && queued.messages()[0]?.receiveCount === 1,
        'the first attempt to fail',
      );
      expect(first.bus.events()[0]?.deliveries).toEqual([
        expect.objectContaining({ target: 'queue:MarketplaceOrders', status: 'delivered' }),
      ]);
      await stack.stop();
      stack = undefined;

      stack = await start({ dataDir, tablePrefix, loadHandler: working });
      await waitFor(() => intake.calls.length > 0, 'the resumed delivery');

      const records = intake.calls.flatMap((call) => call.event.Records);
      expect(records.map((record) => (JSON.parse(record.body) as { id: string }).id)).toEqual([
        put.Entries?.[0]?.EventId,
      ]);
      // The failed receive counted: this is the message's second.
      expect(records[0]?.attributes.ApproximateReceiveCount).toBe('2');
      await waitFor(
        () => stack?.queues.get('MarketplaceOrders')?.queue.depth().inFlight === 0,
        'the batch to end',
      );
      expect(
        readdirSync(join(dataDir, `queue-${tablePrefix}MarketplaceOrders`)).filter((f) =>
          f.endsWith('.json'),
        ),
      ).toEqual([]);
    } finally {
      await stack?.stop();
      stack = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps a stream batch the publisher gave up on, records included, and replays it through Lambda Invoke', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-stack-stream-'));
    let broken = true;
    const replayed: DynamoDBStreamEvent[] = [];
    const loadHandler = (definition: FunctionDefinition): LocalHandler =>
      definition.name === 'PublishEvents'
        ? async (event) => {
            if (broken) throw new Error('the bus is unreachable');
            replayed.push(event as DynamoDBStreamEvent);
            return { batchItemFailures: [] };
          }
        : fakes.loadHandler(definition);
    const tablePrefix = `r${Math.random().toString(36).slice(2, 8)}-`;
    const failures = new LocalStreamFailureStore(join(dataDir, `stream-failures-${tablePrefix}`));
    try {
      stack = await start({
        dataDir,
        tablePrefix,
        loadHandler,
        streamRetry: { maxRetries: 1, retryDelayMs: 10 },
      });
      const put = await send(`${stack.url}/locations/store-9`, {
        method: 'PUT',
        headers: await callerHeaders(stack.url, 'local-ops'),
        body: '{"name":"Nine"}',
      });
      expect(put.status).toBe(200);
      const [file] = await waitFor(async () => {
        const files = await failures.list();
        return files.length > 0 && files;
      }, 'the batch to be set aside');
      const document = JSON.parse(readFileSync(file!, 'utf8'));
      expect(document).toMatchObject({
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
        DDBStreamBatchInfo: {
          batchSize: 1,
          streamArn: expect.stringContaining(String(stack.tableNames.inventory)),
        },
      });

      // Only the system's credentials may invoke.
      const foreign = new LambdaClient({
        endpoint: `${stack.url}/_aws/lambda`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'marketplace-acme', secretAccessKey: 'x' },
      });
      await expect(
        foreign.send(new InvokeCommand({ FunctionName: 'PublishEvents', Payload: Buffer.from('{}') })),
      ).rejects.toMatchObject({ name: 'AccessDeniedException' });
      foreign.destroy();

      broken = false;
      const lambda = new LambdaClient({
        endpoint: `${stack.url}/_aws/lambda`,
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
      });
      const summary = await replayStreamFailures(
        {
          source: { kind: 'dir', dir: join(dataDir, `stream-failures-${tablePrefix}`) },
          functionName: 'PublishEvents',
          delete: true,
        },
        { lambda },
        () => undefined,
      );
      lambda.destroy();

      expect(summary).toMatchObject({ replayed: 1, failed: 0, deleted: 1 });
      expect(replayed.flatMap((event) => event.Records).map((r) => r.dynamodb?.Keys?.PK?.S)).toEqual([
        'LOCATION#store-9',
      ]);
      expect(await failures.list()).toEqual([]);
    } finally {
      await stack?.stop();
      stack = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('seeds the demo network through the API when asked', async () => {
    stack = await start({ seed: true });

    expect(fakes.calls.puts.calls).toHaveLength(
      demoNetwork.categories.length +
        demoNetwork.products.length +
        demoNetwork.prices.length +
        demoNetwork.priceRules.length +
        demoNetwork.promotions.length +
        demoNetwork.inventory.length +
        demoNetwork.channelRules.length,
    );
    expect(stack.timings.seedMs).toBeGreaterThanOrEqual(0);
  });

  it('fails to start when the API refuses the seed, and releases what it started', async () => {
    const port = await freePort();
    const refuseLocations = (definition: FunctionDefinition) =>
      definition.name === 'PutLocation'
        ? async () => ({ statusCode: 501, body: '' })
        : fakes.loadHandler(definition);

    await expect(start({ port, seed: true, loadHandler: refuseLocations })).rejects.toBeInstanceOf(SeedError);

    expect(process.env[ENV.eventBridgeEndpoint]).toBeUndefined();
    stack = await start({ port });
    expect(stack.port).toBe(port);
  });

  it('refuses a port that is taken, with a message that says so', async () => {
    stack = await start();

    await expect(start({ port: stack.port })).rejects.toThrow(/already in use/);
  });

  it('keeps data and stream progress in the data dir across a restart of DynamoDB Local', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-stack-'));
    try {
      stack = await start({ dataDir, dynamodbEndpoint: undefined, tablePrefix: 'commerce-' });
      await send(`${stack.url}/locations/before`, {
        method: 'PUT',
        headers: await callerHeaders(stack.url, 'local-ops'),
        body: '{}',
      });
      const first = stack;
      await waitFor(
        () => first.bus.events({ detailType: 'LocationChanged' }).length === 1,
        'the first event',
      );
      await stack.stop();

      stack = await start({ dataDir, dynamodbEndpoint: undefined, tablePrefix: 'commerce-' });
      await send(`${stack.url}/locations/after`, {
        method: 'PUT',
        headers: await callerHeaders(stack.url, 'local-ops'),
        body: '{}',
      });
      const second = stack;
      await waitFor(
        () => second.bus.events({ detailType: 'LocationChanged' }).length >= 1,
        'the second event',
      );
      await second.bus.whenIdle();

      expect(
        second.bus.events({ detailType: 'LocationChanged' }).map((record) => record.event.detail),
      ).toEqual([{ key: 'LOCATION#after', change: 'INSERT' }]);
      expect(readdirSync(dataDir)).toEqual(
        expect.arrayContaining(['shared-local-instance.db', 'stream-checkpoints-commerce-.json']),
      );
    } finally {
      await stack?.stop();
      stack = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
