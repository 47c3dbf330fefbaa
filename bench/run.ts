/**
 * `npm run bench`: starts the embedded system in a child process (as `npm start --in-memory
 * --no-seed` would) and drives it over HTTP from this process, like channels would. Prints
 * availability and order-intake latency (p50, p99) at 20 concurrent clients, orders per second, and
 * the oversell count of a hot-SKU run; then the AWS requests, capacity and cost of each operation
 * (`cost.ts`). Figures, not pass/fail: a noisy machine moves them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { callerHeaders, type IssuedClientCredentials, issuedClientHeaders } from '../local/dev-credentials';
import { freePort } from '../local/dynamodb';
import { measureQuote } from '../test/fixtures/pricing/quote-bench';
import { benchCost } from './cost';
import { benchSourcing } from './sourcing';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const AVAILABILITY_REQUESTS = Number(process.env.BENCH_AVAILABILITY_REQUESTS ?? 4000);
const ORDER_REQUESTS = Number(process.env.BENCH_ORDER_REQUESTS ?? 2000);
const HOT_ORDERS = 500;
const HOT_STOCK = 100;
const SKUS = 200;
const CATEGORIES = 8;
const QUOTE_REQUESTS = Number(process.env.BENCH_QUOTE_REQUESTS ?? 1000);

let base = '';
/** The OAuth client of each location whose systems the bench plays, as `POST /locations/{id}/clients` issued it. */
const locationClients: Record<string, IssuedClientCredentials> = {};
const FULFILMENT_ORDERS = Number(process.env.BENCH_FULFILMENT_ORDERS ?? 100);

async function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(await callerHeaders(base, key)),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function startSystem(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), resolve(__dirname, '../local/start.ts'), '--in-memory', '--no-seed'],
    {
      env: {
        ...process.env,
        PORT: String(port),
        POWERTOOLS_LOG_LEVEL: 'WARN',
        NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((ready, fail) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error(`The system did not start within 120 s:\n${out}`)),
      120_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/Ready in/.test(out)) {
        clearTimeout(timer);
        ready(child);
      }
    });
    child.on('exit', (code) => fail(new Error(`The system exited with code ${code}:\n${out}`)));
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/** Runs `total` requests from `clients` concurrent loops; returns latencies (ms) and statuses. */
async function load(total: number, clients: number, request: (i: number) => Promise<number>) {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const status = await request(i);
        latencies.push(performance.now() - t0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: total / seconds,
    statuses: Object.fromEntries(statuses),
  };
}

const address = {
  line1: '1 Main St',
  city: 'London',
  postalCode: 'E1 6AN',
  country: 'GB',
  lat: 51.52,
  lon: -0.07,
};
const sku = (i: number) => `BENCH-${String(i).padStart(4, '0')}`;

/** One order of one unit of the i-th SKU, shipped to the London address. */
const placeOrder = (i: number) =>
  call(
    'POST',
    '/orders',
    'local-web',
    {
      customer: { email: 'bench@example.com' },
      lines: [{ sku: sku(i % SKUS), quantity: 1 }],
      delivery: { type: 'ship', address },
    },
    { 'Idempotency-Key': randomUUID() },
  );

