import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import { defineRoute } from '../../../shared/platform/definition';
import { httpApi } from '../../../shared/platform/http';

/**
 * The handler chain as API Gateway calls it: a proxy event whose authorizer context names the
 * principal (the authorizer verified the token of a client; here a client id stands for it).
 */
const KEYS: Record<string, string> = { 'key-web': 'web', 'key-ops': 'ops', 'key-lon': 'location:STORE-LON' };

const event = (apiKeyId?: string, extra: Partial<APIGatewayProxyEvent> = {}) =>
  ({
    httpMethod: 'GET',
    path: '/x',
    headers: {},
    queryStringParameters: null,
    pathParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: apiKeyId && KEYS[apiKeyId] ? { authorizer: { principal: KEYS[apiKeyId] } } : {},
    ...extra,
  }) as unknown as APIGatewayProxyEvent;
const context = { functionName: 'Test', awsRequestId: 'r-1' } as Context;

const whoAmI = (access: 'public' | 'channel' | 'ops' | 'any' | 'location') =>
  httpApi(defineRoute({ method: 'GET', path: '/x', access, summary: 'who am I' }), async ({ principal }) => ({
    statusCode: 200,
    body: { principal },
  }));

const call = async (
  handler: ReturnType<typeof whoAmI>,
  apiKeyId?: string,
  extra?: Partial<APIGatewayProxyEvent>,
) => {
  const response = await handler(event(apiKeyId, extra), context);
  return { status: response.statusCode, body: JSON.parse(response.body || '{}') };
};

describe('httpApi', () => {
  it('runs a public route as the anonymous principal, whatever key comes with it', async () => {
    expect(await call(whoAmI('public'))).toEqual({ status: 200, body: { principal: 'anonymous' } });
    expect(await call(whoAmI('public'), 'key-ops')).toEqual({
      status: 200,
      body: { principal: 'anonymous' },
    });
  });

  it("takes the principal from the authorizer's verified client, never from the request", async () => {
    expect((await call(whoAmI('any'), 'key-web')).body).toEqual({ principal: 'web' });
    expect((await call(whoAmI('any'), 'key-ops')).body).toEqual({ principal: 'ops' });
    expect((await call(whoAmI('any'), 'unknown')).body.error.code).toBe('UNAUTHORIZED');
    expect((await call(whoAmI('any'), 'unknown')).status).toBe(401);
  });

  it("keeps each kind of route to its callers: a location's client only on location routes", async () => {
    expect((await call(whoAmI('channel'), 'key-ops')).status).toBe(403);
    expect((await call(whoAmI('ops'), 'key-web')).status).toBe(403);
    expect((await call(whoAmI('any'), 'key-lon')).status).toBe(403);
    expect((await call(whoAmI('channel'), 'key-lon')).status).toBe(403);
    expect((await call(whoAmI('location'), 'key-web')).status).toBe(403);
    expect((await call(whoAmI('location'), 'key-ops')).status).toBe(403);
    expect(await call(whoAmI('location'), 'key-lon')).toEqual({
      status: 200,
      body: { principal: 'location:STORE-LON' },
    });
    // No verified token, no principal: an x-api-key header authenticates nobody.
    expect(
      (await call(whoAmI('location'), undefined, { headers: { 'x-api-key': 'local-ops' } })).status,
    ).toBe(401);
  });

  it('validates declared headers by their documented name, matched case-insensitively', async () => {
    const handler = httpApi(
      defineRoute({
        method: 'POST',
        path: '/x',
        access: 'channel',
        summary: 'needs a key',
        headers: z.object({ 'Idempotency-Key': z.string().min(1) }),
      }),
      async ({ headers }) => ({ statusCode: 200, body: { key: headers['Idempotency-Key'] } }),
    );

    expect(await call(handler, 'key-web', { headers: { 'idempotency-key': 'k-1' } })).toEqual({
      status: 200,
      body: { key: 'k-1' },
    });
    const missing = await call(handler, 'key-web');
    expect(missing.status).toBe(400);
    expect(missing.body.error.details[0].path).toBe('headers.Idempotency-Key');
  });
});
