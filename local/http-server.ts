import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ScopedOperation } from '../shared/platform/authorizer';
import type { FunctionDefinition, HttpMethod } from '../shared/platform/definitions';
import { API_INTEGRATION_TIMEOUT_MS } from '../shared/platform/definitions';
import { type HandlerMap, invoke, LambdaTimeoutError, LOCAL_ACCOUNT_ID } from './lambda';
import { describeError, type LocalLogger, silentLogger } from './log';

/** API Gateway's payload limit; the handlers enforce their own, smaller, limits. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** One HTTP-triggered function, as the router needs it. */
export interface HttpRoute {
  functionName: string;
  method: HttpMethod;
  /** The resource template, e.g. `/orders/{orderId}`; it becomes the event's `resource`. */
  path: string;
  /** API Gateway requires a valid `x-api-key` (a usage-plan key) on this method. */
  apiKeys: boolean;
  /** The OAuth scope the authorizer must allow (none: a public operation). */
  scope?: string;
  timeoutSeconds?: number;
  memoryMb?: number;
}

/**
 * The routes of every `http`-triggered function in the definitions, each with its scope from
 * `operations` (the scoped operations of the definitions).
 */
export function httpRoutes(
  functions: readonly FunctionDefinition[],
  operations: readonly ScopedOperation[] = [],
): HttpRoute[] {
  const scopes = new Map(operations.map((op) => [`${op.method} ${op.path}`, op.scope]));
  const routes: HttpRoute[] = [];
  for (const fn of functions) {
    if (fn.trigger.kind !== 'http') continue;
    const scope = scopes.get(`${fn.trigger.method} ${fn.trigger.path}`);
    routes.push({
      functionName: fn.name,
      method: fn.trigger.method,
      path: fn.trigger.path,
      apiKeys: fn.apiKeys === true,
      ...(scope ? { scope } : {}),
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
    });
  }
  return routes;
}

/** A request to one of the runtime's own endpoints (the bus, the local inspection lists). */
export interface LocalRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface LocalResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/** An endpoint served next to the API (exact method and path), outside API Gateway emulation. */
export interface LocalEndpoint {
  method: string;
  path: string;
  handle(request: LocalRequest): LocalResponse | Promise<LocalResponse>;
}

/**
 * `starting`: every request but the runtime's own gets 503 STARTING (the stack is not ready: a request
 * would fail); `ready`: served; `stopping`: 503 STOPPING while the stack shuts down.
 */
export type ApiState = 'starting' | 'ready' | 'stopping';

/** Seconds a 503 STARTING/STOPPING asks the client to wait (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

export interface ApiServerOptions {
  routes: readonly HttpRoute[];
  /** Looked up per request, so the stack can listen (and learn its port) before it imports handlers. */
  handlers: HandlerMap;
  /** Valid API key values; locally the key id is the key value. */
  apiKeys: Readonly<Record<string, string>>;
  region: string;
  stage?: string;
  maxBodyBytes?: number;
  endpoints?: readonly LocalEndpoint[];
  log?: LocalLogger;
  /** Default `ready`; the stack starts `starting` and opens once everything behind the API runs. */
  initialState?: ApiState;
  /**
   * A path prefix (e.g. `/_runtime/<random>`) under which the runtime's own callers (the seed, the
   * handlers' SDK clients) reach the server while it is not `ready`; it is stripped before routing.
   */
  internalPrefix?: string;
  /** API Gateway's integration timeout; default {@link API_INTEGRATION_TIMEOUT_MS}. */
  integrationTimeoutMs?: number;
  /**
   * The TOKEN authorizer's function name: invoked (its answer cached per token, as API Gateway does)
   * before every route with a scope. Without it, scoped routes are served unauthenticated (tests of
   * the server alone).
   */
  authorizer?: string;
}

