import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamodb';
import { makeCatalogPorts } from '../../../shared/catalog/adapters/runtime';
import { catalogTable } from '../../../shared/catalog/definition';
import { putCategory } from '../../../shared/catalog/use-cases/categories';
import { putProduct } from '../../../shared/catalog/use-cases/products';
import { documentClient } from '../../../shared/platform/clients';
import { PLATFORM_ENV } from '../../../shared/platform/config';
import { pricingTable } from '../../../shared/pricing/definition';
import { freshTables } from '../../support/dynamo';

/** The pricing handlers as API Gateway and the bus call them, over fresh tables in DynamoDB Local. */
type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyResult | unknown>;

const KEYS = { 'key-web': 'web', 'key-app': 'app', 'key-marketplace': 'marketplace', 'key-ops': 'ops' };
const context = { functionName: 'Test', awsRequestId: 'r-1' } as Context;
const FILES = [
  'put-base-prices',
  'get-base-prices',
  'put-price-rule',
  'list-price-rules',
  'put-promotion',
  'get-promotion',
  'list-promotions',
  'create-quote',
  'get-quote',
  'recompute-channel-prices',
];

let handlers: Record<string, Handler>;
const saved = { ...process.env };

beforeAll(async () => {
  const { client, names } = await freshTables(['pricing', 'catalog']);
  const catalog = makeCatalogPorts(documentClient(client), names.catalog ?? '');
  await putCategory(catalog, 'apparel', { name: 'Apparel', requiredAttributes: [] });
  await putCategory(catalog, 'apparel.tees', { name: 'Tees', requiredAttributes: [] });
  await putProduct(catalog, 'TEE', {
    title: 'Organic cotton tee',
    brand: 'Northwind',
    category: 'apparel.tees',
    attributes: {},
    status: 'active',
    finalSale: false,
    channels: ['web', 'app', 'marketplace'],
  });
  Object.assign(process.env, {
    [pricingTable.envVar]: names.pricing,
    [catalogTable.envVar]: names.catalog,
    [PLATFORM_ENV.dynamodbEndpoint]: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The handlers log as they would on AWS; a test run prints nothing.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  handlers = {};
  jest.isolateModules(() => {
    for (const file of FILES) handlers[file] = require(`../../../functions/pricing/${file}`).handler;
  });
});

afterAll(() => {
  process.env = saved;
});

async function call(
  file: string,
  key: keyof typeof KEYS,
  request: {
    method?: string;
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
) {
  const event = {
    httpMethod: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
    path: '/',
    headers: request.headers ?? {},
    pathParameters: request.params ?? null,
    queryStringParameters: request.query ?? null,
    body: request.body === undefined ? null : JSON.stringify(request.body),
    isBase64Encoded: false,
    requestContext: { authorizer: { principal: KEYS[key] } },
  } as unknown as APIGatewayProxyEvent;
  const response = (await handlers[file]!(event, context)) as APIGatewayProxyResult;
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    body: JSON.parse(response.body || '{}'),
  };
}

const UPLIFT = {
  name: 'Marketplace +5%',
  channels: ['marketplace'],
  adjustment: { type: 'percent', bps: 500 },
  validFrom: '2026-01-01T00:00:00Z',
};

describe('the pricing API', () => {
  it('puts base prices with an ETag, answers a repeat with the same, and refuses a stale If-Match', async () => {
    const body = { prices: [{ currency: 'GBP', amount: 1999 }] };

    const created = await call('put-base-prices', 'key-ops', { method: 'PUT', params: { sku: 'TEE' }, body });
    const repeated = await call('put-base-prices', 'key-ops', {
      method: 'PUT',
      params: { sku: 'TEE' },
      body,
    });
    const stale = await call('put-base-prices', 'key-ops', {
      method: 'PUT',
      params: { sku: 'TEE' },
      body: { prices: [{ currency: 'GBP', amount: 1899 }] },
      headers: { 'if-match': '"0"' },
    });

    expect(created).toMatchObject({
      status: 201,
      headers: { etag: '"1"' },
      body: { sku: 'TEE', version: 1 },
    });
    expect(repeated).toMatchObject({ status: 200, headers: { etag: '"1"' } });
    expect(stale).toMatchObject({ status: 412, body: { error: { code: 'PRECONDITION_FAILED' } } });
  });

  it('refuses a rule that ends before it starts, naming the field, and takes a valid one', async () => {
    const bad = await call('put-price-rule', 'key-ops', {
      method: 'PUT',
      params: { ruleId: 'marketplace-uplift' },
      body: { ...UPLIFT, validTo: '2025-01-01T00:00:00Z' },
    });
    const good = await call('put-price-rule', 'key-ops', {
      method: 'PUT',
      params: { ruleId: 'marketplace-uplift' },
      body: UPLIFT,
    });
    const listed = await call('list-price-rules', 'key-ops');

    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', details: [{ path: 'validTo' }] } },
    });
    expect(good).toMatchObject({
      status: 201,
      headers: { etag: '"1"' },
      body: { ruleId: 'marketplace-uplift', version: 1 },
    });
    expect(listed.body.items).toHaveLength(1);
  });

  it('recomputes the marketplace price from the rule’s event', async () => {
    const rule = (await call('list-price-rules', 'key-ops')).body.items[0];

    await handlers['recompute-channel-prices']!(
      {
        source: 'commerce.pricing',
        'detail-type': 'PriceRuleChanged',
        detail: { data: { ruleId: rule.ruleId, rule } },
      },
      context,
    );
    const price = await call('get-base-prices', 'key-ops', { params: { sku: 'TEE' } });

    expect(price.body.channels).toContainEqual(
      expect.objectContaining({
        channel: 'marketplace',
        currency: 'GBP',
        amount: 2099,
        ruleIds: ['marketplace-uplift'],
      }),
    );
  });

  it('quotes for the channel of the key, never of the body, with a trace naming the rule', async () => {
    const cart = { lines: [{ sku: 'TEE', quantity: 1 }] };

    const web = await call('create-quote', 'key-web', { body: cart });
    const marketplace = await call('create-quote', 'key-marketplace', { body: { ...cart, channel: 'web' } });
    const ops = await call('create-quote', 'key-ops', { body: cart });

    expect(web).toMatchObject({
      status: 201,
      body: { channel: 'web', currency: 'GBP', totals: { total: 1999 } },
    });
    expect(marketplace).toMatchObject({
      status: 201,
      body: { channel: 'marketplace', totals: { total: 2099 } },
    });
    expect(marketplace.body.lines[0].trace[1]).toMatchObject({ kind: 'rule', id: 'marketplace-uplift' });
    expect(ops.status).toBe(403);
    expect(await call('get-quote', 'key-web', { params: { quoteId: web.body.quoteId } })).toMatchObject({
      status: 200,
      body: { quoteId: web.body.quoteId, expired: false },
    });
    expect((await call('get-quote', 'key-app', { params: { quoteId: web.body.quoteId } })).status).toBe(404);
  });

  it('applies a category promotion through the catalog’s categories, and shows its usage', async () => {
    const put = await call('put-promotion', 'key-ops', {
      method: 'PUT',
      params: { promotionId: 'apparel-20' },
      body: {
        name: 'Apparel 20%',
        channels: ['app'],
        scope: { categories: ['apparel'] },
        kind: { type: 'percentOff', bps: 2000 },
        validFrom: '2026-01-01T00:00:00Z',
        limits: { total: 1000 },
      },
    });

    const quote = await call('create-quote', 'key-app', { body: { lines: [{ sku: 'TEE', quantity: 1 }] } });
    const promotion = await call('get-promotion', 'key-ops', { params: { promotionId: 'apparel-20' } });
    const active = await call('list-promotions', 'key-ops', { query: { status: 'active' } });

    expect(put.status).toBe(201);
    expect(quote.body.lines[0]).toMatchObject({
      category: 'apparel.tees',
      discountTotal: 400,
      lineTotal: 1599,
    });
    expect(promotion).toMatchObject({
      status: 200,
      body: { promotionId: 'apparel-20', usage: { total: 0 } },
    });
    expect(active.body.items.map((p: { promotionId: string }) => p.promotionId)).toEqual(['apparel-20']);
  });

  it('answers 422 NO_PRICE naming the line of a SKU without a price', async () => {
    const response = await call('create-quote', 'key-web', {
      body: {
        lines: [
          { sku: 'TEE', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ],
      },
    });

    expect(response).toMatchObject({
      status: 422,
      body: { error: { code: 'NO_PRICE', details: [{ path: 'lines.1.sku' }] } },
    });
  });
});
