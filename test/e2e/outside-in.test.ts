import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { freePort } from '../../local/dynamodb';

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

const ROOT = resolve(__dirname, '../..');
const SKU = 'TEE-CREW-WHT-L'; // 450 units at dc-daventry in the demo network
const address = { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A wait that does not keep Jest alive once the test is over (for races against a process exit). */
const unrefSleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

interface Run {
  child: ChildProcess;
  port: number;
  spawnedAt: number;
  output: () => string;
  exited: Promise<number | null>;
}

interface Row {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
  comm: string;
}

/** The process table, as `ps` shows it to anyone on the machine. */
function processes(): Row[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,stat=,comm='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 5)
    .map(([pid, ppid, pgid, stat, comm]) => ({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      stat: stat!,
      comm: comm!,
    }));
}

/** Still there and not a zombie (a killed process its dead parent's init has not reaped yet). */
function alive(pid: number): boolean {
  return processes().some((row) => row.pid === pid && !row.stat.startsWith('Z'));
}

const runs: Run[] = [];
const engines = new Set<number>();
let dataDir: string;
let port: number;
const figures: Record<string, string> = {};

/** `npm start` exactly as the README says, with PORT and a data directory. */
function npmStart(runPort: number): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(runPort) };
  for (const name of ['NODE_ENV', 'JEST_WORKER_ID', 'TEST_DYNAMODB_ENDPOINT']) delete env[name];
  const child = spawn('npm', ['start', '--', '--data-dir', dataDir], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const run: Run = {
    child,
    port: runPort,
    spawnedAt: Date.now(),
    output: () => output,
    exited: new Promise((done) => child.once('exit', (code) => done(code))),
  };
  runs.push(run);
  return run;
}

/** The server's node processes (npm → sh → tsx → node share the group `npm start` leads). */
function nodeProcesses(run: Run): number[] {
  return processes()
    .filter((row) => row.pgid === run.child.pid && row.comm === 'node')
    .map((row) => row.pid);
}

/** DynamoDB Local JVMs whose parent is one of the server's node processes. */
function enginesOf(run: Run): number[] {
  const servers = new Set(nodeProcesses(run));
  const found = processes()
    .filter((row) => row.comm === 'java' && servers.has(row.ppid))
    .map((row) => row.pid);
  for (const pid of found) engines.add(pid);
  return found;
}

async function request(
  path: string,
  options: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.key ? { 'x-api-key': options.key } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the failure message
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}

/**
 * Sends GET /health and an API key'd GET /locations from before the port listens until both answer
 * 200; returns every answer in order and when the first connection was accepted.
 */
async function probeUntilReady(run: Run, timeoutMs = 90_000) {
  const answers: { status: number; body: unknown; retryAfter: string | null }[] = [];
  let firstAnswerAt: number | undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) {
      throw new Error(`npm start did not become ready within ${timeoutMs} ms:\n${run.output()}`);
    }
    const round = await Promise.all([
      request('/health').catch(() => undefined),
      request('/locations', { key: 'local-ops' }).catch(() => undefined),
    ]);
    for (const answer of round) {
      if (!answer) continue;
      firstAnswerAt ??= Date.now();
      answers.push(answer);
    }
    if (round.every((answer) => answer?.status === 200)) {
      return { answers, firstAnswerAt: firstAnswerAt!, readyAt: Date.now() };
    }
    await sleep(25);
  }
}

function expectStartingThenReady(answers: { status: number; body: unknown; retryAfter: string | null }[]) {
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
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
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
