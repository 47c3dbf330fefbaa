import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type IssuedClientCredentials, issuedClientHeaders } from '../../local/dev-credentials';
import { freePort } from '../../local/dynamodb';
import { putSellableProducts } from '../support/catalog-http';
import { DC, storeAt } from '../support/network';
import { killRun, nodeProcesses, npmStart, probeUntilReady, type Run, request, sleep } from './system';

/**
 * Fulfilment as its users meet it: `npm start` in a child process (durations × 0.001, so a store's
 * one-hour SLA is 3.6 s), channels placing orders over HTTP, stores answering through the location
 * API with their own OAuth clients, ops reading orders, timelines and events, and the Step Functions API
 * (`@aws-sdk/client-sfn`, as on AWS) showing the executions. Each of the "done when" items
 * is a test here, in order; the crash test kills every node process of the server with SIGKILL.
 */

const TIME_SCALE = 0.001;
const NEAR_LONDON = { lat: 51.52, lon: -0.1 };
const address = { line1: '1 Main St', city: 'London', postalCode: 'EC1A 1BB', country: 'GB', ...NEAR_LONDON };
const DAY = 86_400;

let port: number;
let dataDir: string;
let run: Run;
let states: SFNClient;
/** Each location's own OAuth client, as `POST /locations/{id}/clients` issued it. */
const clients: Record<string, IssuedClientCredentials> = {};
/** The headers of a call by a location's own systems: a token of its client, no API key. */
const asLocation = async (locationId: string | undefined): Promise<Record<string, string>> => {
  const client = clients[locationId ?? ''];
  if (!client) throw new Error(`no client issued for ${locationId}`);
  return issuedClientHeaders(client);
};
/** Every order this suite placed: each must have exactly one fulfilment execution. */
const placed: string[] = [];

const api = (path: string, options: Parameters<typeof request>[2] = {}) => request(port, path, options);
const ops = (method: string, path: string, body?: unknown) => api(path, { method, key: 'local-ops', body });

/** Polls until `check` gives a value (not undefined/false), or fails saying what it waited for. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${run.output().slice(-4000)}`);
    await sleep(100);
  }
}

interface OrderView {
  orderId: string;
  status: string;
  lines: {
    sku: string;
    quantity: number;
    status: string;
    allocations: { locationId: string; quantity: number }[];
  }[];
  groups?: { groupId: string; locationId: string; status: string; transferTo?: string; lines: unknown[] }[];
  plan?: { groupId: string; locationId: string; status: string; transferTo?: string }[];
  decision: { summary: string; rule: string };
}

const order = async (orderId: string) =>
  (await api(`/orders/${orderId}`, { key: 'local-ops' })).body as OrderView;

async function place(
  lines: { sku: string; quantity: number }[],
  delivery: unknown = { type: 'ship', address },
  key = 'local-web',
) {
  const answer = await api('/orders', {
    method: 'POST',
    key,
    headers: { 'Idempotency-Key': randomUUID() },
    body: { customer: { email: 'ada@example.com' }, lines, delivery },
  });
  expect(answer.status).toBe(201);
  const { orderId } = answer.body as { orderId: string };
  placed.push(orderId);
  return orderId;
}

/** The order once routed and its groups are in their locations' work lists. */
const requested = (orderId: string, count = 1) =>
  eventually(`${orderId} requested from ${count} location(s)`, async () => {
    const view = await order(orderId);
    const open = (view.groups ?? []).filter((g) => g.status === 'REQUESTED');
    return open.length >= count && view;
  });

const groupStatus = (orderId: string, groupId: string, status: string) =>
  eventually(`${groupId} ${status}`, async () => {
    const view = await order(orderId);
    return view.groups?.find((g) => g.groupId === groupId && g.status === status) && view;
  });

const work = async (locationId: string, groupId: string, action: string, body?: unknown) =>
  api(`/locations/${locationId}/work/${groupId}/${action}`, {
    method: 'POST',
    headers: await asLocation(locationId),
    body,
  });

const reserved = async (sku: string, locationId: string) => {
  const { positions } = (await ops('GET', `/inventory/${sku}`)).body as {
    positions: { locationId: string; reserved: number; available: number; onHand: number }[];
  };
  return positions.find((p) => p.locationId === locationId);
};

