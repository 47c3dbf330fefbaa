/**
 * What each operation costs on AWS, measured on the embedded system: the whole stack runs in this
 * process with metering on (every DynamoDB request asks for its consumed capacity; EventBridge
 * entries and function invocations are counted per function), then each operation is sent over
 * HTTP one at a time and everything it causes (the API function, the stream publisher, bus targets)
 * is counted until the system is quiet again. Prints requests and units per operation and, from the
 * price table in `prices.ts`, the cost per 1,000 orders and per million availability reads.
 */
import { randomUUID } from 'node:crypto';
import { callerHeaders } from '../local/dev-credentials';
import { PRICES } from './prices';

type Usage = import('../shared/platform/metering').Usage;

const ROUNDS = Number(process.env.BENCH_COST_ROUNDS ?? 20);
const SKUS = 60;
const sku = (i: number) => `COST-${String(i).padStart(3, '0')}`;

export interface OperationCost {
  name: string;
  /** Per operation, the function the API invoked. */
  api: Usage;
  /** Per operation, everything that followed (stream publisher, bus targets). */
  downstream: Usage;
  dollars: number;
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

export async function benchCost(): Promise<OperationCost[]> {
  // Before the handlers load: their clients are created (and metered) when their modules load.
  process.env.COMMERCE_METER = '1';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const { startLocalStack } = await import('../local/stack');
  const { meter } = await import('../shared/platform/metering');
  const { functions } = await import('../shared/platform/definitions');
  const { FUNCTION_DEFAULTS } = await import('../shared/platform/definition');
  const scheduled = new Set(functions.filter((f) => f.trigger.kind === 'schedule').map((f) => f.name));
  const memoryMb = (name: string) =>
    functions.find((f) => f.name === name)?.memoryMb ?? FUNCTION_DEFAULTS.memoryMb;
  const stack = await startLocalStack({ port: 0, inMemory: true, quiet: true });
  const call = async (method: string, path: string, key: string, body?: unknown, headers = {}) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        ...(await callerHeaders(stack.url, key)),
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (response.status >= 400)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json().catch(() => undefined);
  };
  /** Until nothing but the schedules has touched AWS for 500 ms. */
  const quiet = async () => {
    await stack.bus.whenIdle();
    let last = -1;
    for (;;) {
      const now = meter.total((name) => !scheduled.has(name));
      if (now === last) return;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  try {
    for (const [id, type, fulfils] of [
      ['LON-1', 'store', ['ship', 'pickup']],
      ['MAN-1', 'store', ['ship', 'pickup']],
      ['DC-1', 'dc', ['ship']],
    ] as const) {
      await call('PUT', `/locations/${id}`, 'local-ops', {
        name: id,
        type,
        geo: { lat: 52, lon: -1 },
        postalCode: 'X1 1XX',
        country: 'GB',
        fulfils,
      });
    }
    await call('PUT', '/categories/general', 'local-ops', { name: 'General', requiredAttributes: [] });
    await call('POST', '/product-imports', 'local-ops', {
      products: Array.from({ length: SKUS }, (_, i) => ({
        sku: sku(i),
        title: sku(i),
        brand: 'Bench',
        category: 'general',
        channels: ['web', 'app', 'store', 'marketplace', 'callcenter'],
      })),
    });
    for (let i = 0; i < SKUS; i++) {
      await call('PUT', `/prices/${sku(i)}`, 'local-ops', {
        prices: [{ currency: 'GBP', amount: 1000 + i }],
      });
      await call('PUT', `/inventory/${sku(i)}/DC-1`, 'local-ops', { onHand: 100_000, safetyStock: 2 });
      await call('PUT', `/inventory/${sku(i)}/LON-1`, 'local-ops', { onHand: 50 });
    }
    await quiet();

    const address = { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' };
    const operations: { name: string; api: string; run: (i: number) => Promise<unknown> }[] = [
      ...[1, 3, 50].map((n) => ({
        name: `availability, ${n} SKU${n > 1 ? 's' : ''}`,
        api: 'GetAvailability',
        run: (i: number) =>
          call(
            'GET',
            `/availability?skus=${Array.from({ length: n }, (_, k) => sku((i + k) % SKUS)).join(',')}`,
            'local-web',
          ),
      })),
      ...[3, 50].map((n) => ({
        name: `offers, ${n} SKUs`,
        api: 'GetOffers',
        run: (i: number) =>
          call(
            'GET',
            `/offers?skus=${Array.from({ length: n }, (_, k) => sku((i + k) % SKUS)).join(',')}`,
            'local-web',
          ),
      })),
      {
        name: 'quote, 3 lines',
        api: 'CreateQuote',
        run: (i: number) =>
          call('POST', '/quotes', 'local-web', {
            lines: [0, 1, 2].map((k) => ({ sku: sku((i * 3 + k) % SKUS), quantity: 1 })),
          }),
      },
      {
        name: 'order, 1 line',
        api: 'PlaceOrder',
        run: (i) =>
          call(
            'POST',
            '/orders',
            'local-web',
            {
              customer: { email: 'c@example.com' },
              lines: [{ sku: sku(i), quantity: 1 }],
              delivery: { type: 'ship', address },
            },
            { 'Idempotency-Key': randomUUID() },
          ),
      },
      {
        name: 'order, 3 lines',
        api: 'PlaceOrder',
        run: (i) =>
          call(
            'POST',
            '/orders',
            'local-web',
            {
              customer: { email: 'c@example.com' },
              lines: [0, 1, 2].map((k) => ({ sku: sku((i * 3 + k) % SKUS), quantity: 1 })),
              delivery: { type: 'ship', address },
            },
            { 'Idempotency-Key': randomUUID() },
          ),
      },
      {
        name: 'hold, 1 line',
        api: 'PlaceHold',
        run: (i) =>
          call('POST', '/holds', 'local-web', {
            lines: [{ sku: sku(i), quantity: 1 }],
            delivery: { type: 'ship', address },
            expiresInSeconds: 3600,
          }),
      },
      {
        name: 'count (POS, as of its time)',
        api: 'CountInventory',
        run: (i) =>
          call('PUT', `/inventory/${sku(i)}/LON-1`, 'local-ops', {
            onHand: 40 + i,
            countedAt: new Date().toISOString(),
            sourceSystem: 'pos-lon-1',
            sourceEventId: `count-${randomUUID()}`,
          }),
      },
    ];

    const results: OperationCost[] = [];
    for (const operation of operations) {
      await operation.run(0); // warm the function and its one-second caches
      await quiet();
      meter.take();
      // An answer causes nothing downstream: answers go back to back, as a busy environment sees
      // them (its one-second copy of locations and rules then costs a refresh per second).
      const readOnly = operation.api === 'GetAvailability' || operation.api === 'GetOffers';
      for (let i = 1; i <= ROUNDS; i++) {
        await operation.run(i);
        if (!readOnly) await quiet();
      }
      if (readOnly) await quiet();
      const taken = meter.take();
      const api = average(taken.get(operation.api), ROUNDS);
      const downstream = average(
        sum([...taken].filter(([name]) => name !== operation.api && !scheduled.has(name)).map(([, u]) => u)),
        ROUNDS,
      );
      results.push({
        name: operation.name,
        api,
        downstream,
        dollars:
          dollars(api, operation.api, memoryMb) +
          dollars(downstream, 'PublishEvents', memoryMb) +
          PRICES.apiGatewayRestRequest,
      });
    }
    print(results);
    return results;
  } finally {
    await stack.stop();
  }
}

function sum(usages: Usage[]): Usage {
  const total: Usage = {
    invocations: 0,
    durationMs: 0,
    dynamodbRequests: 0,
    readUnits: 0,
    writeUnits: 0,
    byCommand: {},
    eventsPut: 0,
  };
  for (const u of usages) {
    total.invocations += u.invocations;
    total.durationMs += u.durationMs;
    total.dynamodbRequests += u.dynamodbRequests;
    total.readUnits += u.readUnits;
    total.writeUnits += u.writeUnits;
    total.eventsPut += u.eventsPut;
    for (const [c, n] of Object.entries(u.byCommand)) total.byCommand[c] = (total.byCommand[c] ?? 0) + n;
  }
  return total;
}

function average(usage: Usage | undefined, rounds: number): Usage {
  const u = sum(usage ? [usage] : []);
  const per = (n: number) => n / rounds;
  return {
    invocations: per(u.invocations),
    durationMs: per(u.durationMs),
    dynamodbRequests: per(u.dynamodbRequests),
    readUnits: per(u.readUnits),
    writeUnits: per(u.writeUnits),
    eventsPut: per(u.eventsPut),
    byCommand: Object.fromEntries(Object.entries(u.byCommand).map(([c, n]) => [c, per(n)])),
  };
}

/** AWS cost of one operation's usage (API Gateway counted by the caller). */
function dollars(usage: Usage, functionName: string, memoryMb: (name: string) => number): number {
  const gbSeconds = (memoryMb(functionName) / 1024) * (usage.durationMs / 1000);
  return (
    usage.invocations * PRICES.lambdaRequest +
    gbSeconds * PRICES.lambdaArmGbSecond +
    usage.readUnits * PRICES.dynamodbReadUnit +
    usage.writeUnits * PRICES.dynamodbWriteUnit +
    usage.eventsPut * PRICES.eventBridgeEvent
  );
}

function print(results: OperationCost[]) {
  const commands = (u: Usage) =>
    Object.entries(u.byCommand)
      .map(([c, n]) => `${c} ${fmt(n, 1)}`)
      .join(', ');
  console.log('');
  console.log(
    `AWS requests and cost per operation (measured on the embedded system; prices ${PRICES.region}, ${PRICES.date}, see docs/cost.md)`,
  );
  console.log('');
  console.log(
    '| operation | API fn: DynamoDB requests | RRU | WRU | downstream: invocations | DynamoDB requests | RRU | WRU | events | $ per operation |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.name} | ${fmt(r.api.dynamodbRequests)} (${commands(r.api)}) | ${fmt(r.api.readUnits)} | ${fmt(r.api.writeUnits)} | ` +
        `${fmt(r.downstream.invocations)} | ${fmt(r.downstream.dynamodbRequests)} | ${fmt(r.downstream.readUnits)} | ` +
        `${fmt(r.downstream.writeUnits)} | ${fmt(r.downstream.eventsPut)} | ${r.dollars.toExponential(2)} |`,
    );
  }
  const order = results.find((r) => r.name === 'order, 1 line');
  const reads = results.find((r) => r.name === 'availability, 3 SKUs');
  console.log('');
  if (order) console.log(`cost per 1,000 orders (1 line, all included): $${fmt(order.dollars * 1000, 4)}`);
  if (reads) console.log(`cost per million availability reads (3 SKUs): $${fmt(reads.dollars * 1e6, 2)}`);
}

if (require.main === module) {
  benchCost().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