async function seed() {
  const locations: [string, string, number, number, string[], number][] = [
    ['LON-1', 'store', 51.5154, -0.1419, ['ship', 'pickup'], 50],
    ['MAN-1', 'store', 53.4808, -2.2426, ['ship', 'pickup'], 50],
    ['BHM-1', 'store', 52.4797, -1.9026, ['ship', 'pickup'], 50],
    ['DC-DAV', 'dc', 52.2569, -1.1617, ['ship'], 10],
    ['DC-LDS', 'dc', 53.7997, -1.5492, ['ship'], 20],
  ];
  for (const [id, type, lat, lon, fulfils, priority] of locations) {
    await call('PUT', `/locations/${id}`, 'local-ops', {
      name: id,
      type,
      geo: { lat, lon },
      postalCode: 'X1 1XX',
      country: 'GB',
      fulfils,
      priority,
    });
    locationClients[id] = (await call('POST', `/locations/${id}/clients`, 'local-ops')).body;
  }
  // Every SKU sold is a priced product of every channel (the intakes refuse what the catalog does not
  // know or the price book cannot price), in eight categories for category-scoped promotions.
  for (let c = 0; c < CATEGORIES; c++)
    await call('PUT', `/categories/bench.c${c}`, 'local-ops', { name: `Bench ${c}`, requiredAttributes: [] });
  const skus = [...Array.from({ length: SKUS }, (_, i) => sku(i)), 'HOT-SKU'];
  const products = skus.map((id, i) => ({
    sku: id,
    title: id,
    brand: 'Bench',
    category: `bench.c${i % CATEGORIES}`,
    channels: ['web', 'app', 'store', 'marketplace', 'callcenter'],
  }));
  const imported = await call('POST', '/product-imports', 'local-ops', { products });
  if (imported.body?.summary?.created !== products.length)
    throw new Error(`seeding products: ${JSON.stringify(imported.body).slice(0, 300)}`);
  await load(skus.length, 10, async (i) => {
    const amount = 500 + ((i * 37) % 9_500);
    return (await call('PUT', `/prices/${skus[i]}`, 'local-ops', { prices: [{ currency: 'GBP', amount }] }))
      .status;
  });
  await load(SKUS * 2, 10, async (i) => {
    const location = i % 2 === 0 ? 'DC-DAV' : 'LON-1';
    return (
      await call('PUT', `/inventory/${sku(Math.floor(i / 2))}/${location}`, 'local-ops', {
        onHand: 1_000_000,
        safetyStock: 5,
      })
    ).status;
  });
}

const fmt = (n: number) => n.toFixed(1);

/**
 * CPU seconds used so far by the load generator (this process), the server (the child) and
 * DynamoDB Local (the server's JVM), from /proc: where a phase's time goes on this machine. Linux
 * only; elsewhere empty.
 */
function cpuSeconds(serverPid: number | undefined): Record<string, number> {
  if (process.platform !== 'linux' || serverPid === undefined) return {};
  const stat = (pid: string) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / 100, comm: text };
    } catch {
      return undefined;
    }
  };
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => ({ pid: Number(pid), ...stat(pid) }))
    .filter((p) => p.cpu !== undefined);
  const descendants = new Set([serverPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (p.ppid !== undefined && descendants.has(p.ppid) && !descendants.has(p.pid)) {
        descendants.add(p.pid);
        grew = true;
      }
    }
  }
  let jvm = 0;
  let server = 0;
  for (const p of all) {
    if (!descendants.has(p.pid)) continue;
    if (p.comm?.includes('(java)')) jvm += p.cpu ?? 0;
    else server += p.cpu ?? 0;
  }
  return { 'DynamoDB Local': jvm, server, 'load generator': stat(String(process.pid))?.cpu ?? 0 };
}

/** How a phase's CPU was spent, as a line: seconds per process and the share of both cores. */
function cpuLine(before: Record<string, number>, after: Record<string, number>, seconds: number): string {
  const parts = Object.keys(after).map((k) => `${k} ${fmt((after[k] ?? 0) - (before[k] ?? 0))} s`);
  const used = Object.keys(after).reduce((s, k) => s + (after[k] ?? 0) - (before[k] ?? 0), 0);
  return parts.length === 0
    ? ''
    : `CPU in ${fmt(seconds)} s: ${parts.join(', ')} (${fmt((100 * used) / (seconds * cpus().length))} % of ${cpus().length} cores)`;
}

/**
 * Until the stream publisher has caught up (no new bus events for 2 s): latency is measured on a
 * system that is not still working through the seed's and the warm-up's streams.
 */
async function settle() {
  let last = -1;
  for (let stable = 0; stable < 2; ) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const events = (await call('GET', '/_local/events?limit=1000000', 'local-ops')).body.events.length;
    stable = events === last ? stable + 1 : 0;
    last = events;
  }
}

