import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { clientCredentialsToken } from '../../local/dev-credentials';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { functions } from '../../shared/platform/definitions';
import { setTableAccessPolicy } from '../../shared/platform/table-access';
import { putSellableProducts } from '../support/catalog-http';
import { callAs } from './system';

/**
 * The embedded system driven over HTTP and the AWS SDK, as channels and marketplaces drive it:
 * the issue's acceptance list, item by item.
 */

let stack: LocalStack;
const call = (
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers?: Record<string, string>,
) => callAs(stack.url, method, path, key, body, headers);
const ops = (method: string, path: string, body?: unknown) => call(method, path, 'local-ops', body);

interface BusRecord {
  event: { source: string; 'detail-type': string; detail: { data: Record<string, unknown> } };
}
const busEvents = async (detailType: string): Promise<BusRecord[]> =>
  (await call('GET', `/_local/events?detailType=${detailType}&limit=10000`, undefined)).body.events;

async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const address = { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' };
const order = (sku: string, quantity = 1, extra: Record<string, unknown> = {}) => ({
  customer: { email: 'ada@example.com' },
  lines: [{ sku, quantity }],
  delivery: { type: 'ship', address },
  ...extra,
});
const postOrder = (key: string, body: unknown, idempotencyKey = randomUUID()) =>
  call('POST', '/orders', key, body, { 'Idempotency-Key': idempotencyKey });

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    tablePrefix: `e2e${randomUUID().slice(0, 6)}-`,
    quiet: true,
    seed: false,
    // A marketplace order failed on comes back within a fifth of a second (five receives in ~1 s).
    queueVisibilityTimeoutMs: 200,
  });
  const location = (
    name: string,
    type: string,
    lat: number,
    lon: number,
    fulfils: string[],
    priority: number,
  ) => ({
    name,
    type,
    geo: { lat, lon },
    postalCode: 'X1 1XX',
    country: 'GB',
    fulfils,
    priority,
  });
  expect(
    (
      await ops(
        'PUT',
        '/locations/STORE-1',
        location('Store 1', 'store', 51.51, -0.14, ['ship', 'pickup'], 50),
      )
    ).status,
  ).toBe(200);
  expect(
    (await ops('PUT', '/locations/DC-1', location('DC 1', 'dc', 52.25, -1.16, ['ship'], 10))).status,
  ).toBe(200);
  // The products the journeys sell (UNSTOCKED-1 is stocked nowhere).
  await putSellableProducts(stack.url, [
    'ALLOC-1',
    'ALLOC-2',
    'BAD-1',
    'UNSTOCKED-1',
    'CLOSE-1',
    'COUNT-1',
    'EVT-1',
    'HOLD-1',
    'HOT-1',
    'IDEM-1',
    'MKT-1',
    'OWN-1',
    'PICK-1',
    'RULE-1',
  ]);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('a hot SKU under 500 concurrent orders', () => {
  it('creates exactly as many orders as there are units, and never oversells', async () => {
    await ops('PUT', '/inventory/HOT-1/DC-1', { onHand: 100 });

    const results = await Promise.all(
      Array.from({ length: 500 }, () => postOrder('local-web', order('HOT-1'))),
    );

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 409)).toHaveLength(400);
    expect(
      results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'INSUFFICIENT_STOCK'),
    ).toBe(true);
    // Answers come from the snapshot the stream keeps: zero once the stream has carried the burst.
    const availability = await waitFor(
      () => call('GET', '/availability?skus=HOT-1', 'local-web'),
      (a) => a.body.items[0].available === 0,
    );
    expect(availability.body.items[0].available).toBe(0);
    const inventory = await ops('GET', '/inventory/HOT-1');
    expect(inventory.body.positions).toEqual([
      { locationId: 'DC-1', onHand: 100, reserved: 100, safetyStock: 0, available: 0 },
    ]);
  }, 180_000);
});

describe('idempotent intake', () => {
  it('gives one order for ten concurrent requests with one key, and 422 for another payload under it', async () => {
    await ops('PUT', '/inventory/IDEM-1/DC-1', { onHand: 50 });
    const key = randomUUID();

    const results = await Promise.all(
      Array.from({ length: 10 }, () => postOrder('local-app', order('IDEM-1'), key)),
    );
    const other = await postOrder('local-app', order('IDEM-1', 2), key);

    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.orderId)).size).toBe(1);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await ops('GET', '/inventory/IDEM-1')).body.positions[0].reserved).toBe(1);
  });
});