const events = async (detailType: string) =>
  (
    (await api(`/_local/events?detailType=${detailType}`)).body as {
      events: { event: { detail: { data: Record<string, unknown> } } }[];
    }
  ).events.map((e) => e.event.detail.data);

const executions = async () => {
  const all: { name?: string; status?: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await states.send(
      new ListExecutionsCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Fulfillment',
        maxResults: 1000,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    all.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
};

const orderExecution = (orderId: string) =>
  states.send(
    new DescribeExecutionCommand({
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:Fulfillment:${orderId}`,
    }),
  );

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(resolve(tmpdir(), 'fulfilment-'));
  states = new SFNClient({
    endpoint: `http://127.0.0.1:${port}/_aws/states`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  states.destroy();
  if (run) await killRun(run);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('fulfilment, from outside', () => {
  it('starts, and each new location comes with its own key', async () => {
    run = npmStart(port, ['--data-dir', dataDir, '--no-seed', '--time-scale', String(TIME_SCALE)]);
    await probeUntilReady(run);
    const store = (name: string, lat: number, lon: number, sla: Record<string, number> = {}) =>
      storeAt(name, lat, lon, {
        sla: { acceptWithinSeconds: DAY, dispatchWithinSeconds: DAY, holdPickupForSeconds: DAY, ...sla },
      });
    const network: Record<string, unknown> = {
      'STORE-LON': store('London Oxford St', 51.5154, -0.1419, { holdPickupForSeconds: 3_000 }),
      'STORE-BHM': store('Birmingham Bullring', 52.4778, -1.8936),
      // Answers nothing within its 3,000 s (3 s here) SLA.
      'STORE-SIL': store('London Silent', 51.5155, -0.142, { acceptWithinSeconds: 3_000 }),
      'DC-DAV': {
        ...DC,
        sla: { acceptWithinSeconds: DAY, dispatchWithinSeconds: DAY, transferWithinSeconds: DAY },
      },
    };
    for (const [id, location] of Object.entries(network)) {
      expect((await ops('PUT', `/locations/${id}`, location)).status).toBe(200);
      const issued = await ops('POST', `/locations/${id}/clients`);
      expect(issued).toMatchObject({ status: 201, body: { locationId: id, scope: 'fulfillment/location' } });
      clients[id] = issued.body as (typeof clients)[string];
    }
    const stock: [string, string, number][] = [
      ['TEE', 'STORE-LON', 10],
      ['TEE', 'DC-DAV', 50],
      ['CAP', 'STORE-LON', 5],
      ['CAP', 'DC-DAV', 5],
      ['MUG', 'STORE-BHM', 5],
      ['SOCK', 'STORE-SIL', 5],
      ['SOCK', 'DC-DAV', 5],
    ];
    await putSellableProducts(`http://127.0.0.1:${port}`, ['TEE', 'CAP', 'MUG', 'SOCK']);
    for (const [sku, locationId, onHand] of stock) {
      expect((await ops('PUT', `/inventory/${sku}/${locationId}`, { onHand })).status).toBe(200);
    }

    expect(Object.keys(clients)).toHaveLength(4);
    expect((await api('/locations/STORE-LON/work', { headers: await asLocation('STORE-BHM') })).status).toBe(
      403,
    );
    expect((await api('/locations/STORE-LON/work', { key: 'local-ops' })).status).toBe(403);
    expect((await api('/locations/STORE-LON/work', { headers: await asLocation('STORE-LON') })).body).toEqual(
      {
        items: [],
      },
    );
  }, 120_000);

  it('1. routes a ship order to the store near the customer and says why; with it disabled, to the next best', async () => {
    const near = await place([{ sku: 'TEE', quantity: 1 }]);
    const routed = await requested(near);

    expect(routed.plan).toEqual([expect.objectContaining({ locationId: 'STORE-LON', status: 'REQUESTED' })]);
    expect(routed.decision.rule).toBe('sourcing-profile');
    expect(routed.decision.summary).toContain('STORE-LON');

    expect(
      (await ops('PUT', '/locations/STORE-LON/status', { state: 'disabled', reason: 'stock take' })).status,
    ).toBe(200);
    const next = await place([{ sku: 'TEE', quantity: 1 }]);
    const rerouted = await requested(next);
    await ops('PUT', '/locations/STORE-LON/status', { state: 'enabled' });

    expect(rerouted.plan).toEqual([expect.objectContaining({ locationId: 'DC-DAV' })]);
    const timeline = (await api(`/orders/${next}/timeline`, { key: 'local-web' })).body as {
      entries: {
        type: string;
        candidates?: { locationId: string; verdict: string; filters: { name: string; passed: boolean }[] }[];
      }[];
    };
    const routing = timeline.entries.find((e) => e.type === 'FulfillmentRouted');
    const london = routing?.candidates?.find((c) => c.locationId === 'STORE-LON');
    expect(london).toMatchObject({ verdict: 'excluded' });
    expect(london?.filters).toContainEqual(expect.objectContaining({ name: 'enabled', passed: false }));
    const routings = await events('FulfillmentRouted');
    expect(routings.filter((r) => r.orderId === near || r.orderId === next)).toHaveLength(2);
  }, 60_000);

  it('fulfils a ship order end to end through the location API: accept, ship, OrderFulfilled', async () => {
    const orderId = await place([{ sku: 'TEE', quantity: 2 }]);
    const view = await requested(orderId);
    const groupId = view.groups![0]!.groupId;
    const before = await reserved('TEE', 'STORE-LON');

    const listed = (await api('/locations/STORE-LON/work', { headers: await asLocation('STORE-LON') }))
      .body as {
      items: { groupId: string; actions: string[] }[];
    };
    expect(listed.items).toContainEqual(
      expect.objectContaining({ groupId, actions: ['accept', 'reject', 'shortPick'] }),
    );
    expect((await work('STORE-LON', groupId, 'accept')).status).toBe(200);
    expect((await work('STORE-LON', groupId, 'accept')).body).toMatchObject({ repeated: true });
    await groupStatus(orderId, groupId, 'ACCEPTED');
    expect((await work('STORE-LON', groupId, 'collected')).status).toBe(409);
    await eventually('the dispatch step in the work list', async () => {
      const items = (
        (await api('/locations/STORE-LON/work', { headers: await asLocation('STORE-LON') })).body as {
          items: { groupId: string; waitingFor: string }[];
        }
      ).items;
      return items.some((i) => i.groupId === groupId && i.waitingFor === 'dispatch');
    });
    expect(
      (await work('STORE-LON', groupId, 'ship', { carrier: 'DPD', trackingNumber: '1550' })).status,
    ).toBe(200);

    const done = await eventually('the order completed', async () => {
      const now = await order(orderId);
      return now.status === 'COMPLETED' && now;
    });
    expect(done.lines).toEqual([expect.objectContaining({ status: 'FULFILLED', allocations: [] })]);
    expect(await reserved('TEE', 'STORE-LON')).toMatchObject({
      onHand: (before?.onHand ?? 0) - 2,
      reserved: (before?.reserved ?? 0) - 2,
    });
    await eventually(
      'the execution succeeded',
      async () => (await orderExecution(orderId)).status === 'SUCCEEDED',
    );
    await eventually('OrderFulfilled on the bus', async () =>
      (await events('OrderFulfilled')).some((e) => e.orderId === orderId),
    );
    const timeline = (await api(`/orders/${orderId}/timeline`, { key: 'local-web' })).body as {
      entries: { kind: string; type: string }[];
    };
    const types = timeline.entries.map((e) => `${e.kind}:${e.type}`);
    expect(types).toEqual(
      expect.arrayContaining([
        'order:OrderCreated',
        'decision:FulfillmentRouted',
        'group:FulfillmentRequested',
        'group:FulfillmentAccepted',
        'group:Shipped',
        'order:OrderFulfilled',
        'workflow:ExecutionSucceeded',
      ]),
    );
    expect(types.indexOf('decision:FulfillmentRouted')).toBeLessThan(types.indexOf('group:Shipped'));
  }, 60_000);

  it('3. splits a two-line order no single location can fill; never splits one that one can', async () => {
    const whole = await place([
      { sku: 'TEE', quantity: 1 },
      { sku: 'CAP', quantity: 1 },
    ]);
    const split = await place([
      { sku: 'TEE', quantity: 1 },
      { sku: 'MUG', quantity: 1 },
    ]);

    expect((await requested(whole)).plan?.map((g) => g.locationId)).toEqual(['STORE-LON']);
    expect((await requested(split, 2)).plan?.map((g) => g.locationId).sort()).toEqual([
      'STORE-BHM',
      'STORE-LON',
    ]);
  }, 60_000);

  it('2. reserves a pickup at the chosen store only; its reject ships the lines to the store from elsewhere', async () => {
    const dcBefore = await reserved('TEE', 'DC-DAV');
    const orderId = await place(
      [{ sku: 'TEE', quantity: 2 }],
      { type: 'pickup', locationId: 'STORE-LON' },
      'local-store',
    );
    const view = await requested(orderId);
    expect(view.lines[0]?.allocations).toEqual([{ locationId: 'STORE-LON', quantity: 2 }]);
    expect((await reserved('TEE', 'DC-DAV'))?.reserved).toBe(dcBefore?.reserved);

    const rejected = await work('STORE-LON', view.groups![0]!.groupId, 'reject', {
      reason: 'cannot find them',
      code: 'NO_STOCK',
    });
    expect(rejected.status).toBe(200);

    const after = await eventually('the transfer group requested', async () => {
      const now = await order(orderId);
      return now.groups?.some((g) => g.transferTo === 'STORE-LON' && g.status === 'REQUESTED') && now;
    });
    expect(after.groups).toEqual([
      expect.objectContaining({ locationId: 'STORE-LON', status: 'REJECTED' }),
      expect.objectContaining({ locationId: 'DC-DAV', transferTo: 'STORE-LON' }),
    ]);
    expect((await reserved('TEE', 'DC-DAV'))?.reserved).toBe((dcBefore?.reserved ?? 0) + 2);
    await eventually('FulfillmentRejected and Rerouted on the bus', async () => {
      const [rejections, reroutes] = await Promise.all([events('FulfillmentRejected'), events('Rerouted')]);
      return (
        rejections.some((e) => e.orderId === orderId && e.reason === 'cannot find them') &&
        reroutes.some((e) => e.orderId === orderId)
      );
    });
  }, 60_000);

  it('4. reroutes the work of a store that does not answer within its SLA, leaving nothing reserved there', async () => {
    const before = await reserved('SOCK', 'STORE-SIL');
    const orderId = await place([{ sku: 'SOCK', quantity: 1 }]);
    const view = await requested(orderId);
    expect(view.plan).toEqual([expect.objectContaining({ locationId: 'STORE-SIL' })]);
    expect((await reserved('SOCK', 'STORE-SIL'))?.reserved).toBe((before?.reserved ?? 0) + 1);

    const after = await eventually(
      'the work moved to DC-DAV',
      async () => {
        const now = await order(orderId);
        return now.groups?.some((g) => g.locationId === 'DC-DAV' && g.status === 'REQUESTED') && now;
      },
      30_000,
    );

    expect(after.groups?.[0]).toMatchObject({ locationId: 'STORE-SIL', status: 'TIMED_OUT' });
    expect((await reserved('SOCK', 'STORE-SIL'))?.reserved).toBe(before?.reserved ?? 0);
    expect((await reserved('SOCK', 'DC-DAV'))?.reserved).toBe(1);
    expect((await work('STORE-SIL', after.groups![0]!.groupId, 'accept')).status).toBe(409);
  }, 60_000);

  it('5. gives a pickup never collected back to stock after its expiry', async () => {
    const orderId = await place(
      [{ sku: 'CAP', quantity: 2 }],
      { type: 'pickup', locationId: 'STORE-LON' },
      'local-store',
    );
    const view = await requested(orderId);
    const groupId = view.groups![0]!.groupId;
    const before = await reserved('CAP', 'STORE-LON');
    await work('STORE-LON', groupId, 'accept');
    await eventually(
      'the dispatch step',
      async () => (await work('STORE-LON', groupId, 'ready-for-pickup')).status === 200,
    );
    await groupStatus(orderId, groupId, 'READY_FOR_PICKUP');

    const expired = await groupStatus(orderId, groupId, 'PICKUP_EXPIRED');

    expect(expired.status).toBe('CANCELLED');
    expect(await reserved('CAP', 'STORE-LON')).toMatchObject({
      reserved: (before?.reserved ?? 0) - 2,
      available: (before?.available ?? 0) + 2,
    });
    await eventually('PickupExpired and LineCancelled on the bus', async () => {
      const [expiries, cancels] = await Promise.all([events('PickupExpired'), events('LineCancelled')]);
      return expiries.some((e) => e.orderId === orderId) && cancels.some((e) => e.orderId === orderId);
    });
  }, 60_000);

  it('stops the workflow of an order cancelled in fulfilment and releases it; refuses a cancel after shipment', async () => {
    const orderId = await place([{ sku: 'TEE', quantity: 1 }]);
    const groupId = (await requested(orderId)).groups![0]!.groupId;
    await work('STORE-LON', groupId, 'accept');
    await groupStatus(orderId, groupId, 'ACCEPTED');
    const before = await reserved('TEE', 'STORE-LON');

    const cancelled = await api(`/orders/${orderId}/cancel`, { method: 'POST', key: 'local-web' });

    expect(cancelled.status).toBe(200);
    expect((await reserved('TEE', 'STORE-LON'))?.reserved).toBe((before?.reserved ?? 0) - 1);
    await eventually(
      'the execution aborted',
      async () => (await orderExecution(orderId)).status === 'ABORTED',
    );
    await eventually('the work gone from the list', async () => {
      const items = (
        (await api('/locations/STORE-LON/work', { headers: await asLocation('STORE-LON') })).body as {
          items: { groupId: string }[];
        }
      ).items;
      return !items.some((i) => i.groupId === groupId);
    });
    expect((await work('STORE-LON', groupId, 'ship', { carrier: 'DPD', trackingNumber: '1' })).status).toBe(
      409,
    );

    const shipped = await place([{ sku: 'TEE', quantity: 1 }]);
    const shippedGroup = (await requested(shipped)).groups![0]!.groupId;
    await work('STORE-LON', shippedGroup, 'accept');
    await eventually(
      'the dispatch step',
      async () =>
        (await work('STORE-LON', shippedGroup, 'ship', { carrier: 'DPD', trackingNumber: '2' })).status ===
        200,
    );
    await groupStatus(shipped, shippedGroup, 'SHIPPED');
    const refused = await api(`/orders/${shipped}/cancel`, { method: 'POST', key: 'local-web' });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'ORDER_NOT_CANCELLABLE' } } });
  }, 60_000);

  it('6. survives a kill -9 while executions wait on stores: each is still there, and a store accept completes it', async () => {
    const waiting = [
      await place([{ sku: 'TEE', quantity: 1 }]),
      await place([{ sku: 'TEE', quantity: 1 }]),
      await place([{ sku: 'TEE', quantity: 1 }]),
    ];
    const groups = await Promise.all(
      waiting.map(async (orderId) => (await requested(orderId)).groups![0]!.groupId),
    );

    for (const pid of nodeProcesses(run)) process.kill(pid, 'SIGKILL');
    await killRun(run);
    run = npmStart(port, ['--data-dir', dataDir, '--no-seed', '--time-scale', String(TIME_SCALE)]);
    await probeUntilReady(run);

    for (const orderId of waiting) expect((await orderExecution(orderId)).status).toBe('RUNNING');
    for (const [i, orderId] of waiting.entries()) {
      const groupId = groups[i]!;
      expect((await work('STORE-LON', groupId, 'accept')).status).toBe(200);
      await eventually(
        'the dispatch step',
        async () =>
          (await work('STORE-LON', groupId, 'ship', { carrier: 'DPD', trackingNumber: `K${i}` })).status ===
          200,
      );
      await eventually(
        `${orderId} completed`,
        async () => (await orderExecution(orderId)).status === 'SUCCEEDED',
      );
    }
  }, 120_000);

  it('7. has exactly one fulfilment execution for every order placed, before the crash and after', async () => {
    const all = await executions();
    const byName = new Map<string, number>();
    for (const execution of all)
      byName.set(execution.name ?? '', (byName.get(execution.name ?? '') ?? 0) + 1);

    expect(placed.filter((orderId) => byName.get(orderId) !== 1)).toEqual([]);
    expect(all).toHaveLength(placed.length);
  }, 60_000);
});