/** Polls `check` every 10 ms until it gives a value; the time it took, in ms. */
async function timeUntil(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error('fulfilment step did not happen in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

/** Marketplace orders measured: how many, from how many concurrent marketplace integrations. */
const MARKETPLACE_ORDERS = Number(process.env.BENCH_MARKETPLACE_ORDERS ?? 200);

/**
 * Marketplace orders as a marketplace sends them: PutEvents signed with its role's credentials, then
 * the rule → the `MarketplaceOrders` queue → AcceptMarketplaceOrder (batches of 10) → the order
 * listed. Measures the PutEvents answer and the time until the order can be read.
 */
async function benchMarketplace(clients: number) {
  const bus = new EventBridgeClient({
    endpoint: `${base}/_aws/eventbridge`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'marketplace-acme', secretAccessKey: 'local' },
  });
  const run = randomUUID().slice(0, 8);
  const toOrder: number[] = [];
  const put: number[] = [];
  let failedPuts = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < MARKETPLACE_ORDERS) {
        const i = next++;
        const id = `BENCH-${run}-${i}`;
        const t0 = performance.now();
        const answer = await bus.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: 'commerce',
                Source: 'marketplace.acme',
                DetailType: 'MarketplaceOrderPlaced',
                Detail: JSON.stringify({
                  marketplaceOrderId: id,
                  customer: { email: 'bench@example.com' },
                  lines: [{ sku: sku(i % SKUS), quantity: 1 }],
                  delivery: { type: 'ship', address },
                }),
              },
            ],
          }),
        );
        put.push(performance.now() - t0);
        if (answer.FailedEntryCount) failedPuts += 1;
        await timeUntil(
          async () =>
            (await call('GET', `/orders?channelOrderId=${id}`, 'local-ops')).body?.items?.length > 0,
        );
        toOrder.push(performance.now() - t0);
      }
    }),
  );
  bus.destroy();
  const seconds = (performance.now() - started) / 1000;
  put.sort((a, b) => a - b);
  toOrder.sort((a, b) => a - b);
  return [
    '| step | p50 ms | p99 ms |',
    '|---|---|---|',
    `| PutEvents answered (the order durably queued) | ${fmt(percentile(put, 50))} | ${fmt(percentile(put, 99))} |`,
    `| PutEvents → order readable (queue → intake) | ${fmt(percentile(toOrder, 50))} | ${fmt(percentile(toOrder, 99))} |`,
    `${MARKETPLACE_ORDERS} orders in ${seconds.toFixed(1)} s (${fmt(MARKETPLACE_ORDERS / seconds)} orders/s); failed PutEvents entries: ${failedPuts}`,
  ];
}

/**
 * Fulfilment through the workflows, as a store meets it: an order's work reaching the store's work
 * list (intake → stream → bus → execution → routing → group execution → work list), the store's
 * accept and ship answers (HTTP), and the ship answer to the order COMPLETED.
 */
async function benchFulfilment(clients: number) {
  const client = locationClients['LON-1'];
  if (!client) throw new Error('LON-1 has no client');
  // The store's systems: a token of the location's own client, no API key.
  const asStore = () => issuedClientHeaders(client);
  const answer = async (path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...(await asStore()), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    await response.text();
    return { status: response.status };
  };
  const orderOf = async (i: number) => (await placeOrder(i)).body.orderId as string;
  const view = async (orderId: string) => (await call('GET', `/orders/${orderId}`, 'local-ops')).body;
  const toWorkList: number[] = [];
  const accept: number[] = [];
  const ship: number[] = [];
  const toCompleted: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < FULFILMENT_ORDERS) {
        next++;
        const orderId = await orderOf(next);
        const groupId = `${orderId}-G1`;
        toWorkList.push(
          await timeUntil(async () => (await view(orderId)).groups?.[0]?.status === 'REQUESTED'),
        );
        let t0 = performance.now();
        await answer(`/locations/LON-1/work/${groupId}/accept`);
        accept.push(performance.now() - t0);
        // Until the group waits for its dispatch (the workflow asks for it right after the accept).
        for (;;) {
          t0 = performance.now();
          const shipped = await answer(`/locations/LON-1/work/${groupId}/ship`, {
            carrier: 'DPD',
            trackingNumber: groupId,
          });
          if (shipped.status === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        ship.push(performance.now() - t0);
        toCompleted.push(
          performance.now() -
            t0 +
            (await timeUntil(async () => (await view(orderId)).status === 'COMPLETED')),
        );
      }
    }),
  );
  const row = (name: string, values: number[]) => {
    values.sort((a, b) => a - b);
    return `| ${name} | ${fmt(percentile(values, 50))} | ${fmt(percentile(values, 99))} |`;
  };
  return [
    '| fulfilment step | p50 ms | p99 ms |',
    '|---|---|---|',
    row("order placed → in the store's work list", toWorkList),
    row('POST …/accept', accept),
    row('POST …/ship', ship),
    row('ship answered → order COMPLETED', toCompleted),
  ];
}

