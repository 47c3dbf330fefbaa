import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { freePort } from '../../local/dynamodb';
import {
  type Answer,
  alive,
  enginesOf as enginesOfRun,
  nodeProcesses,
  probeUntilReady,
  type Run,
  request as requestOn,
  sleep,
  npmStart as startSystem,
  unrefSleep,
} from './system';

/**
 * The embedded default as a user meets it: `npm start` in a child process of its own, a port from
 * PORT, a data directory of its own, and nothing but public signals: HTTP, the AWS SDK's EventBridge
 * client with the README's local credentials, and the process table. No ready hook of the runtime.
 *
 * It starts the system, sends requests from the first moment the port accepts a connection, takes
 * orders and a marketplace event right up to a `kill -9` of every node process of the server,
 * checks the engine goes with them, restarts on the same data and finds everything it was told was
 * accepted.
 */

const SKU = 'TEE-CREW-WHT-L'; // 450 units at dc-daventry in the demo network
const address = { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' };

const runs: Run[] = [];
const engines = new Set<number>();
let dataDir: string;
let port: number;
const figures: Record<string, string> = {};

/** `npm start` exactly as the README says, with PORT and a data directory. */
function npmStart(runPort: number): Run {
  const run = startSystem(runPort, ['--data-dir', dataDir]);
  runs.push(run);
  return run;
}

/** DynamoDB Local JVMs of a run, remembered so that the suite kills any left behind. */
function enginesOf(run: Run): number[] {
  const found = enginesOfRun(run);
  for (const pid of found) engines.add(pid);
  return found;
}

const request = (path: string, options: Parameters<typeof requestOn>[2] = {}) =>
  requestOn(port, path, options);

function expectStartingThenReady(answers: Answer[]) {
  const statuses = answers.map((answer) => answer.status);
  expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
  const firstOk = statuses.indexOf(200);
  expect(statuses.slice(0, firstOk).every((status) => status === 503)).toBe(true);
  for (const answer of answers.filter((one) => one.status === 503)) {
    expect(answer.retryAfter).toBe('1');
    expect(answer.body).toEqual({ error: { code: 'STARTING', message: expect.any(String), details: [] } });
  }
}

const postOrder = (channelOrderId: string) =>
  request('/orders', {
    method: 'POST',
    key: 'local-web',
    headers: { 'Idempotency-Key': randomUUID() },
    body: {
      channelOrderId,
      customer: { email: 'ada@example.com' },
      lines: [{ sku: SKU, quantity: 1 }],
      delivery: { type: 'ship', address },
    },
  });

beforeAll(async () => {
  dataDir = mkdtempSync(resolve(tmpdir(), 'outside-in-'));
  port = await freePort();
});

afterAll(async () => {
  for (const run of runs) {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pid of engines) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all(runs.map((run) => Promise.race([run.exited, unrefSleep(5_000)])));
  rmSync(dataDir, { recursive: true, force: true });
  if (Object.keys(figures).length > 0) {
    process.stdout.write(
      `\noutside-in figures: ${Object.entries(figures)
        .map(([name, value]) => `${name} ${value}`)
        .join('; ')}\n`,
    );
  }
});

describe('npm start, outside in', () => {
  let first: Run;
  const acceptedOrders: string[] = [];
  const marketplaceOrderId = `ACME-${randomUUID().slice(0, 8)}`;
  let marketplaceEventId: string | undefined;

  it('answers 503 STARTING from the first accepted connection, then serves; never another 5xx', async () => {
    first = npmStart(port);

    const { answers, firstAnswerAt, readyAt } = await probeUntilReady(first);

    expectStartingThenReady(answers);
    expect(answers[0]?.status).toBe(503);
    // Ready means seeded: the demo network is there on the first 200.
    const locations = answers.filter((answer) => answer.status === 200).map((answer) => answer.body);
    expect(locations).toContainEqual({
      items: expect.arrayContaining([expect.objectContaining({ locationId: 'dc-daventry' })]),
    });
    figures['first connection after spawn'] = `${((firstAnswerAt - first.spawnedAt) / 1000).toFixed(1)} s`;
    figures['ready after spawn (seeded)'] = `${((readyAt - first.spawnedAt) / 1000).toFixed(1)} s`;
    figures['503s while starting'] = String(answers.filter((answer) => answer.status === 503).length);
  }, 120_000);

  it('refuses a second start on the same data directory while the first runs, and says why', async () => {
    const second = npmStart(await freePort());

    const code = await Promise.race([second.exited, unrefSleep(60_000).then(() => 'still running')]);

    expect(code).not.toBe(0);
    expect(code).not.toBe('still running');
    expect(second.output()).toContain(`The data directory ${dataDir} is in use by another local runtime`);
    expect((await request('/health')).status).toBe(200);
  }, 90_000);

  it('takes the engine down within 3 s of a kill -9 of every node process of the server', async () => {
    const servers = nodeProcesses(first);
    const engine = enginesOf(first);
    expect(servers.length).toBeGreaterThan(0);
    expect(engine).toHaveLength(1);

    // Orders keep coming from 4 clients right up to the kill; only those answered 201 count.
    let taking = true;
    const clients = Array.from({ length: 4 }, async (_, client) => {
      for (let n = 0; taking; n += 1) {
        const answer = await postOrder(`OI-${client}-${n}-${randomUUID().slice(0, 4)}`).catch(
          () => undefined,
        );
        if (!answer) return; // the server is gone
        if (answer.status === 201) acceptedOrders.push((answer.body as { orderId: string }).orderId);
        else if (taking) throw new Error(`an order got ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    });
    while (acceptedOrders.length < 20) await sleep(10);
    const bus = new EventBridgeClient({
      endpoint: `http://127.0.0.1:${port}/_aws/eventbridge`,
      region: 'us-east-1',
      // A marketplace signs with its own role's credentials (locally, its access key id names it).
      credentials: { accessKeyId: 'marketplace-acme', secretAccessKey: 'local' },
    });
    const put = await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: 'commerce',
            Source: 'marketplace.acme',
            DetailType: 'MarketplaceOrderPlaced',
            Detail: JSON.stringify({
              marketplaceOrderId,
              customer: { email: 'buyer@example.com' },
              lines: [{ sku: SKU, quantity: 1 }],
              delivery: { type: 'ship', address },
            }),
          },
        ],
      }),
    );
    for (const pid of servers) process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    taking = false;
    bus.destroy();
    expect(put.FailedEntryCount).toBe(0);
    marketplaceEventId = put.Entries?.[0]?.EventId;

    while (alive(engine[0]!) && Date.now() - killedAt < 3_000) await sleep(10);
    const survivedMs = Date.now() - killedAt;

    expect(alive(engine[0]!)).toBe(false);
    expect(survivedMs).toBeLessThan(3_000);
    await Promise.all(clients);
    figures['engine gone after kill -9'] = `${survivedMs} ms`;
    figures['orders answered 201 before the kill'] = String(acceptedOrders.length);
  }, 90_000);

  it('restarts on the same data directory: 503 then 200, and every order answered 201 is there', async () => {
    const restart = npmStart(port);

    const { answers, readyAt } = await probeUntilReady(restart);

    expectStartingThenReady(answers);
    figures['restart ready after spawn'] = `${((readyAt - restart.spawnedAt) / 1000).toFixed(1)} s`;
    expect(restart.output()).toContain('demo network already loaded');
    const found = await Promise.all(
      acceptedOrders.map((orderId) => request(`/orders/${orderId}`, { key: 'local-web' })),
    );
    expect(found.filter((answer) => answer.status !== 200)).toEqual([]);
    expect(found.map((answer) => (answer.body as { orderId: string }).orderId)).toEqual(acceptedOrders);
  }, 120_000);

  it('never loses the MarketplaceOrderPlaced accepted just before the kill: it becomes an order', async () => {
    expect(marketplaceEventId).toEqual(expect.any(String));
    const deadline = Date.now() + 20_000;
    let items: { channelOrderId: string; channel: string }[] = [];
    while (Date.now() < deadline) {
      const answer = await request(`/orders?channelOrderId=${marketplaceOrderId}`, {
        key: 'local-marketplace',
      });
      items = (answer.body as { items: typeof items }).items;
      if (items.length > 0) break;
      await sleep(100);
    }

    expect(items).toEqual([
      expect.objectContaining({ channel: 'marketplace', channelOrderId: marketplaceOrderId }),
    ]);
    const events = (await request(`/_local/events?detailType=MarketplaceOrderPlaced`)).body as {
      events: { event: { id: string }; resumed?: boolean }[];
    };
    const resumed = events.events.some((record) => record.event.id === marketplaceEventId && record.resumed);
    figures['marketplace event'] = resumed
      ? 'delivered after the restart (resumed)'
      : 'delivered before the kill';
  }, 60_000);

  it('stops on Ctrl-C (SIGINT to the group) and takes the engine with it', async () => {
    const last = runs[runs.length - 1]!;
    const engine = enginesOf(last);
    expect(engine).toHaveLength(1);

    const servers = nodeProcesses(last);
    const stopping = Date.now();
    process.kill(-last.child.pid!, 'SIGINT');
    while (servers.some(alive) && Date.now() - stopping < 20_000) await sleep(20);
    const stoppedMs = Date.now() - stopping;

    // The engine shuts down on SIGTERM (so that it keeps every acknowledged write): give it the same
    // 3 s as after a kill -9.
    const serversGone = Date.now();
    while (alive(engine[0]!) && Date.now() - serversGone < 3_000) await sleep(20);

    expect(servers.filter(alive)).toEqual([]);
    expect(alive(engine[0]!)).toBe(false);
    figures['clean stop (Ctrl-C)'] = `${(stoppedMs / 1000).toFixed(1)} s`;
  }, 60_000);
});
