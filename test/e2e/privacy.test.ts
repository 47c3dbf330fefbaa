import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { freePort } from '../../local/dynamodb';
import { putSellableProducts } from '../support/catalog-http';
import { DC } from '../support/network';
import { killRun, npmStart, probeUntilReady, type Run, request, sleep } from './system';

/**
 * No personal data in the logs: `npm start` at its most verbose log level, customers' emails, phones,
 * names, addresses and marketplace buyer ids sent through every path that takes them (orders from
 * channels and a marketplace, refusals, lookups, verification, reviews), then the whole output of the
 * run searched for each value.
 */

const PEOPLE = {
  email: 'margaret.hamilton@example.org',
  phone: '+447911123456',
  phoneNational: '07911 123456',
  name: 'Margaret Hamilton',
  line1: '42 Apollo Way',
  postalCode: 'SW1A 2AA',
  otherEmail: 'katherine.johnson@example.org',
  buyerId: 'ACME-BUYER-77413',
  loyaltyId: 'LOYAL-55120',
};

let port: number;
let dataDir: string;
let run: Run;

const api = (path: string, options: Parameters<typeof request>[2] = {}) => request(port, path, options);

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(resolve(tmpdir(), 'privacy-'));
  const level = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  run = npmStart(port, ['--data-dir', dataDir, '--no-seed']);
  if (level === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = level;
  await probeUntilReady(run);
}, 120_000);

afterAll(async () => {
  if (run) await killRun(run);
  rmSync(dataDir, { recursive: true, force: true });
});

it('writes no email, phone, name, address or buyer id to its logs or its events', async () => {
  expect((await api('/locations/DC-1', { method: 'PUT', key: 'local-ops', body: DC })).status).toBe(200);
  await putSellableProducts(`http://127.0.0.1:${port}`, ['PII-1']);
  expect(
    (await api('/inventory/PII-1/DC-1', { method: 'PUT', key: 'local-ops', body: { onHand: 50 } })).status,
  ).toBe(200);
  const delivery = {
    type: 'ship',
    address: { line1: PEOPLE.line1, city: 'London', postalCode: PEOPLE.postalCode, country: 'GB' },
  };
  const order = (key: string, customer: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    api('/orders', {
      method: 'POST',
      key,
      headers: { 'Idempotency-Key': randomUUID() },
      body: { customer, lines: [{ sku: 'PII-1', quantity: 1 }], delivery, ...extra },
    });

  const web = await order('local-web', { email: PEOPLE.email, phone: PEOPLE.phone, name: PEOPLE.name });
  const store = await order('local-store', { phone: PEOPLE.phone, loyaltyId: PEOPLE.loyaltyId });
  const conflicting = await order('local-web', {
    email: PEOPLE.otherEmail,
    loyaltyId: 'LOYAL-99999',
    phone: PEOPLE.phone,
  });
  const refused = await order(
    'local-web',
    { email: PEOPLE.email },
    { lines: [{ sku: 'PII-1', quantity: 1, unitPrice: 1 }] },
  );
  const invalid = await order('local-web', { email: 'not-an-email', phone: '+44 12' });
  const bus = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}/_aws/eventbridge`,
    region: 'us-east-1',
    // A marketplace signs with its own role's credentials (locally, its access key id names it).
    credentials: { accessKeyId: 'marketplace-acme', secretAccessKey: 'local' },
  });
  await bus.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'commerce',
          Source: 'marketplace.acme',
          DetailType: 'MarketplaceOrderPlaced',
          Detail: JSON.stringify({
            marketplaceOrderId: `ACME-${randomUUID()}`,
            buyerId: PEOPLE.buyerId,
            customer: { email: PEOPLE.email, name: PEOPLE.name },
            lines: [{ sku: 'PII-1', quantity: 1 }],
            delivery,
          }),
        },
      ],
    }),
  );
  bus.destroy();
  const customerId = (web.body as { customerId: string }).customerId;
  const profile = await api(`/customers/${customerId}`, { key: 'local-callcenter' });
  const lookup = await api(`/customers?email=${encodeURIComponent(PEOPLE.email)}`, { key: 'local-store' });
  await api(`/customers?phone=${encodeURIComponent(PEOPLE.phoneNational)}`, { key: 'local-store' });
  await api(`/customers/${customerId}/verified-emails`, {
    method: 'POST',
    key: 'local-ops',
    body: { email: PEOPLE.email },
  });
  await api('/customer-reviews', { key: 'local-ops' });
  // The marketplace order, its events and the stream have gone through.
  for (let i = 0; i < 100; i++) {
    const orders = await api(`/customers?email=${encodeURIComponent(PEOPLE.email)}`, { key: 'local-ops' });
    const items = (orders.body as { items: { orders: unknown[] }[] }).items;
    if ((items[0]?.orders.length ?? 0) >= 3) break;
    await sleep(100);
  }
  await sleep(1500);

  expect([web.status, store.status, conflicting.status, refused.status, invalid.status]).toEqual([
    201, 201, 201, 409, 400,
  ]);
  expect(profile.status).toBe(200);
  expect((lookup.body as { items: unknown[] }).items).toHaveLength(1);
  const output = run.output();
  expect(output.length).toBeGreaterThan(0);
  const leaks = Object.entries(PEOPLE).filter(([, value]) =>
    output.toLowerCase().includes(value.toLowerCase()),
  );
  expect(leaks.map(([field]) => field)).toEqual([]);
  // Every event the system published (the marketplace's own order event carries what the marketplace
  // sent; what the system says about it afterwards must not).
  const recorded = await api('/_local/events?limit=10000');
  const published = (recorded.body as { events: { event: { source: string } }[] }).events
    .map((r) => r.event)
    .filter((e) => e.source.startsWith('commerce.'));
  expect(published.map((e) => (e as { 'detail-type'?: string })['detail-type'])).toEqual(
    expect.arrayContaining(['OrderCreated', 'CustomerCreated']),
  );
  const events = JSON.stringify(published).toLowerCase();
  const eventLeaks = Object.entries(PEOPLE).filter(([, value]) => events.includes(value.toLowerCase()));
  expect(eventLeaks.map(([field]) => field)).toEqual([]);
}, 120_000);