/**
 * Quotes over HTTP: 1,000 active promotions put through the API (60 % by SKU, 35 % by category, 5 %
 * everywhere; every kind; some exclusive, some limited), then a 50-line cart quoted by `clients`
 * concurrent web clients. In process, the same engine on the fixture.
 */
async function benchQuotes(clients: number) {
  const kinds = [
    (i: number) => ({ type: 'percentOff', bps: 500 + (i % 20) * 100 }),
    (i: number) => ({ type: 'amountOff', amount: { amount: 50 + (i % 200), currency: 'GBP' } }),
    () => ({ type: 'buyXGetY', buy: 2, get: 1 }),
    () => ({ type: 'orderPercentOff', bps: 500, minSubtotal: { amount: 5_000, currency: 'GBP' } }),
    () => ({ type: 'orderAmountOff', amount: { amount: 1_000, currency: 'GBP' } }),
  ];
  const started = performance.now();
  const statuses = await load(1000, 10, async (i) => {
    const roll = (i * 7919) % 100;
    const scope =
      roll < 60
        ? { skus: [sku((i * 13) % SKUS), sku((i * 29 + 1) % SKUS)] }
        : roll < 95
          ? { categories: [`bench.c${i % CATEGORIES}`] }
          : {};
    return (
      await call('PUT', `/promotions/BENCH-P${i}`, 'local-ops', {
        name: `Bench promotion ${i}`,
        channels: ['web', 'app', 'store', 'marketplace', 'callcenter'],
        scope,
        validFrom: '2026-01-01T00:00:00Z',
        kind: kinds[i % kinds.length]!(i),
        priority: (i * 31) % 1000,
        ...(i % 4 === 0 ? { exclusiveGroup: `G${i % 50}` } : {}),
        ...(i % 10 === 0 ? { limits: { total: 1_000_000 } } : {}),
      })
    ).status;
  });
  const seeded = `1,000 promotions put in ${fmt((performance.now() - started) / 1000)} s ${JSON.stringify(statuses.statuses)}`;
  const cart = {
    lines: Array.from({ length: 50 }, (_, i) => ({ sku: sku((i * 4) % SKUS), quantity: 1 + (i % 3) })),
  };
  await load(50, clients, async () => (await call('POST', '/quotes', 'local-web', cart)).status); // warm-up
  const http = await load(
    QUOTE_REQUESTS,
    clients,
    async () => (await call('POST', '/quotes', 'local-web', cart)).status,
  );
  const inProcess = measureQuote(5_000);
  return [
    `| POST /quotes, 50 lines, 1,000 promotions, ${clients} clients | ${fmt(http.p50)} | ${fmt(http.p99)} | ${fmt(http.perSecond)} | — | ${JSON.stringify(http.statuses)} |`,
    `| the engine in process, ${inProcess.lines} lines, ${inProcess.promotions} promotions | ${inProcess.p50.toFixed(2)} | ${inProcess.p99.toFixed(2)} | — | p99 < 10 ms | — |`,
    seeded,
  ];
}