describe('bad input', () => {
  const cases: [
    string,
    () => Promise<{ status: number; body: { error: { code: string; details: { path?: string }[] } } }>,
    number,
    string,
    string,
  ][] = [
    [
      'malformed JSON',
      () => call('POST', '/orders', 'local-web', '{"lines": [', { 'Idempotency-Key': 'm1' }),
      400,
      'MALFORMED_JSON',
      'body',
    ],
    [
      'a missing customer',
      () =>
        postOrder('local-web', {
          lines: [{ sku: 'BAD-1', quantity: 1 }],
          delivery: { type: 'ship', address },
        }),
      400,
      'VALIDATION_FAILED',
      'customer',
    ],
    [
      'a quantity as a string',
      () => postOrder('local-web', order('BAD-1', '1' as unknown as number)),
      400,
      'VALIDATION_FAILED',
      'lines.0.quantity',
    ],
    [
      'quantity 0',
      () => postOrder('local-web', order('BAD-1', 0)),
      400,
      'VALIDATION_FAILED',
      'lines.0.quantity',
    ],
    [
      'a negative quantity',
      () => postOrder('local-web', order('BAD-1', -3)),
      400,
      'VALIDATION_FAILED',
      'lines.0.quantity',
    ],
    [
      'quantity 10^9',
      () => postOrder('local-web', order('BAD-1', 1e9)),
      400,
      'VALIDATION_FAILED',
      'lines.0.quantity',
    ],
    [
      'a SKU the catalog does not know',
      () => postOrder('local-web', order('NO-SUCH-SKU')),
      422,
      'PRODUCT_NOT_SELLABLE',
      'lines.0.sku',
    ],
    [
      'a product no location stocks',
      () => postOrder('local-web', order('UNSTOCKED-1')),
      422,
      'UNKNOWN_SKU',
      'lines.0.sku',
    ],
    [
      'an unknown pickup location',
      () =>
        postOrder('local-web', order('BAD-1', 1, { delivery: { type: 'pickup', locationId: 'NOWHERE' } })),
      422,
      'UNKNOWN_LOCATION',
      'delivery.locationId',
    ],
    [
      '1,000 lines',
      () =>
        postOrder('local-web', {
          ...order('BAD-1'),
          lines: Array.from({ length: 1000 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })),
        }),
      400,
      'VALIDATION_FAILED',
      'lines',
    ],
    [
      'a 1 MB body',
      () => postOrder('local-web', { ...order('BAD-1'), note: 'x'.repeat(1024 * 1024) }),
      413,
      'PAYLOAD_TOO_LARGE',
      'body',
    ],
    [
      'a missing Idempotency-Key',
      () => call('POST', '/orders', 'local-web', order('BAD-1')),
      400,
      'VALIDATION_FAILED',
      'headers.Idempotency-Key',
    ],
    [
      'an unknown location for a count',
      () => ops('PUT', '/inventory/BAD-1/NOWHERE', { onHand: 5 }),
      422,
      'UNKNOWN_LOCATION',
      'locationId',
    ],
    [
      'a negative count',
      () => ops('PUT', '/inventory/BAD-1/DC-1', { onHand: -5 }),
      400,
      'VALIDATION_FAILED',
      'onHand',
    ],
  ];

  beforeAll(async () => {
    await ops('PUT', '/inventory/BAD-1/DC-1', { onHand: 10 });
  });

  it.each(cases)(
    'answers %s with a 4xx, a code and the field, and writes nothing',
    async (_name, send, status, code, path) => {
      const response = await send();

      expect(response.status).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(response.body.error.details.map((d) => d.path)).toContain(path);
      expect((await ops('GET', '/inventory/BAD-1')).body.positions).toEqual([
        { locationId: 'DC-1', onHand: 10, reserved: 0, safetyStock: 0, available: 10 },
      ]);
      const ordersForBadSkus = (await busEvents('OrderCreated')).filter((e) =>
        (e.event.detail.data.lines as { sku: string }[]).some((l) =>
          ['BAD-1', 'NO-SUCH-SKU'].includes(l.sku),
        ),
      );
      expect(ordersForBadSkus).toEqual([]);
    },
  );

  it('refuses a call without a valid token (401) or without the scope (403), and writes nothing', async () => {
    const before = (await ops('GET', '/inventory/BAD-1')).body;
    const put = (headers: Record<string, string>) =>
      fetch(`${stack.url}/inventory/BAD-1/DC-1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': 'local-ops', ...headers },
        body: JSON.stringify({ onHand: 999 }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { code: string } } }));
    const client = (id: string) => {
      const found = stack.oauth.authenticate(id, `${id}-secret`);
      if (!found) throw new Error(`no dev client ${id}`);
      return found;
    };
    const opsClient = client('local-ops');
    const web = client('local-web');
    const expired = stack.oauth.issueToken(opsClient, opsClient.scopes, -60).access_token;
    const forged = `${stack.oauth.issueToken(opsClient, opsClient.scopes).access_token.slice(0, -4)}AAAA`;

    const answers = {
      none: await put({}),
      notAToken: await put({ authorization: 'Bearer not-a-token' }),
      expired: await put({ authorization: `Bearer ${expired}` }),
      forged: await put({ authorization: `Bearer ${forged}` }),
      aKeyOnly: await put({ 'x-api-key': 'local-ops' }),
      channelToken: await put({
        authorization: `Bearer ${stack.oauth.issueToken(web, web.scopes).access_token}`,
      }),
    };

    expect(
      Object.fromEntries(Object.entries(answers).map(([k, a]) => [k, [a.status, a.body.error.code]])),
    ).toEqual({
      none: [401, 'UNAUTHORIZED'],
      notAToken: [401, 'UNAUTHORIZED'],
      expired: [401, 'UNAUTHORIZED'],
      forged: [401, 'UNAUTHORIZED'],
      aKeyOnly: [401, 'UNAUTHORIZED'],
      channelToken: [403, 'FORBIDDEN'],
    });
    expect((await ops('GET', '/inventory/BAD-1')).body).toEqual(before);
    // A valid token still needs the usage-plan key; the public route needs neither.
    expect(
      (await call('GET', '/availability?skus=BAD-1', 'local-web', undefined, { 'x-api-key': 'not-a-key' }))
        .body.error.code,
    ).toBe('INVALID_API_KEY');
    expect((await call('GET', '/health', undefined)).status).toBe(200);
  });

  it("refuses a location's token on channel and operations routes (403), and writes nothing", async () => {
    const issued = await ops('POST', '/locations/DC-1/clients');
    expect(issued.status).toBe(201);
    const { clientId, clientSecret, tokenUrl } = issued.body as Record<string, string>;
    const token = await clientCredentialsToken(String(tokenUrl), String(clientId), String(clientSecret));
    const before = (await ops('GET', '/inventory/BAD-1')).body;
    const orderEventsBefore = (await busEvents('OrderCreated')).length;
    const asLocation = (apiKey: string) => ({ authorization: `Bearer ${token}`, 'x-api-key': apiKey });

    const answers = {
      placeOrder: await call(
        'POST',
        '/orders',
        undefined,
        {
          customer: { email: 'ada@example.com' },
          lines: [{ sku: 'BAD-1', quantity: 1 }],
          delivery: {
            type: 'ship',
            address: { line1: '1 Main St', city: 'London', postalCode: 'EC1A 1BB', country: 'GB' },
          },
        },
        { ...asLocation('local-web'), 'Idempotency-Key': randomUUID() },
      ),
      count: await call('PUT', '/inventory/BAD-1/DC-1', undefined, { onHand: 999 }, asLocation('local-ops')),
      ownWork: await call('GET', '/locations/DC-1/work', undefined, undefined, {
        authorization: `Bearer ${token}`,
      }),
      othersWork: await call('GET', '/locations/S1/work', undefined, undefined, {
        authorization: `Bearer ${token}`,
      }),
    };

    expect(
      Object.fromEntries(Object.entries(answers).map(([k, a]) => [k, [a.status, a.body?.error?.code]])),
    ).toEqual({
      placeOrder: [403, 'FORBIDDEN'],
      count: [403, 'FORBIDDEN'],
      ownWork: [200, undefined],
      othersWork: [403, 'FORBIDDEN'],
    });
    expect((await ops('GET', '/inventory/BAD-1')).body).toEqual(before);
    expect((await busEvents('OrderCreated')).length).toBe(orderEventsBefore);

    // Ops sees the location's clients, never their secrets.
    const listed = await ops('GET', '/locations/DC-1/clients');
    expect(listed.body).toEqual({ locationId: 'DC-1', items: [{ clientId, name: 'location.DC-1' }] });
    expect(JSON.stringify(listed.body)).not.toContain(String(clientSecret));
    // Another location cannot revoke it: 404, nothing deleted.
    expect((await ops('DELETE', `/locations/S1/clients/${clientId}`)).status).toBe(404);
    expect((await ops('GET', '/locations/DC-1/clients')).body.items).toHaveLength(1);

    // Revoked: the secret is refused at once; the authorizer forgets the client within its caches.
    expect((await ops('DELETE', `/locations/DC-1/clients/${clientId}`)).body).toEqual({
      locationId: 'DC-1',
      clientId,
      revoked: true,
    });
    const again = await fetch(String(tokenUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(again.status).toBe(401);
    expect((await ops('DELETE', `/locations/DC-1/clients/${clientId}`)).body).toMatchObject({
      revoked: false,
    });

    // At most 5 clients per location: the sixth is refused until one is revoked.
    const issued5 = [];
    for (let i = 0; i < 5; i += 1) issued5.push((await ops('POST', '/locations/DC-1/clients')).status);
    expect(issued5).toEqual([201, 201, 201, 201, 201]);
    const sixth = await ops('POST', '/locations/DC-1/clients');
    expect([sixth.status, sixth.body.error.code]).toEqual([409, 'TOO_MANY_CLIENTS']);
    for (const { clientId: id } of (await ops('GET', '/locations/DC-1/clients')).body.items) {
      await ops('DELETE', `/locations/DC-1/clients/${id}`);
    }
  });
});

describe('marketplace intake over the bus', () => {
  // A marketplace signs with its own role's credentials (locally, its access key id names it).
  const bus = (accessKeyId = 'marketplace-acme') =>
    new EventBridgeClient({
      endpoint: stack.eventBridgeEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey: 'local' },
    });
  const placed = (marketplaceOrderId: string, sku: string, quantity = 1, source = 'marketplace.acme') =>
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'commerce',
          Source: source,
          DetailType: 'MarketplaceOrderPlaced',
          Detail: JSON.stringify({
            marketplaceOrderId,
            customer: { email: 'buyer@example.com' },
            lines: [{ sku, quantity }],
            delivery: { type: 'ship', address },
          }),
        },
      ],
    });

  beforeAll(async () => {
    await ops('PUT', '/inventory/MKT-1/DC-1', { onHand: 5 });
  });

  it('turns a marketplace order into one order, once, however often it is sent', async () => {
    const client = bus();
    const first = await client.send(placed('ACME-1', 'MKT-1'));
    await client.send(placed('ACME-1', 'MKT-1'));
    await client.send(placed('ACME-1', 'MKT-1'));

    expect(first.FailedEntryCount).toBe(0);
    const orders = await waitFor(
      () => call('GET', '/orders?channelOrderId=ACME-1', 'local-marketplace'),
      (r) => r.body.items.length > 0,
    );
    await stack.bus.whenIdle();
    const again = await call('GET', '/orders?channelOrderId=ACME-1', 'local-ops');
    expect(orders.body.items).toHaveLength(1);
    expect(again.body.items).toHaveLength(1);
    expect(again.body.items[0]).toMatchObject({
      channel: 'marketplace',
      channelOrderId: 'ACME-1',
    });
    // Fulfilment starts at once: the order may already be routed.
    expect(['CREATED', 'ROUTED']).toContain((again.body.items[0] as { status: string }).status);
    expect((await ops('GET', '/inventory/MKT-1')).body.positions[0].reserved).toBe(1);
    expect((await call('GET', '/orders?channelOrderId=ACME-1', 'local-web')).body.items).toHaveLength(0);
  });

  it('refuses a forged marketplace order: another publisher cannot speak for acme, nor anyone for the system', async () => {
    const refusal = (client: EventBridgeClient, command: PutEventsCommand) =>
      client.send(command).then(
        () => 'accepted',
        (error: Error) => error.name,
      );
    const forgedOrderCreated = new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'commerce',
          Source: 'commerce.orders',
          DetailType: 'OrderCreated',
          Detail: JSON.stringify({ data: { orderId: 'ord_forged' } }),
        },
      ],
    });

    expect({
      globexAsAcme: await refusal(bus('marketplace-globex'), placed('FORGED-1', 'MKT-1')),
      channelKeyAsAcme: await refusal(bus('local-web'), placed('FORGED-2', 'MKT-1')),
      acmeAsTheSystem: await refusal(bus(), forgedOrderCreated),
      acmeAsGlobex: await refusal(bus(), placed('FORGED-3', 'MKT-1', 1, 'marketplace.globex')),
      globexAsItself: await refusal(
        bus('marketplace-globex'),
        placed('GLOBEX-1', 'MKT-1', 1, 'marketplace.globex'),
      ),
    }).toEqual({
      globexAsAcme: 'AccessDeniedException',
      channelKeyAsAcme: 'AccessDeniedException',
      acmeAsTheSystem: 'AccessDeniedException',
      acmeAsGlobex: 'AccessDeniedException',
      globexAsItself: 'accepted',
    });
    await waitFor(
      () => call('GET', '/orders?channelOrderId=GLOBEX-1', 'local-ops'),
      (r) => r.body.items.length > 0,
    );
    await stack.bus.whenIdle();
    for (const forged of ['FORGED-1', 'FORGED-2', 'FORGED-3']) {
      expect((await call('GET', `/orders?channelOrderId=${forged}`, 'local-ops')).body.items).toEqual([]);
    }
    expect((await busEvents('OrderCreated')).some((e) => e.event.detail.data.orderId === 'ord_forged')).toBe(
      false,
    );
  });

  it('answers a refused marketplace order with MarketplaceOrderRejected and the reason', async () => {
    await bus().send(placed('ACME-2', 'MKT-1', 99));

    const rejected = await waitFor(
      () => busEvents('MarketplaceOrderRejected'),
      (events) => events.some((e) => e.event.detail.data.marketplaceOrderId === 'ACME-2'),
    );

    const event = rejected.find((e) => e.event.detail.data.marketplaceOrderId === 'ACME-2');
    expect(event?.event.source).toBe('commerce.orders');
    expect(event?.event.detail.data).toMatchObject({
      marketplace: 'acme',
      reason: { code: 'INSUFFICIENT_STOCK' },
    });
    expect((await call('GET', '/orders?channelOrderId=ACME-2', 'local-ops')).body.items).toHaveLength(0);
  });

  it('still takes a marketplace order in the shape the rule delivered before the queue (an upgrade)', async () => {
    // The module the stack loaded (same process): the real handler, with its real ports.
    const { handler } = await import('../../functions/orders/accept-marketplace-order');
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'MarketplaceOrderPlaced',
      source: 'marketplace.acme',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        marketplaceOrderId: 'ACME-LEGACY',
        customer: { email: 'buyer@example.com' },
        lines: [{ sku: 'MKT-1', quantity: 1 }],
        delivery: { type: 'ship', address },
      },
    };
    await handler(event, { functionName: 'AcceptMarketplaceOrder', awsRequestId: randomUUID() } as never);

    expect((await call('GET', '/orders?channelOrderId=ACME-LEGACY', 'local-ops')).body.items).toHaveLength(1);
  });

  it('parks an order its handler failed on 5 times in the dead-letter queue; a redrive creates it once', async () => {
    // A real failure of the real handler: its role loses its table rights (as a broken IAM policy
    // would on AWS), so every receive fails with AccessDeniedException.
    const tableKeys = Object.fromEntries(Object.entries(stack.tableNames).map(([key, name]) => [name, key]));
    setTableAccessPolicy({
      tableKeys,
      functions: functions.map((fn) => (fn.name === 'AcceptMarketplaceOrder' ? { ...fn, dynamodb: {} } : fn)),
    });
    const queue = () => call('GET', '/_local/queues/MarketplaceOrders', undefined);
    const dlq = () => call('GET', '/_local/queues/MarketplaceOrders-dlq', undefined);
    try {
      expect((await bus().send(placed('ACME-DLQ', 'MKT-1'))).FailedEntryCount).toBe(0);
      const parked = await waitFor(dlq, (r) => r.body.visible === 1, 30_000);
      expect(parked.body.messages).toHaveLength(1);
      expect(JSON.parse(parked.body.messages[0].body)).toMatchObject({
        source: 'marketplace.acme',
        detail: { marketplaceOrderId: 'ACME-DLQ' },
      });
      expect((await queue()).body).toMatchObject({ visible: 0, inFlight: 0 });
      expect((await call('GET', '/orders?channelOrderId=ACME-DLQ', 'local-ops')).body.items).toEqual([]);
    } finally {
      setTableAccessPolicy({ tableKeys, functions });
    }

    // The rights are back: the operator redrives the dead-letter queue to its source queue.
    expect((await call('POST', '/_local/queues/MarketplaceOrders-dlq/redrive', undefined)).body).toEqual({
      moved: 1,
    });
    const created = await waitFor(
      () => call('GET', '/orders?channelOrderId=ACME-DLQ', 'local-ops'),
      (r) => r.body.items.length > 0,
    );
    expect(created.body.items).toHaveLength(1);
    await waitFor(queue, (r) => r.body.visible === 0 && r.body.inFlight === 0);
    expect((await dlq()).body.visible).toBe(0);
    // A second redrive moves nothing; the same order sent again is the same order.
    expect((await call('POST', '/_local/queues/MarketplaceOrders-dlq/redrive', undefined)).body).toEqual({
      moved: 0,
    });
    await bus().send(placed('ACME-DLQ', 'MKT-1'));
    await waitFor(queue, (r) => r.body.visible === 0 && r.body.inFlight === 0);
    expect((await call('GET', '/orders?channelOrderId=ACME-DLQ', 'local-ops')).body.items).toHaveLength(1);
    const createdEvents = (await busEvents('OrderCreated')).filter(
      (e) => e.event.detail.data.orderId === created.body.items[0].orderId,
    );
    expect(createdEvents).toHaveLength(1);
  }, 60_000);
});

describe('availability per channel', () => {
  const availableTo = async (key: string, sku: string) =>
    (await call('GET', `/availability?skus=${sku}`, key)).body.items[0].available as number;
  // Delivery is at least once (the stream publisher and a rule-change pass may both announce the
  // same figure); consumers deduplicate by event id, and so does this count.
  const changesFor = async (sku: string) => {
    const seen = new Set<string>();
    return (await busEvents('AvailabilityChanged'))
      .filter((e) => {
        const id = (e.event.detail as unknown as { id: string }).id;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      })
      .map((e) => e.event.detail.data as { sku: string; channel: string; available: number })
      .filter((d) => d.sku === sku);
  };

  it('answers by fulfilment method: units at a pickup-only store are pickup, not ship', async () => {
    expect(
      (
        await ops('PUT', '/locations/PICKUP-1', {
          name: 'Pickup point 1',
          type: 'store',
          geo: { lat: 51.52, lon: -0.1 },
          postalCode: 'X1 1XX',
          country: 'GB',
          fulfils: ['pickup'],
        })
      ).status,
    ).toBe(200);
    await ops('PUT', '/inventory/PICK-1/PICKUP-1', { onHand: 5 });

    const read = await call('GET', '/availability?skus=PICK-1&near=51.5,-0.12&limit=5', 'local-web');
    const ship = await postOrder('local-web', order('PICK-1', 1));
    const pickup = await postOrder(
      'local-web',
      order('PICK-1', 5, { delivery: { type: 'pickup', locationId: 'PICKUP-1' } }),
    );

    expect(read.body.items[0]).toMatchObject({
      sku: 'PICK-1',
      ship: 0,
      available: 0,
      pickup: [{ locationId: 'PICKUP-1', available: 5, distanceKm: expect.any(Number) }],
    });
    expect(ship).toMatchObject({
      status: 409,
      body: {
        error: { code: 'INSUFFICIENT_STOCK', details: [{ sku: 'PICK-1', requested: 1, available: 0 }] },
      },
    });
    expect(pickup.status).toBe(201);
  });

  // The every-SKU pass runs each second locally; on a loaded CI machine give it time.
  const PASS_WAIT_MS = 40_000;

  it('takes a closed store out of availability at once, with the events, and gives it back', async () => {
    await ops('PUT', '/inventory/CLOSE-1/STORE-1', { onHand: 4 });
    await ops('PUT', '/inventory/CLOSE-1/DC-1', { onHand: 6 });
    await waitFor(
      () => changesFor('CLOSE-1'),
      (c) => c.length >= 5,
      PASS_WAIT_MS,
    );
    const read = async () => (await call('GET', '/availability?skus=CLOSE-1', 'local-web')).body.items[0];

    const closing = await ops('PUT', '/locations/STORE-1/status', {
      state: 'disabled',
      reason: 'stock take',
    });
    const closed = await read();
    const located = await waitFor(
      async () =>
        (await busEvents('LocationChanged')).filter((e) => e.event.detail.data.locationId === 'STORE-1'),
      (events) => events.some((e) => (e.event.detail.data.status as { state: string }).state === 'disabled'),
      PASS_WAIT_MS,
    );
    const afterClose = await waitFor(
      () => changesFor('CLOSE-1'),
      (c) => c.some((d) => d.channel === 'web' && d.available === 6),
      PASS_WAIT_MS,
    );
    await ops('PUT', '/locations/STORE-1/status', { state: 'enabled' });
    const reopened = await read();
    const afterOpen = await waitFor(
      () => changesFor('CLOSE-1'),
      (c) => c.filter((d) => d.channel === 'web' && d.available === 10).length >= 2,
      PASS_WAIT_MS,
    );

    expect(closing.status).toBe(200);
    expect(closed).toMatchObject({ ship: 6, pickup: [] });
    expect(located.length).toBeGreaterThan(0);
    expect(afterClose.some((d) => d.channel === 'web' && d.available === 6)).toBe(true);
    expect(reopened).toMatchObject({ ship: 10, pickup: [{ locationId: 'STORE-1', available: 4 }] });
    expect(afterOpen.filter((d) => d.channel === 'web' && d.available === 10).length).toBeGreaterThanOrEqual(
      2,
    );
  }, 150_000);

  it('honours safety stock and the channel rules', async () => {
    await ops('PUT', '/inventory/RULE-1/DC-1', { onHand: 40, safetyStock: 4 });
    await ops('PUT', '/inventory/RULE-1/STORE-1', { onHand: 10, safetyStock: 2 });
    await ops('PUT', '/channel-rules/rule1-mkt', {
      name: 'Marketplaces half',
      channel: 'marketplace',
      type: 'maxShareOfAtp',
      percent: 50,
      skus: ['RULE-1'],
    });
    await ops('PUT', '/channel-rules/rule1-store', {
      name: 'Keep 6 for stores',
      channel: 'store',
      type: 'protectUnits',
      units: 6,
      skus: ['RULE-1'],
    });

    // Answers come from the snapshot the stream keeps: wait until it has carried both counts.
    expect(
      await waitFor(
        () => availableTo('local-ops', 'RULE-1'),
        (a) => a === 44,
      ),
    ).toBe(44);
    expect(await availableTo('local-store', 'RULE-1')).toBe(44);
    expect(await availableTo('local-web', 'RULE-1')).toBe(38);
    expect(await availableTo('local-marketplace', 'RULE-1')).toBe(22);
    const refused = await postOrder('local-marketplace', order('RULE-1', 23));
    expect(refused.body.error).toMatchObject({
      code: 'INSUFFICIENT_STOCK',
      details: [{ sku: 'RULE-1', requested: 23, available: 22 }],
    });
  });

  it('emits one AvailabilityChanged per channel for each change of the number', async () => {
    await ops('PUT', '/inventory/EVT-1/DC-1', { onHand: 10 });
    const initial = await waitFor(
      () => changesFor('EVT-1'),
      (c) => c.length >= 5,
    );

    await postOrder('local-web', order('EVT-1', 3));
    const after = await waitFor(
      () => changesFor('EVT-1'),
      (c) => c.length >= 10,
    );
    await stack.bus.whenIdle();
    await new Promise((r) => setTimeout(r, 500));

    expect(initial.map((c) => c.available)).toEqual([10, 10, 10, 10, 10]);
    expect(after.slice(5).map((c) => c.available)).toEqual([7, 7, 7, 7, 7]);
    expect(await changesFor('EVT-1')).toHaveLength(10);
    const reserved = (await busEvents('InventoryReserved')).filter(
      (e) => e.event.detail.data.sku === 'EVT-1',
    );
    expect(reserved).toHaveLength(1);
  });

  it('gives an expired hold its units back', async () => {
    await ops('PUT', '/inventory/HOLD-1/STORE-1', { onHand: 3 });
    const hold = await call('POST', '/holds', 'local-store', {
      lines: [{ sku: 'HOLD-1', quantity: 2 }],
      delivery: { type: 'pickup', locationId: 'STORE-1' },
      expiresInSeconds: 1,
    });
    expect(hold.status).toBe(201);
    expect(
      await waitFor(
        () => availableTo('local-store', 'HOLD-1'),
        (a) => a === 1,
      ),
    ).toBe(1);

    const after = await waitFor(
      () => availableTo('local-store', 'HOLD-1'),
      (a) => a === 3,
    );

    expect(after).toBe(3);
    const released = await waitFor(
      () => busEvents('InventoryReleased'),
      (events) => events.some((e) => e.event.detail.data.sku === 'HOLD-1'),
    );
    expect(released.find((e) => e.event.detail.data.sku === 'HOLD-1')?.event.detail.data).toMatchObject({
      quantity: 2,
      reason: 'hold expired',
    });
  });
});

describe('exact channel allocations over HTTP', () => {
  const burst = async (key: string, sku: string, n: number) => {
    const answers = await Promise.all(Array.from({ length: n }, () => postOrder(key, order(sku))));
    const statuses: Record<number, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    return statuses;
  };

  it('lets exactly 10 of 50 concurrent web orders through "web at most 10% of 100 units"', async () => {
    await ops('PUT', '/inventory/ALLOC-1/DC-1', { onHand: 100 });
    await ops('PUT', '/channel-rules/alloc1-web', {
      name: 'web at most 10%',
      channel: 'web',
      type: 'maxShareOfAtp',
      percent: 10,
      skus: ['ALLOC-1'],
    });

    expect(await burst('local-web', 'ALLOC-1', 50)).toEqual({ 201: 10, 409: 40 });
    const web = await waitFor(
      () => call('GET', '/availability?skus=ALLOC-1', 'local-web'),
      (a) => a.body.items[0].ship === 0,
    );
    expect(web.body.items[0]).toMatchObject({ ship: 0, limitedBy: [{ ruleId: 'alloc1-web' }] });
  });

  it('never lets 50 concurrent web orders take the 3 units protected for stores; a store order can', async () => {
    await ops('PUT', '/inventory/ALLOC-2/DC-1', { onHand: 20 });
    await ops('PUT', '/channel-rules/alloc2-store', {
      name: 'Keep 3 for stores',
      channel: 'store',
      type: 'protectUnits',
      units: 3,
      skus: ['ALLOC-2'],
    });

    expect(await burst('local-web', 'ALLOC-2', 50)).toEqual({ 201: 17, 409: 33 });
    expect((await postOrder('local-store', order('ALLOC-2', 3))).status).toBe(201);
    expect((await ops('GET', '/inventory/ALLOC-2')).body.positions[0]).toMatchObject({ reserved: 20 });
  });
});

describe('counts that never lose a sale', () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

  it('keeps a sale from after a count that arrives later, and ignores an older count, saying so', async () => {
    await ops('PUT', '/inventory/COUNT-1/STORE-1', { onHand: 30, countedAt: at(120) });
    const sale = await ops('POST', '/inventory/adjustments', {
      sku: 'COUNT-1',
      locationId: 'STORE-1',
      delta: -1,
      reason: 'sale',
      sourceSystem: 'pos-1',
      sourceEventId: 'sale-1',
      occurredAt: at(9),
    });
    const count = await ops('PUT', '/inventory/COUNT-1/STORE-1', {
      onHand: 10,
      countedAt: at(10),
      sourceSystem: 'pos-1',
      sourceEventId: 'count-1',
    });
    const older = await ops('PUT', '/inventory/COUNT-1/STORE-1', {
      onHand: 15,
      countedAt: at(60),
      sourceSystem: 'pos-1',
      sourceEventId: 'count-0',
    });

    expect(sale.status).toBe(201);
    expect(count.body).toMatchObject({ applied: true, onHand: 9, laterMovements: -1 });
    expect(older).toMatchObject({
      status: 200,
      body: { applied: false, reason: 'OLDER_THAN_LAST_COUNT', onHand: 9 },
    });
    const history = await ops('GET', '/inventory/COUNT-1/STORE-1/history');
    expect(
      history.body.items.map((r: { kind: string; applied: boolean }) => `${r.kind}:${r.applied}`),
    ).toEqual(['adjustment:true', 'count:true', 'count:false', 'count:true']);
  });
});

describe('sourcing profiles over HTTP', () => {
  const profile = {
    defaults: { maxSplit: 2 },
    strategies: [
      {
        name: 'nearest',
        conditions: {},
        filters: [
          { name: 'enabled' },
          { name: 'fulfilsDeliveryType' },
          { name: 'channelAllowed' },
          { name: 'notExcluded' },
        ],
        criteria: [{ name: 'fewestShipments' }, { name: 'distance' }],
      },
    ],
    fallbacks: [],
  };

  it('refuses a profile that cannot route, writes a draft, and activates it after its dry run', async () => {
    const broken = await ops('PUT', '/sourcing-profiles/regional', {
      ...profile,
      strategies: [{ ...profile.strategies[0], filters: [{ name: 'enabled' }] }],
    });
    const draft = await ops('PUT', '/sourcing-profiles/regional', profile);
    const again = await ops('PUT', '/sourcing-profiles/regional', profile);
    const dry = await ops('POST', '/sourcing-profiles/regional/versions/1/dry-run');
    const activated = await ops('POST', '/sourcing-profiles/regional/versions/1/activate');
    const read = await ops('GET', '/sourcing-profiles/regional');
    const forChannel = await call('GET', '/sourcing-profiles/regional', 'local-web');

    expect(broken).toMatchObject({ status: 422, body: { error: { code: 'PROFILE_INVALID' } } });
    expect(broken.body.error.details.map((d: { path: string }) => d.path)).toContain('strategies.0.filters');
    expect(draft).toMatchObject({ status: 201, body: { version: 1, status: 'draft' } });
    expect(again).toMatchObject({ status: 200, body: { version: 1 } });
    expect(dry).toMatchObject({
      status: 200,
      body: { version: 1, wouldRouteDifferently: 0, unreplayable: 0 },
    });
    expect(activated).toMatchObject({
      status: 200,
      body: { activated: { status: 'active' }, dryRun: { version: 1 } },
    });
    expect(read.body).toMatchObject({ activeVersion: 1, versions: [{ version: 1, status: 'active' }] });
    expect(forChannel.status).toBe(403);
  });
});

describe('orders across channels', () => {
  it('shows a channel only its own orders, cancels once and gives the units back', async () => {
    await ops('PUT', '/inventory/OWN-1/STORE-1', { onHand: 4 });
    const created = await postOrder('local-callcenter', order('OWN-1', 2, { channelOrderId: 'CC-1' }));
    const { orderId } = created.body;

    expect(created.status).toBe(201);
    expect(created.body.channel).toBe('callcenter');
    expect(created.body.decision.summary).toEqual(expect.any(String));
    expect((await call('GET', `/orders/${orderId}`, 'local-web')).status).toBe(404);
    expect((await call('GET', `/orders/${orderId}`, 'local-ops')).status).toBe(200);
    expect((await call('POST', `/orders/${orderId}/cancel`, 'local-callcenter')).body.status).toBe(
      'CANCELLED',
    );
    expect((await call('POST', `/orders/${orderId}/cancel`, 'local-callcenter')).status).toBe(200);
    expect((await ops('GET', '/inventory/OWN-1')).body.positions[0]).toMatchObject({
      reserved: 0,
      available: 4,
    });
    const cancelled = await waitFor(
      () => busEvents('OrderCancelled'),
      (events) => events.some((e) => e.event.detail.data.orderId === orderId),
    );
    expect(cancelled.filter((e) => e.event.detail.data.orderId === orderId)).toHaveLength(1);
  });
});
