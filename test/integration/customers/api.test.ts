import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/dynamodb';
import { makeCustomerPorts } from '../../../shared/customers/adapters/runtime';
import { customersTable } from '../../../shared/customers/definition';
import { documentClient } from '../../../shared/platform/clients';
import { PLATFORM_ENV } from '../../../shared/platform/config';
import { freshTables } from '../../support/dynamo';
import { minute, people, placeOrder } from './support';

/** The customers handlers as API Gateway calls them, over a fresh table in DynamoDB Local. */
type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const KEYS = { 'key-web': 'web', 'key-store': 'store', 'key-cc': 'callcenter', 'key-ops': 'ops' };
const context = { functionName: 'Test', awsRequestId: 'r-1' } as Context;
const { ada, grace } = people;

let handlers: Record<string, Handler>;
let ports: ReturnType<typeof makeCustomerPorts>;
const saved = { ...process.env };

beforeAll(async () => {
  const { client, names } = await freshTables(['customers']);
  ports = makeCustomerPorts(documentClient(client), names.customers ?? '');
  Object.assign(process.env, {
    [customersTable.envVar]: names.customers,
    [PLATFORM_ENV.dynamodbEndpoint]: process.env.TEST_DYNAMODB_ENDPOINT,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  });
  const files = [
    'get-customer',
    'find-customers',
    'list-customer-reviews',
    'merge-customers',
    'dismiss-customer-review',
    'unmerge-customers',
    'verify-customer-email',
  ];
  handlers = {};
  jest.isolateModules(() => {
    for (const file of files) handlers[file] = require(`../../../functions/customers/${file}`).handler;
  });
});

afterAll(() => {
  process.env = saved;
});

async function call(
  file: string,
  key: keyof typeof KEYS,
  request: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
) {
  const event = {
    httpMethod: request.body === undefined ? 'GET' : 'POST',
    path: '/',
    headers: {},
    pathParameters: request.params ?? null,
    queryStringParameters: request.query ?? null,
    body: request.body === undefined ? null : JSON.stringify(request.body),
    isBase64Encoded: false,
    requestContext: { authorizer: { principal: KEYS[key] } },
  } as unknown as APIGatewayProxyEvent;
  const response = await handlers[file]!(event, context);
  return { status: response.statusCode, body: JSON.parse(response.body || '{}') };
}

describe('the customers API', () => {
  it('shows a customer to the call centre and a store, not to the web channel', async () => {
    const { customerId } = await placeOrder(ports, 'ord_a1', 'web', { email: ada.email }, minute(0));

    const callcenter = await call('get-customer', 'key-cc', { params: { customerId } });
    const web = await call('get-customer', 'key-web', { params: { customerId } });
    const missing = await call('get-customer', 'key-store', { params: { customerId: 'cus_nope' } });

    expect(callcenter).toMatchObject({
      status: 200,
      body: {
        customerId,
        identifiers: [{ type: 'email', value: 'ada.lovelace@example.com' }],
        orders: [{ orderId: 'ord_a1' }],
      },
    });
    expect(web).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });

  it('looks a customer up by exactly one of email, phone or loyalty id', async () => {
    const { customerId } = await placeOrder(ports, 'ord_g1', 'store', { phone: grace.mobile }, minute(1));

    const byPhone = await call('find-customers', 'key-store', { query: { phone: '+447400123456' } });
    const two = await call('find-customers', 'key-ops', {
      query: { phone: '+447400123456', email: 'x@y.z' },
    });
    const badPhone = await call('find-customers', 'key-ops', { query: { phone: '+4412' } });

    expect(byPhone).toMatchObject({ status: 200, body: { items: [{ customerId }] } });
    expect(two).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', details: [{ path: 'query' }] } },
    });
    expect(badPhone).toMatchObject({ status: 400, body: { error: { details: [{ path: 'query.phone' }] } } });
  });

  it('lets operations merge a review item and undo the merge', async () => {
    await placeOrder(ports, 'ord_r1', 'store', { phone: '+447400000101', loyaltyId: 'R1' }, minute(2));
    await placeOrder(ports, 'ord_r2', 'web', { email: 'r@example.com', loyaltyId: 'R2' }, minute(3));
    const linked = await placeOrder(
      ports,
      'ord_r3',
      'app',
      { email: 'r@example.com', phone: '+447400000101' },
      minute(4),
    );
    const reviewId = linked.decision.reviewId!;

    const listed = await call('list-customer-reviews', 'key-ops', { query: { status: 'open' } });
    const byStore = await call('list-customer-reviews', 'key-store');
    const merged = await call('merge-customers', 'key-ops', { params: { reviewId }, body: {} });
    const dismissMerged = await call('dismiss-customer-review', 'key-ops', {
      params: { reviewId },
      body: {},
    });
    const undone = await call('unmerge-customers', 'key-ops', {
      params: { mergeId: merged.body.merges[0].mergeId },
      body: {},
    });

    expect(listed.body.items.map((r: { reviewId: string }) => r.reviewId)).toContain(reviewId);
    expect(byStore.status).toBe(403);
    expect(merged).toMatchObject({ status: 200, body: { review: { status: 'merged' } } });
    expect(dismissMerged).toMatchObject({ status: 409, body: { error: { code: 'REVIEW_NOT_OPEN' } } });
    expect(undone).toMatchObject({ status: 200, body: { status: 'undone' } });
  });

  it('verifies an email on a profile', async () => {
    const { customerId } = await placeOrder(ports, 'ord_v1', 'store', { loyaltyId: 'V1' }, minute(5));

    const verified = await call('verify-customer-email', 'key-web', {
      params: { customerId },
      body: { email: 'v@example.com' },
    });
    const invalid = await call('verify-customer-email', 'key-web', {
      params: { customerId },
      body: { email: 'v' },
    });

    expect(verified).toEqual({ status: 200, body: { customerId } });
    expect(invalid).toMatchObject({ status: 400, body: { error: { details: [{ path: 'email' }] } } });
  });
});