/** `GET /offers` for 3 and 50 SKUs at `clients` concurrent clients. */
async function benchOffers(clients: number) {
  const rows: string[] = [];
  for (const n of [3, 50]) {
    const result = await load(
      2000,
      clients,
      async (i) =>
        (
          await call(
            'GET',
            `/offers?skus=${Array.from({ length: n }, (_, k) => sku((i + k * 3) % SKUS)).join(',')}`,
            'local-web',
          )
        ).status,
    );
    rows.push(
      `| GET /offers (${n} SKUs) | ${fmt(result.p50)} | ${fmt(result.p99)} | ${fmt(result.perSecond)} | — | ${JSON.stringify(result.statuses)} |`,
    );
  }
  return rows;
}

/** Imports `rows` products through the API in batches of 200, twice; rows per second each time. */
async function benchCatalogImport(rows: number) {
  await call('PUT', '/categories/bench.tees', 'local-ops', { name: 'Tees', requiredAttributes: ['size'] });
  const products = Array.from({ length: rows }, (_, i) => ({
    sku: `IMPORT-${i}`,
    title: `Tee ${i}`,
    brand: 'Bench',
    category: 'bench.tees',
    attributes: { size: ['S', 'M', 'L'][i % 3] },
    dimensions: {
      length: { value: 30, unit: 'cm' },
      width: { value: 20, unit: 'cm' },
      height: { value: 2, unit: 'cm' },
    },
    weight: { value: 170, unit: 'g' },
    channels: ['web', 'app', 'store'],
  }));
  const pass = async () => {
    const started = performance.now();
    const summary: Record<string, number> = {};
    for (let i = 0; i < products.length; i += 200) {
      const answer = await call('POST', '/product-imports', 'local-ops', {
        products: products.slice(i, i + 200),
      });
      for (const [k, v] of Object.entries(answer.body.summary as Record<string, number>))
        summary[k] = (summary[k] ?? 0) + v;
    }
    const seconds = (performance.now() - started) / 1000;
    return `${fmt(seconds)} s, ${fmt(rows / seconds)} rows/s, ${JSON.stringify(summary)}`;
  };
  const first = await pass();
  const second = await pass();
  return [`| first import (creates) | ${first} |`, `| same file again | ${second} |`];
}

