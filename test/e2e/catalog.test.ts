import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type LocalStack, startLocalStack } from '../../local/stack';
import { callAs } from './system';

/**
 * The catalog from outside: the import command a user runs against the running system, the product
 * API with its entity tags, the intakes' refusals and the events, over HTTP only.
 */

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
let stack: LocalStack;
let dir: string;

const call = (method: string, path: string, key: string, body?: unknown, headers?: Record<string, string>) =>
  callAs(stack.url, method, path, key, body, headers);
const ops = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  call(method, path, 'local-ops', body, headers);

/** A valid EAN-13 from its first 12 digits. */
const ean13 = (first12: string) => {
  const sum = [...first12].reduce((s, d, i) => s + Number(d) * (i % 2 ? 3 : 1), 0);
  return `${first12}${(10 - (sum % 10)) % 10}`;
};

const HEADER =
  'sku,title,brand,gtin,category,status,finalSale,channels,length,width,height,weight,attr.size,attr.colour';
const goodRow = (i: number) =>
  `IMP-${i},Tee ${i},Northwind,${ean13(`5099${String(i).padStart(8, '0')}`)},apparel.tees,active,false,web|app|store,30 cm,20 cm,2 cm,170 g,M,white`;

async function importFile(file: string) {
  try {
    const { stdout } = await run(
      join(ROOT, 'node_modules/.bin/tsx'),
      ['scripts/import.ts', file, '--url', stack.url],
      {
        cwd: ROOT,
      },
    );
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'catalog-'));
  stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    tablePrefix: `cat${randomUUID().slice(0, 6)}-`,
    quiet: true,
    seed: false,
  });
  expect(
    (await ops('PUT', '/categories/apparel.tees', { name: 'Tees', requiredAttributes: ['size', 'colour'] }))
      .status,
  ).toBe(201);
  expect(
    (
      await ops('PUT', '/locations/DC-1', {
        name: 'DC 1',
        type: 'dc',
        geo: { lat: 52.25, lon: -1.16 },
        postalCode: 'NN11 8PB',
        country: 'GB',
        fulfils: ['ship'],
        priority: 10,
      })
    ).status,
  ).toBe(200);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run import', () => {
  it('imports 1,000 products, reports every rejected row by line and reason, and changes nothing the second time', async () => {
    const bad = [
      'BAD-CAT,Tee,Northwind,,apparel.hats,active,false,web,,,,,M,white',
      `BAD-GTIN,Tee,Northwind,5012345678901,apparel.tees,active,false,web,,,,,M,white`,
      'BAD-UNITS,Tee,Northwind,,apparel.tees,active,false,web,30 cm,8 in,2 cm,,M,white',
      'BAD-ATTR,Tee,Northwind,,apparel.tees,active,false,web,,,,,M,',
      `BAD-DUP,Tee,Northwind,${ean13('509900000007')},apparel.tees,active,false,web,,,,,M,white`,
    ];
    const lines = [HEADER, ...Array.from({ length: 1000 }, (_, i) => goodRow(i)), ...bad];
    const file = join(dir, 'products.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const first = await importFile(file);
    const second = await importFile(file);

    expect([first.code, first.stderr ?? '']).toEqual([1, expect.not.stringContaining('refused the batch')]);
    expect(first.stdout).toMatch(/1005 rows in [\d.]+ s: 1000 created, 0 updated, 0 unchanged, 5 rejected/);
    expect(first.stdout).toContain('line 1002 (BAD-CAT): DATA_QUALITY — UNKNOWN_CATEGORY category');
    expect(first.stdout).toContain('line 1003 (BAD-GTIN): DATA_QUALITY — GTIN_CHECK_DIGIT gtin');
    expect(first.stdout).toContain('line 1004 (BAD-UNITS): DATA_QUALITY — MIXED_UNITS dimensions.width.unit');
    expect(first.stdout).toContain(
      'line 1005 (BAD-ATTR): DATA_QUALITY — REQUIRED_ATTRIBUTE attributes.colour',
    );
    expect(first.stdout).toContain(
      'line 1006 (BAD-DUP): DATA_QUALITY — GTIN_IN_USE gtin: the GTIN belongs to SKU IMP-7',
    );
    expect(second.stdout).toMatch(/1005 rows in [\d.]+ s: 0 created, 0 updated, 1000 unchanged, 5 rejected/);
    expect((await ops('GET', '/products/IMP-999')).body).toMatchObject({
      version: 1,
      dimensions: { length: 300, width: 200, height: 20, unit: 'mm' },
      weight: { value: 170, unit: 'g' },
    });
  }, 120_000);
});