export interface ApiServer {
  readonly server: Server;
  readonly state: ApiState;
  /** Opens the API (`ready`) or closes it again with 503s (`starting`, `stopping`). */
  setState(state: ApiState): void;
  /** Listens on the loopback interface; `0` picks a free port. Resolves to the port. */
  listen(port: number): Promise<number>;
  /** Stops accepting connections, lets in-flight requests finish briefly, then closes the rest. */
  close(): Promise<void>;
}

/**
 * The local API Gateway (REST API, Lambda proxy integration): routes requests by the definitions'
 * path templates, checks API keys, turns each request into a v1 proxy event for the same handler
 * that runs on AWS, and the handler's result back into an HTTP response.
 *
 * Per request it does only what API Gateway's contract needs: no logging except for failures,
 * which are bugs (a handler that throws or returns a malformed result).
 *
 * It answers as the deployed API does, including its gateway responses (`cdk/constructs/commerce-api.ts`
 * renders them in the API's error format): a path or method that does not exist is API Gateway's
 * MISSING_AUTHENTICATION_TOKEN, rendered 404 `NOT_FOUND`; a missing or unknown key 403
 * `INVALID_API_KEY`; a handler that throws, times out or returns a malformed result 502, and an
 * integration over 29 s 504, both DEFAULT_5XX, rendered with code `INTERNAL`.
 */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const router = buildRouter(options.routes);
  const endpoints = new Map<string, LocalEndpoint>();
  for (const endpoint of options.endpoints ?? [])
    endpoints.set(`${endpoint.method} ${endpoint.path}`, endpoint);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const stage = options.stage ?? 'local';
  const log = options.log ?? silentLogger;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? API_INTEGRATION_TIMEOUT_MS;
  const internalPrefix = options.internalPrefix;
  let state: ApiState = options.initialState ?? 'ready';

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      log.error(`local API: unexpected failure on ${req.method} ${req.url}`, error);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'Internal error in the local API server');
      else res.destroy();
    });
  });
  // Clients (and the benchmark) reuse connections; a short idle timeout races their reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    let rawPath = queryStart < 0 ? url : url.slice(0, queryStart);
    const rawQuery = queryStart < 0 ? '' : url.slice(queryStart + 1);
    const method = req.method ?? 'GET';

    let internal = false;
    if (internalPrefix && (rawPath === internalPrefix || rawPath.startsWith(`${internalPrefix}/`))) {
      internal = true;
      rawPath = rawPath.slice(internalPrefix.length) || '/';
    }
    if (state !== 'ready' && !internal) return sendUnavailable(res, rawPath, state);

    const endpoint = endpoints.get(`${method} ${rawPath}`);
    if (endpoint) return serveEndpoint(endpoint, req, res, rawPath, rawQuery);

    // API Gateway selects the resource, then the method; a miss on either is the same gateway response.
    const match = router.match(rawPath);
    const route = match?.methods.get(method);
    if (!match || !route) {
      return sendError(
        res,
        404,
        'NOT_FOUND',
        `Missing Authentication Token (no route for ${method} ${rawPath})`,
      );
    }

    // API Gateway runs the authorizer first, then checks the usage-plan key.
    let authorizer: Record<string, unknown> | undefined;
    if (route.scope && options.authorizer) {
      const verdict = await authorize(req, route, stage);
      if (verdict.kind === 'refused') {
        return sendError(res, verdict.statusCode, verdict.code, verdict.message, verdict.headers);
      }
      authorizer = verdict.context;
    }

    let apiKey: string | null = null;
    if (route.apiKeys) {
      const supplied = req.headers['x-api-key'];
      if (typeof supplied !== 'string' || !Object.hasOwn(options.apiKeys, supplied)) {
        return sendError(res, 403, 'INVALID_API_KEY', 'Forbidden');
      }
      apiKey = supplied;
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === TOO_LARGE) {
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request bodies are limited to ${maxBodyBytes} bytes`, {
        connection: 'close',
      });
    }

    const handler = options.handlers.get(route.functionName);
    if (!handler) {
      // Only reachable by the runtime's own callers before the handlers are loaded.
      return sendUnavailable(res, rawPath, 'starting');
    }

    const requestId = randomUUID();
    const event = proxyEvent({
      req,
      route,
      rawPath,
      rawQuery,
      pathParameters: match.params,
      body: body.length === 0 ? null : body.toString('utf8'),
      apiKey,
      authorizer,
      requestId,
      stage,
    });
    const requestHeader = { 'x-amzn-requestid': requestId };
    let integrationTimer: NodeJS.Timeout | undefined;
    const integrationTimeout = new Promise<typeof INTEGRATION_TIMED_OUT>((resolveTimeout) => {
      integrationTimer = setTimeout(() => resolveTimeout(INTEGRATION_TIMED_OUT), integrationTimeoutMs);
    });
    const invocation = invoke(
      {
        name: route.functionName,
        handler,
        timeoutSeconds: route.timeoutSeconds,
        memoryMb: route.memoryMb,
        region: options.region,
      },
      event,
    ).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const outcome = await Promise.race([invocation, integrationTimeout]);
    clearTimeout(integrationTimer);
    if (outcome === INTEGRATION_TIMED_OUT) {
      log.error(
        `${route.functionName} ran past API Gateway's ${integrationTimeoutMs} ms integration timeout (request ${requestId})`,
      );
      return sendError(res, 504, 'INTERNAL', 'Endpoint request timed out', requestHeader);
    }
    if ('error' in outcome) {
      // A Lambda error (thrown, rejected, timed out) reaches the caller as a 502, whatever its cause.
      if (outcome.error instanceof LambdaTimeoutError) {
        log.error(`${outcome.error.message} on ${method} ${rawPath} (request ${requestId})`);
      } else {
        log.error(
          `${route.functionName} threw on ${method} ${rawPath} (request ${requestId})`,
          outcome.error,
        );
      }
      return sendError(res, 502, 'INTERNAL', 'Internal server error', requestHeader);
    }
    const problem = writeResult(res, outcome.value, requestId);
    if (problem) {
      log.error(`${route.functionName} returned a malformed proxy result (request ${requestId}): ${problem}`);
      sendError(res, 502, 'INTERNAL', 'Internal server error', requestHeader);
    }
  }

  /** The authorizer's answers by token, for API Gateway's default 300 s (what the policy allows is per token). */
  const verdicts = new Map<string, { at: number; answer: Promise<AuthorizerAnswer> }>();

  async function authorize(req: IncomingMessage, route: HttpRoute, stageName: string): Promise<Verdict> {
    const token = req.headers.authorization;
    // API Gateway refuses a request without the identity source before invoking the authorizer.
    if (typeof token !== 'string' || token.trim() === '') {
      return refused(
        401,
        'UNAUTHORIZED',
        'Unauthorized: an OAuth access token is required (Authorization: Bearer)',
      );
    }
    const handler = options.handlers.get(options.authorizer ?? '');
    if (!handler) return { kind: 'refused', statusCode: 503, code: 'STARTING', message: 'Starting' };
    const now = Date.now();
    let cached = verdicts.get(token);
    if (!cached || now - cached.at >= AUTHORIZER_TTL_MS) {
      if (verdicts.size > 10_000) verdicts.clear();
      const methodArn = `${LOCAL_API_ARN(options.region)}/${stageName}/${route.method}${route.path}`;
      cached = {
        at: now,
        answer: invoke(
          { name: options.authorizer ?? '', handler, region: options.region },
          { type: 'TOKEN', authorizationToken: token, methodArn },
        ).then(
          (value) => ({ value: value as AuthorizerResult }),
          (error: unknown) => ({ error }),
        ),
      };
      verdicts.set(token, cached);
    }
    const answer = await cached.answer;
    if ('error' in answer) {
      // Only a valid token's answer is cached: a refused one is asked again (a new key may have come).
      verdicts.delete(token);
      if (answer.error instanceof Error && answer.error.message === 'Unauthorized') {
        return refused(401, 'UNAUTHORIZED', 'Unauthorized: the access token is missing, invalid or expired');
      }
      log.error(`${options.authorizer} failed`, answer.error);
      return refused(500, 'INTERNAL', 'Authorizer failure');
    }
    const methodArn = `${LOCAL_API_ARN(options.region)}/${stageName}/${route.method}${route.path}`;
    if (!policyAllows(answer.value.policyDocument, methodArn)) {
      return refused(403, 'FORBIDDEN', `The access token's scopes do not include ${route.scope}`);
    }
    return {
      kind: 'allowed',
      context: { ...(answer.value.context ?? {}), principalId: answer.value.principalId },
    };
  }

  async function serveEndpoint(
    endpoint: LocalEndpoint,
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    rawQuery: string,
  ): Promise<void> {
    const body = await readBody(req, maxBodyBytes);
    if (body === TOO_LARGE) {
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request bodies are limited to ${maxBodyBytes} bytes`, {
        connection: 'close',
      });
    }
    const response = await endpoint.handle({
      method: req.method ?? 'GET',
      path,
      query: new URLSearchParams(rawQuery),
      headers: req.headers,
      body,
    });
    res.writeHead(response.statusCode, {
      'content-type': 'application/json',
      ...response.headers,
      'content-length': Buffer.byteLength(response.body),
    });
    res.end(response.body);
  }

  return {
    server,
    get state() {
      return state;
    },
    setState: (next) => {
      state = next;
    },
    listen: (port) =>
      new Promise((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolveListen((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolveClose) => {
        if (!server.listening) return resolveClose();
        const force = setTimeout(() => server.closeAllConnections(), 2_000);
        server.close(() => {
          clearTimeout(force);
          resolveClose();
        });
        server.closeIdleConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// The authorizer's verdict, as API Gateway applies it.

/** API Gateway's default TTL of an authorizer's cached answer. */
const AUTHORIZER_TTL_MS = 300_000;

const LOCAL_API_ARN = (region: string) => `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT_ID}:local`;

interface AuthorizerResult {
  principalId: string;
  policyDocument: {
    Statement: { Effect: string; Action?: string | string[]; Resource: string | string[] }[];
  };
  context?: Record<string, unknown>;
}
type AuthorizerAnswer = { value: AuthorizerResult } | { error: unknown };
type Verdict =
  | { kind: 'allowed'; context: Record<string, unknown> }
  | { kind: 'refused'; statusCode: number; code: string; message: string; headers?: Record<string, string> };

const refused = (statusCode: number, code: string, message: string): Verdict => ({
  kind: 'refused',
  statusCode,
  code,
  message,
  ...(statusCode === 401 ? { headers: { 'www-authenticate': 'Bearer' } } : {}),
});

/** An IAM resource pattern (`*` any run of characters) against an ARN. */
const arnMatches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(arn);

/** IAM's evaluation for one action on one resource: an explicit Deny wins, then an Allow is needed. */
export function policyAllows(policy: AuthorizerResult['policyDocument'], methodArn: string): boolean {
  const matching = (effect: string) =>
    policy.Statement.some(
      (s) =>
        s.Effect === effect &&
        (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).some((r) => arnMatches(r, methodArn)),
    );
  return !matching('Deny') && matching('Allow');
}

// ---------------------------------------------------------------------------------------------
// Routing: API Gateway's resource tree. A literal segment beats a `{param}` at the same level,
// and the method is checked only on the resource that matched: `GET /inventory/adjustments`
// finds the `adjustments` resource (POST only) and answers 405, it does not fall back to
// `/inventory/{sku}`. That is how API Gateway selects resources.

interface ResourceNode {
  template: string;
  literals: Map<string, ResourceNode>;
  param?: { name: string; node: ResourceNode };
  methods: Map<string, HttpRoute>;
}

interface RouteMatch {
  template: string;
  methods: Map<string, HttpRoute>;
  params: Record<string, string> | null;
}

function newNode(template: string): ResourceNode {
  return { template, literals: new Map(), methods: new Map() };
}

function splitPath(path: string): string[] {
  // A trailing slash names the same resource, as it does behind API Gateway.
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '/' ? [] : trimmed.slice(1).split('/');
}

function buildRouter(routes: readonly HttpRoute[]): { match(path: string): RouteMatch | undefined } {
  const root = newNode('/');
  for (const route of routes) {
    let node = root;
    for (const segment of splitPath(route.path)) {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      const template = `${node.template === '/' ? '' : node.template}/${segment}`;
      if (param) {
        const name = param[1]!;
        if (node.param && node.param.name !== name) {
          throw new Error(`Routes ${node.param.node.template} and ${template} name one path parameter twice`);
        }
        node.param ??= { name, node: newNode(template) };
        node = node.param.node;
      } else {
        let child = node.literals.get(segment);
        if (!child) {
          child = newNode(template);
          node.literals.set(segment, child);
        }
        node = child;
      }
    }
    if (node.methods.has(route.method)) throw new Error(`Two functions serve ${route.method} ${route.path}`);
    node.methods.set(route.method, route);
  }

  function walk(
    node: ResourceNode,
    segments: string[],
    index: number,
    params: Record<string, string>,
  ): ResourceNode | undefined {
    if (index === segments.length) return node.methods.size > 0 ? node : undefined;
    const segment = segments[index]!;
    const literal = node.literals.get(segment);
    if (literal) {
      const found = walk(literal, segments, index + 1, params);
      if (found) return found;
    }
    if (node.param && segment !== '') {
      params[node.param.name] = segment;
      const found = walk(node.param.node, segments, index + 1, params);
      if (found) return found;
      delete params[node.param.name];
    }
    return undefined;
  }

  return {
    match(path) {
      const params: Record<string, string> = {};
      const node = walk(root, splitPath(path), 0, params);
      if (!node) return undefined;
      return {
        template: node.template,
        methods: node.methods,
        params: node.template.includes('{') ? params : null,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Request → proxy event

const TOO_LARGE = Symbol('too large');
const INTEGRATION_TIMED_OUT = Symbol('integration timed out');

function readBody(req: IncomingMessage, max: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) return Promise.resolve(TOO_LARGE);
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        resolveBody(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolveBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** API Gateway decodes query parameters; the single-value map keeps the last value of a repeated name. */
function parseQuery(rawQuery: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  if (rawQuery === '') return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    single[name] = value;
    const values = multi[name];
    if (values) values.push(value);
    else multi[name] = [value];
  }
  return Object.keys(single).length === 0 ? { single: null, multi: null } : { single, multi };
}

/** Header names keep the case the client sent, as in API Gateway's event. */
function parseHeaders(req: IncomingMessage): {
  single: Record<string, string>;
  multi: Record<string, string[]>;
} {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    single[name] = value;
    const values = multi[name];
    if (values) values.push(value);
    else multi[name] = [value];
  }
  const forwarded = {
    'X-Forwarded-For': req.socket.remoteAddress ?? '127.0.0.1',
    'X-Forwarded-Proto': 'http',
  };
  for (const [name, value] of Object.entries(forwarded)) {
    single[name] ??= value;
    multi[name] ??= [value];
  }
  return { single, multi };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestTime` in API Gateway's CLF format, e.g. `09/Apr/2015:12:34:56 +0000`. */
function clfTime(date: Date): string {
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * The REST API (v1) proxy event. `path` and `pathParameters` stay percent-encoded, as API Gateway
 * REST APIs deliver them; query parameters arrive decoded.
 */
function proxyEvent(input: {
  req: IncomingMessage;
  route: HttpRoute;
  rawPath: string;
  rawQuery: string;
  pathParameters: Record<string, string> | null;
  body: string | null;
  apiKey: string | null;
  authorizer: Record<string, unknown> | undefined;
  requestId: string;
  stage: string;
}): APIGatewayProxyEvent {
  const { req, route } = input;
  const headers = parseHeaders(req);
  const query = parseQuery(input.rawQuery);
  const now = new Date();
  return {
    resource: route.path,
    path: input.rawPath,
    httpMethod: route.method,
    headers: headers.single,
    multiValueHeaders: headers.multi,
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: input.pathParameters,
    stageVariables: null,
    body: input.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      authorizer: input.authorizer,
      domainName: req.headers.host,
      extendedRequestId: input.requestId,
      httpMethod: route.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: input.apiKey,
        apiKeyId: input.apiKey,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${input.stage}${input.rawPath}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: input.requestId,
      requestTime: clfTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: route.path,
      resourcePath: route.path,
      stage: input.stage,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Proxy result → response

function headerValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Writes a proxy result like API Gateway: `headers` and `multiValueHeaders` merged (the latter wins
 * for a name in both), JSON content type by default, base64 bodies decoded.
 * Returns why the result is malformed, without writing anything, when it is.
 */
function writeResult(res: ServerResponse, result: unknown, requestId: string): string | undefined {
  if (typeof result !== 'object' || result === null) return `expected an object, got ${typeof result}`;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result as Record<string, unknown>;
  const status = typeof statusCode === 'string' ? Number(statusCode) : statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return `statusCode ${JSON.stringify(statusCode)} is not an HTTP status`;
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body must be a string';
  const out: Record<string, string | string[]> = {};
  const names = new Map<string, string>();
  const set = (name: string, value: string | string[]) => {
    const lower = name.toLowerCase();
    const previous = names.get(lower);
    if (previous !== undefined && previous !== name) delete out[previous];
    names.set(lower, name);
    out[name] = value;
  };
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object') return 'headers must be an object';
    for (const [name, value] of Object.entries(headers)) {
      const text = headerValue(value);
      if (text === undefined) return `header ${name} has a ${typeof value} value`;
      set(name, text);
    }
  }
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (typeof multiValueHeaders !== 'object') return 'multiValueHeaders must be an object';
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (!Array.isArray(values)) return `multiValueHeaders.${name} must be an array`;
      const texts = values.map(headerValue);
      if (texts.some((text) => text === undefined)) return `multiValueHeaders.${name} holds a non-scalar`;
      set(name, texts as string[]);
    }
  }
  const payload =
    typeof body === 'string' ? (isBase64Encoded === true ? Buffer.from(body, 'base64') : body) : '';
  if (!names.has('content-type')) out['content-type'] = 'application/json';
  out['content-length'] = String(typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length);
  out['x-amzn-requestid'] = requestId;
  try {
    res.writeHead(status, out);
  } catch (error) {
    return describeError(error);
  }
  res.end(payload);
  return undefined;
}

/**
 * 503 while the stack starts or stops. The AWS endpoints (`/_aws/...`) also carry the JSON protocol's
 * `__type`, so an AWS SDK client sees a retryable ServiceUnavailableException.
 */
function sendUnavailable(res: ServerResponse, path: string, state: ApiState): void {
  const starting = state !== 'stopping';
  const code = starting ? 'STARTING' : 'STOPPING';
  const message = starting
    ? 'The local runtime is starting (DynamoDB Local, tables, handlers, pollers); retry shortly'
    : 'The local runtime is stopping';
  const headers: Record<string, string> = {
    'retry-after': String(RETRY_AFTER_SECONDS),
    // A client that sees "stopping" should open a new connection to whatever runs next.
    ...(starting ? {} : { connection: 'close' }),
  };
  if (path.startsWith('/_aws/')) {
    const body = JSON.stringify({
      __type: 'ServiceUnavailableException',
      message,
      error: { code, message, details: [] },
    });
    res.writeHead(503, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': 'ServiceUnavailableException',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
    return;
  }
  sendError(res, 503, code, message, headers);
}

/** The API's error format, as the handlers and the deployed gateway responses write it. */
function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: { code, message, details: [] } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}