async function main() {
  // The sourcing engine first, on a quiet machine: it is pure computation.
  await benchSourcing();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const system = await startSystem(port);
  console.log(
    `system ready in ${fmt((performance.now() - t0) / 1000)} s (DynamoDB Local in memory, no seed)`,
  );
  try {
    await seed();
    const availability = (i: number) =>
      call(
        'GET',
        `/availability?skus=${sku(i % SKUS)},${sku((i * 7) % SKUS)},${sku((i * 13) % SKUS)}`,
        'local-web',
      ).then((r) => r.status);
    const order = (i: number) => placeOrder(i).then((r) => r.status);

    await load(300, CLIENTS, availability); // warm-up: JIT of the JVM and of V8
    await load(200, CLIENTS, order);
    await settle();

    const cpu0 = cpuSeconds(system.pid);
    const availStarted = performance.now();
    const avail = await load(AVAILABILITY_REQUESTS, CLIENTS, availability);
    const availCpu = cpuLine(cpu0, cpuSeconds(system.pid), (performance.now() - availStarted) / 1000);
    await settle();
    const cpu1 = cpuSeconds(system.pid);
    const intakeStarted = performance.now();
    const intake = await load(ORDER_REQUESTS, CLIENTS, order);
    const intakeCpu = cpuLine(cpu1, cpuSeconds(system.pid), (performance.now() - intakeStarted) / 1000);

    await call('PUT', '/inventory/HOT-SKU/DC-DAV', 'local-ops', { onHand: HOT_STOCK });
    const hotStarted = performance.now();
    const hot = await Promise.all(
      Array.from({ length: HOT_ORDERS }, () =>
        call(
          'POST',
          '/orders',
          'local-app',
          {
            customer: { email: 'hot@example.com' },
            lines: [{ sku: 'HOT-SKU', quantity: 1 }],
            delivery: { type: 'ship', address },
          },
          { 'Idempotency-Key': randomUUID() },
        ),
      ),
    );
    const hotSeconds = (performance.now() - hotStarted) / 1000;
    const created = hot.filter((r) => r.status === 201).length;
    const refused = hot.filter((r) => r.status === 409).length;
    const other = hot.length - created - refused;
    const position = (await call('GET', '/inventory/HOT-SKU', 'local-ops')).body.positions[0];
    const availableAfter = (await call('GET', '/availability?skus=HOT-SKU', 'local-app')).body.items[0]
      .available;
    const oversell = Math.max(0, created - HOT_STOCK) + Math.max(0, position.reserved - position.onHand);
    const negatives = [position.onHand, position.reserved, position.available, availableAfter].filter(
      (n) => n < 0,
    ).length;

    console.log('');
    console.log(
      `connected-commerce bench — ${CLIENTS} concurrent clients, local stack, ${new Date().toISOString()}`,
    );
    console.log('');
    console.log('| measure | p50 ms | p99 ms | per second | target | statuses |');
    console.log('|---|---|---|---|---|---|');
    console.log(
      `| GET /availability (3 SKUs) | ${fmt(avail.p50)} | ${fmt(avail.p99)} | ${fmt(avail.perSecond)} | p99 < 50 ms | ${JSON.stringify(avail.statuses)} |`,
    );
    console.log(
      `| POST /orders (intake) | ${fmt(intake.p50)} | ${fmt(intake.p99)} | ${fmt(intake.perSecond)} orders/s | p99 < 150 ms | ${JSON.stringify(intake.statuses)} |`,
    );
    console.log('');
    if (availCpu) console.log(`availability: ${availCpu}`);
    if (intakeCpu) console.log(`intake (its stream work included): ${intakeCpu}`);
    console.log('');
    console.log(
      `hot SKU: ${HOT_ORDERS} concurrent orders for 1 unit of ${HOT_STOCK} → ${created} × 201, ${refused} × 409, ${other} other, ` +
        `in ${fmt(hotSeconds)} s; reserved ${position.reserved}, available ${availableAfter}`,
    );
    console.log(`oversell count: ${oversell}  (negative numbers seen: ${negatives})`);
    await settle();
    const quotes = await benchQuotes(CLIENTS);
    await settle();
    const offers = await benchOffers(CLIENTS);
    console.log('');
    console.log(
      `prices and offers — ${CLIENTS} concurrent clients (requests per offer read: see the cost table)`,
    );
    console.log('| measure | p50 ms | p99 ms | per second | target | statuses |');
    console.log('|---|---|---|---|---|---|');
    for (const line of [...quotes.slice(0, 2), ...offers]) console.log(line);
    console.log(quotes[2]);
    await settle();
    const catalog = await benchCatalogImport(1000);
    console.log('');
    console.log('catalog import — 1,000 products through POST /product-imports, 200 rows a request:');
    console.log('| pass | time, throughput, outcome |');
    console.log('|---|---|');
    for (const line of catalog) console.log(line);
    await settle();
    const fulfilment = await benchFulfilment(10);
    console.log('');
    console.log(
      `fulfilment — ${FULFILMENT_ORDERS} orders from 10 concurrent clients, each accepted and shipped by LON-1:`,
    );
    for (const line of fulfilment) console.log(line);
    await settle();
    const marketplace = await benchMarketplace(10);
    console.log('');
    console.log(
      `marketplace intake — ${MARKETPLACE_ORDERS} orders from 10 concurrent integrations over the bus:`,
    );
    for (const line of marketplace) console.log(line);
  } finally {
    const exited = new Promise((resolve) => system.once('exit', resolve));
    system.kill('SIGTERM');
    await exited;
  }
  if (process.env.BENCH_SKIP_COST !== '1') await benchCost();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
