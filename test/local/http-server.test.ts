import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type ApiServer, createApiServer, httpRoutes, MAX_BODY_BYTES } from '../../local/http-server';
import type { LocalHandler } from '../../local/lambda';
import { functions, LOCAL_API_KEYS } from '../../shared/platform/definitions';
import { closeConnections, memoryLogger, recorder, send } from './support';

describe('local API server', () => {
  const handlers = new Map<string, LocalHandler>();
  const log = memoryLogger();
  let api: ApiServer;
  let base: string;

  // A Lambda error reaches the caller as API Gateway's 502, which the deployed API renders with
  // its DEFAULT_5XX response: code INTERNAL, "Internal server error".
  const badGateway = { error: { code: 'INTERNAL', message: 'Internal server error', details: [] } };

  /** Answers 200 with the event it received, so the test can inspect the proxy event. */
  const echo = recorder<APIGatewayProxyEvent>((event) => ({ statusCode: 200, body: JSON.stringify(event) }));

  beforeAll(async () => {
    for (const fn of functions) handlers.set(fn.name, echo);
    api = createApiServer({
      routes: httpRoutes(functions),
      handlers,
      apiKeys: LOCAL_API_KEYS,
      region: 'us-east-1',
      log,
    });
    base = `http://127.0.0.1:${await api.listen(0)}`;
  });

  afterAll(async () => {
    closeConnections();
    await api.close();
  });

  beforeEach(() => {
    for (const fn of functions) handlers.set(fn.name, echo);
    echo.calls.length = 0;
    log.errors.length = 0;
  });

  describe('request → proxy event', () => {
    it('fills the v1 proxy event from the route template, path, query, headers and key', async () => {
      const response = await send(`${base}/orders/ord%201?status=open&tag=a&tag=b%2Fc&empty`, {
        headers: [
          ['X-Api-Key', 'local-web'],
          ['X-Trace', 'one'],
          ['X-Trace', 'two'],
        ],
      });

      expect(response.status).toBe(200);
      const event = response.json() as APIGatewayProxyEvent;
      expect(event).toMatchObject({
        resource: '/orders/{orderId}',
        path: '/orders/ord%201',
        httpMethod: 'GET',
        // REST APIs deliver path parameters as sent (percent-encoded), query parameters decoded.
        pathParameters: { orderId: 'ord%201' },
        queryStringParameters: { status: 'open', tag: 'b/c', empty: '' },
        multiValueQueryStringParameters: { status: ['open'], tag: ['a', 'b/c'], empty: [''] },
        body: null,
        isBase64Encoded: false,
        stageVariables: null,
      });
      expect(event.headers['X-Trace']).toBe('two');
      expect(event.multiValueHeaders['X-Trace']).toEqual(['one', 'two']);
      expect(event.headers['X-Api-Key']).toBe('local-web');
      expect(event.requestContext).toMatchObject({
        httpMethod: 'GET',
        resourcePath: '/orders/{orderId}',
        stage: 'local',
        path: '/local/orders/ord%201',
        accountId: '000000000000',
        identity: { apiKey: 'local-web', apiKeyId: 'local-web', sourceIp: '127.0.0.1' },
      });
      expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers['x-amzn-requestid']).toBe(event.requestContext.requestId);
      expect(Math.abs(event.requestContext.requestTimeEpoch - Date.now())).toBeLessThan(5_000);
    });

    it('gives a route without path parameters null pathParameters and query', async () => {
      const response = await send(`${base}/health`);

      const event = response.json() as APIGatewayProxyEvent;
      expect(event.pathParameters).toBeNull();
      expect(event.queryStringParameters).toBeNull();
      expect(event.multiValueQueryStringParameters).toBeNull();
      expect(event.requestContext.identity.apiKey).toBeNull();
    });

    it('passes the request body to the handler as a string, unchanged', async () => {
      const body = JSON.stringify({ lines: [{ sku: 'TEE-1', quantity: 2 }], note: 'ünïcödé' });

      const response = await send(`${base}/orders`, {
        method: 'POST',
        headers: { 'x-api-key': 'local-app', 'content-type': 'application/json' },
        body,
      });

      expect(response.status).toBe(200);
      expect(echo.calls).toHaveLength(1);
      expect(echo.calls[0]?.event.body).toBe(body);
      expect(echo.calls[0]?.event.resource).toBe('/orders');
      expect(echo.calls[0]?.context.functionName).toBe('PlaceOrder');
      expect(echo.calls[0]?.context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    });

    it('accepts a body of exactly the 10 MB limit', async () => {
      const body = Buffer.alloc(MAX_BODY_BYTES, 'a');

      const response = await send(`${base}/orders`, {
        method: 'POST',
        headers: { 'x-api-key': 'local-app' },
        body,
      });

      expect(response.status).toBe(200);
      expect(echo.calls[0]?.event.body).toHaveLength(MAX_BODY_BYTES);
    });

    it('prefers a literal segment to a path parameter, as API Gateway selects resources', async () => {
      const post = await send(`${base}/inventory/adjustments`, {
        method: 'POST',
        headers: { 'x-api-key': 'local-ops' },
        body: '{}',
      });
      const get = await send(`${base}/inventory/TEE-1`, { headers: { 'x-api-key': 'local-ops' } });

      expect(post.status).toBe(200);
      expect(echo.calls[0]?.context.functionName).toBe('AdjustInventory');
      expect(get.status).toBe(200);
      expect((get.json() as APIGatewayProxyEvent).pathParameters).toEqual({ sku: 'TEE-1' });
    });
  });

  describe('proxy result → response', () => {
    it('writes status, headers, multi-value headers and a default JSON content type', async () => {
      handlers.set('CheckHealth', async () => ({
        statusCode: 201,
        headers: { 'X-One': 'a', 'X-Count': 3, 'Set-Cookie': 'ignored=1' },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: '{"ok":true}',
      }));

      const response = await send(`${base}/health`);

      expect(response.status).toBe(201);
      expect(response.headers['x-one']).toBe('a');
      expect(response.headers['x-count']).toBe('3');
      expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.json()).toEqual({ ok: true });
    });

    it('decodes a base64 body and keeps the handler content type', async () => {
      const bytes = Buffer.from([0, 1, 2, 250, 255]);
      handlers.set('CheckHealth', async () => ({
        statusCode: 200,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      }));

      const response = await send(`${base}/health`);

      expect(response.headers['content-type']).toBe('application/octet-stream');
      expect(response.body.equals(bytes)).toBe(true);
    });

    it('keeps connections alive', async () => {
      const response = await send(`${base}/health`);

      expect(response.headers.connection).toBe('keep-alive');
    });
  });

  describe('API Gateway behaviour', () => {
    it('rejects a keyed route without a key, or with an unknown one, before the handler runs', async () => {
      const missing = await send(`${base}/locations`);
      const unknown = await send(`${base}/locations`, { headers: { 'x-api-key': 'not-a-key' } });

      for (const response of [missing, unknown]) {
        expect(response.status).toBe(403);
        expect(response.json()).toEqual({
          error: { code: 'INVALID_API_KEY', message: 'Forbidden', details: [] },
        });
      }
      expect(echo.calls).toHaveLength(0);
    });

    it('refuses inherited object keys as API keys', async () => {
      const response = await send(`${base}/locations`, { headers: { 'x-api-key': 'constructor' } });

      expect(response.status).toBe(403);
    });

    // The deployed API renders API Gateway's MISSING_AUTHENTICATION_TOKEN response (an unknown
    // resource, or a known resource without that method) as 404 NOT_FOUND: cdk/constructs/commerce-api.ts.
    it('answers an unknown path as the deployed gateway does: 404 NOT_FOUND, Missing Authentication Token', async () => {
      const response = await send(`${base}/nowhere/at/all`, { headers: { 'x-api-key': 'local-ops' } });

      expect(response.status).toBe(404);
      expect(response.json()).toEqual({
        error: {
          code: 'NOT_FOUND',
          message: expect.stringMatching(/^Missing Authentication Token/),
          details: [],
        },
      });
    });

    it('answers a known path with a method it does not have exactly as an unknown path, without Allow', async () => {
      const wrong = await send(`${base}/health`, { method: 'DELETE' });
      const literal = await send(`${base}/inventory/adjustments`, { headers: { 'x-api-key': 'local-ops' } });

      for (const response of [wrong, literal]) {
        expect(response.status).toBe(404);
        expect(response.headers.allow).toBeUndefined();
        expect(response.json()).toEqual({
          error: {
            code: 'NOT_FOUND',
            message: expect.stringMatching(/^Missing Authentication Token/),
            details: [],
          },
        });
      }
      expect(echo.calls).toHaveLength(0);
    });

    it('answers 413 to a body over 10 MB without calling the handler', async () => {
      const body = Buffer.alloc(MAX_BODY_BYTES + 1, 'a');

      const response = await send(`${base}/orders`, {
        method: 'POST',
        headers: { 'x-api-key': 'local-app' },
        body,
      });

      expect(response.status).toBe(413);
      expect(response.json()).toEqual({
        error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), details: [] },
      });
      expect(echo.calls).toHaveLength(0);
    });

    it('counts the bytes of a chunked body, which declares no length', async () => {
      const body = Buffer.alloc(MAX_BODY_BYTES + 1, 'a');

      const response = await send(`${base}/orders`, {
        method: 'POST',
        headers: { 'x-api-key': 'local-app', 'transfer-encoding': 'chunked' },
        body,
      });

      expect(response.status).toBe(413);
      expect(echo.calls).toHaveLength(0);
    });

    it('answers 502 INTERNAL and logs when the handler throws', async () => {
      handlers.set('CheckHealth', async () => {
        throw new Error('boom');
      });

      const response = await send(`${base}/health`);

      expect(response.status).toBe(502);
      expect(response.json()).toEqual(badGateway);
      expect(response.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
      expect(log.errors.join('\n')).toContain('CheckHealth threw');
      expect(log.errors.join('\n')).toContain('boom');
    });

    it('answers 502 INTERNAL when the handler throws synchronously or rejects with a non-error', async () => {
      handlers.set('CheckHealth', () => {
        throw new Error('sync boom');
      });
      const thrown = await send(`${base}/health`);
      handlers.set('CheckHealth', () => Promise.reject('just a string'));
      const rejected = await send(`${base}/health`);

      for (const response of [thrown, rejected]) {
        expect(response.status).toBe(502);
        expect(response.json()).toEqual(badGateway);
      }
    });

    it('answers 502 INTERNAL and logs when the handler returns something that is not a proxy result', async () => {
      handlers.set('CheckHealth', async () => ({ body: { not: 'a string' } }));

      const response = await send(`${base}/health`);

      expect(response.status).toBe(502);
      expect(response.json()).toEqual(badGateway);
      expect(log.errors.join('\n')).toContain('malformed');
    });
  });

  describe('limits from the definitions', () => {
    it("gives a function without its own settings the CDK construct's 10 s and 512 MB", async () => {
      // GET /orders/{orderId} (GetOrder) sets neither.
      await send(`${base}/orders/ord-1`, { headers: { 'x-api-key': 'local-app' } });

      const context = echo.calls[0]!.context;
      expect(context.memoryLimitInMB).toBe('512');
      expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(10_000);
      expect(context.getRemainingTimeInMillis()).toBeGreaterThan(9_000);
    });

    it("answers 502 INTERNAL when a handler runs past its function's timeout", async () => {
      const hang = new Promise(() => {});
      const routes = httpRoutes(functions).map((route) =>
        route.functionName === 'CheckHealth' ? { ...route, timeoutSeconds: 0.05 } : route,
      );
      const short = createApiServer({ routes, handlers, apiKeys: LOCAL_API_KEYS, region: 'us-east-1', log });
      const url = `http://127.0.0.1:${await short.listen(0)}`;
      handlers.set('CheckHealth', () => hang);
      try {
        const response = await send(`${url}/health`);

        expect(response.status).toBe(502);
        expect(response.json()).toEqual(badGateway);
        expect(log.errors.join('\n')).toContain('CheckHealth timed out after 0.05 s');
      } finally {
        closeConnections();
        await short.close();
      }
    });

    it("answers 504 when the handler runs past API Gateway's integration timeout", async () => {
      const short = createApiServer({
        routes: httpRoutes(functions),
        handlers,
        apiKeys: LOCAL_API_KEYS,
        region: 'us-east-1',
        log,
        integrationTimeoutMs: 50,
      });
      const url = `http://127.0.0.1:${await short.listen(0)}`;
      handlers.set(
        'CheckHealth',
        () => new Promise((done) => setTimeout(() => done({ statusCode: 200 }), 500)),
      );
      try {
        const response = await send(`${url}/health`);

        expect(response.status).toBe(504);
        expect(response.json()).toEqual({
          error: { code: 'INTERNAL', message: 'Endpoint request timed out', details: [] },
        });
      } finally {
        closeConnections();
        await short.close();
      }
    });
  });

  describe('readiness', () => {
    let gated: ApiServer;
    let url: string;
    const prefix = '/_runtime/secret';

    beforeEach(async () => {
      gated = createApiServer({
        routes: httpRoutes(functions),
        handlers,
        apiKeys: LOCAL_API_KEYS,
        region: 'us-east-1',
        log,
        initialState: 'starting',
        internalPrefix: prefix,
        endpoints: [
          { method: 'POST', path: '/_aws/eventbridge', handle: () => ({ statusCode: 200, body: '{}' }) },
        ],
      });
      url = `http://127.0.0.1:${await gated.listen(0)}`;
    });

    afterEach(async () => {
      closeConnections();
      await gated.close();
    });

    it('answers every route, /health included, 503 STARTING with Retry-After until opened', async () => {
      const responses = await Promise.all([
        send(`${url}/health`),
        send(`${url}/orders`, { method: 'POST', headers: { 'x-api-key': 'local-web' }, body: '{}' }),
        send(`${url}/nowhere`),
        send(`${url}/_local/events`),
      ]);

      for (const response of responses) {
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json()).toEqual({
          error: { code: 'STARTING', message: expect.any(String), details: [] },
        });
      }
      expect(echo.calls).toHaveLength(0);

      gated.setState('ready');

      expect((await send(`${url}/health`)).status).toBe(200);
    });

    it('answers the AWS endpoints with a retryable error the SDK understands', async () => {
      const response = await send(`${url}/_aws/eventbridge`, { method: 'POST', body: '{}' });

      expect(response.status).toBe(503);
      expect(response.headers['x-amzn-errortype']).toBe('ServiceUnavailableException');
      expect(response.json()).toMatchObject({
        __type: 'ServiceUnavailableException',
        error: { code: 'STARTING' },
      });
    });

    it("lets the runtime's own callers through under the internal prefix, which it strips", async () => {
      const health = await send(`${url}${prefix}/health`);
      const bus = await send(`${url}${prefix}/_aws/eventbridge`, { method: 'POST', body: '{}' });

      expect(health.status).toBe(200);
      expect((health.json() as APIGatewayProxyEvent).path).toBe('/health');
      expect(bus.status).toBe(200);
    });

    it('answers 503 STOPPING once stopping', async () => {
      gated.setState('stopping');

      const response = await send(`${url}/health`);

      expect(response.status).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'STOPPING' } });
    });
  });

  describe('httpRoutes', () => {
    it('takes every http trigger of the definitions, with its key requirement', () => {
      const routes = httpRoutes(functions);

      expect(routes).toContainEqual(
        expect.objectContaining({
          functionName: 'GetOrder',
          method: 'GET',
          path: '/orders/{orderId}',
          apiKeys: true,
        }),
      );
      expect(routes).toContainEqual(expect.objectContaining({ functionName: 'CheckHealth', apiKeys: false }));
      expect(routes.some((route) => route.functionName === 'PublishEvents')).toBe(false);
    });

    it('refuses two names for one path parameter, which API Gateway cannot deploy', () => {
      const routes = [
        { functionName: 'A', method: 'GET' as const, path: '/orders/{orderId}', apiKeys: false },
        { functionName: 'B', method: 'PUT' as const, path: '/orders/{id}', apiKeys: false },
      ];

      expect(() => createApiServer({ routes, handlers, apiKeys: {}, region: 'us-east-1' })).toThrow(
        /name one path parameter twice/,
      );
    });
  });
});