describe('the product API', () => {
  const product = {
    title: 'Crew tee',
    brand: 'Northwind',
    category: 'apparel.tees',
    attributes: { size: 'M', colour: 'black' },
    channels: ['web', 'store'],
  };

  it('gives each version an ETag and refuses a write against a stale one with 412', async () => {
    const created = await ops('PUT', '/products/ETAG-1', product);
    const etag = created.headers.get('etag') ?? '';
    const updated = await ops(
      'PUT',
      '/products/ETAG-1',
      { ...product, title: 'Crew tee v2' },
      { 'If-Match': etag },
    );
    const stale = await ops(
      'PUT',
      '/products/ETAG-1',
      { ...product, title: 'Crew tee v3' },
      { 'If-Match': etag },
    );

    expect([created.status, etag]).toEqual([201, '"1"']);
    expect([updated.status, updated.headers.get('etag')]).toEqual([200, '"2"']);
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({
      code: 'PRECONDITION_FAILED',
      details: [expect.objectContaining({ path: 'headers.If-Match', etag: '"2"' })],
    });
    expect((await ops('GET', '/products/ETAG-1')).body.title).toBe('Crew tee v2');
  });

  it('refuses orders and holds for a discontinued or unpublished product with 422 and the line', async () => {
    await ops('PUT', '/products/SOLD-1', product);
    await ops('PUT', '/prices/SOLD-1', { prices: [{ currency: 'GBP', amount: 1500 }] });
    await ops('PUT', '/inventory/SOLD-1/DC-1', { onHand: 10 });
    const order = {
      customer: { email: 'ada@example.com' },
      lines: [{ sku: 'SOLD-1', quantity: 1 }],
      delivery: {
        type: 'ship',
        address: { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' },
      },
    };
    const place = (key: string) => call('POST', '/orders', key, order, { 'Idempotency-Key': randomUUID() });

    const placed = await place('local-web');
    const unpublished = await place('local-app');
    await ops('PUT', '/products/SOLD-1', { ...product, status: 'discontinued' });
    const discontinued = await place('local-web');
    const hold = await call('POST', '/holds', 'local-web', {
      lines: order.lines,
      delivery: order.delivery,
    });

    expect(placed.status).toBe(201);
    expect([unpublished.status, unpublished.body.error.details[0]]).toEqual([
      422,
      expect.objectContaining({ path: 'lines.0.sku', reason: 'NOT_PUBLISHED' }),
    ]);
    expect([
      discontinued.status,
      discontinued.body.error.code,
      discontinued.body.error.details[0].reason,
    ]).toEqual([422, 'PRODUCT_NOT_SELLABLE', 'DISCONTINUED']);
    expect([hold.status, hold.body.error.details[0].reason]).toEqual([422, 'DISCONTINUED']);
  });

  it('publishes ProductChanged for each new version, naming the channels that must stop selling it', async () => {
    await ops('PUT', '/products/EVT-P', product);
    await ops('PUT', '/products/EVT-P', product);
    await ops('PUT', '/products/EVT-P', { ...product, channels: ['store'] });

    const deadline = Date.now() + 20_000;
    let changes: { product: { version: number }; changed: string[]; withdrawnFrom: string[] }[] = [];
    while (Date.now() < deadline) {
      const events = (await call('GET', '/_local/events?detailType=ProductChanged&limit=10000', 'local-ops'))
        .body.events as {
        event: { detail: { id: string; data: (typeof changes)[number] & { product: { sku: string } } } };
      }[];
      const seen = new Set<string>();
      changes = events
        .filter(
          (e) =>
            e.event.detail.data.product.sku === 'EVT-P' &&
            !seen.has(e.event.detail.id) &&
            seen.add(e.event.detail.id),
        )
        .map((e) => e.event.detail.data);
      if (changes.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    expect(changes.map((c) => [c.product.version, c.changed.includes('channels'), c.withdrawnFrom])).toEqual([
      [1, true, []],
      [2, true, ['web']],
    ]);
  });
});
