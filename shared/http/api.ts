import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '../adapters/logger';
import { requireEnv } from '../config/env';
import { DomainError, type ErrorDetail, validationFailed } from '../domain/errors';
import { LIMITS } from '../domain/schemas';
import { CHANNELS, type Channel, ENV, type Principal } from '../infra/definitions';

/** Who may call an operation: anyone, a sales channel, operations, or either of the two. */
export type ApiAccess = 'public' | 'channel' | 'ops' | 'any';

export interface ApiSpec<B, Q, P> {
  access: ApiAccess;
  body?: z.ZodType<B, unknown>;
  query?: z.ZodType<Q, unknown>;
  params?: z.ZodType<P, unknown>;
}

/** A request after authentication and validation: what a use case is called with. */
export interface ApiRequest<B, Q, P> {
  principal: Principal;
  /** The caller's channel; set when access is `channel`. */
  channel: Channel;
  body: B;
  query: Q;
  params: P;
  header(name: string): string | undefined;
  event: APIGatewayProxyEvent;
}

export interface ApiResult {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

let apiKeyChannels: Record<string, Principal> | undefined;

/**
 * The channel of a request comes from its credential, never from its body: API Gateway has checked
 * the key, and the key id maps to a channel (or to `ops`).
 */
function principalOf(event: APIGatewayProxyEvent): Principal | undefined {
  apiKeyChannels ??= JSON.parse(requireEnv(ENV.apiKeyChannels)) as Record<string, Principal>;
  const keyId = event.requestContext?.identity?.apiKeyId;
  return keyId ? apiKeyChannels[keyId] : undefined;
}

const isChannel = (p: Principal): p is Channel => (CHANNELS as readonly string[]).includes(p);

/** zod issues → `details: [{path, message}]`, the path in dotted form (`lines.0.quantity`). */
export function issuesToDetails(error: z.ZodError, prefix?: string): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path:
      [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') ||
      (prefix ?? ''),
    message: issue.message,
  }));
}

function parseWith<T>(schema: z.ZodType<T, unknown> | undefined, value: unknown, prefix: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(issuesToDetails(result.error, prefix));
  return result.data;
}

function readBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > LIMITS.maxBodyBytes) {
    throw new DomainError(413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${LIMITS.maxBodyBytes} bytes`, [
      { path: 'body', message: `at most ${LIMITS.maxBodyBytes} bytes` },
    ]);
  }
  if (text.trim() === '') throw validationFailed([{ path: 'body', message: 'a JSON body is required' }]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DomainError(400, 'MALFORMED_JSON', 'The body is not valid JSON', [
      { path: 'body', message: (error as Error).message },
    ]);
  }
}

/** Authenticates, authorises and validates; replaces the proxy event with an ApiRequest. */
function parseRequest<B, Q, P>(
  spec: ApiSpec<B, Q, P>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: (request) => {
      const event = request.event;
      let principal: Principal = 'ops';
      if (spec.access !== 'public') {
        const found = principalOf(event);
        if (!found) throw new DomainError(403, 'INVALID_API_KEY', 'A valid x-api-key header is required');
        if (spec.access === 'channel' && !isChannel(found)) {
          throw new DomainError(403, 'FORBIDDEN', 'Only a sales channel key may call this operation');
        }
        if (spec.access === 'ops' && found !== 'ops') {
          throw new DomainError(403, 'FORBIDDEN', 'Only an operations key may call this operation');
        }
        principal = found;
      }
      const headers = new Map(
        Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? undefined]),
      );
      const parsed: ApiRequest<B, Q, P> = {
        principal,
        channel: principal as Channel,
        params: parseWith(spec.params, event.pathParameters ?? {}, ''),
        query: parseWith(spec.query, event.queryStringParameters ?? {}, 'query'),
        body: spec.body ? parseWith(spec.body, readBody(event), '') : (undefined as B),
        header: (name) => headers.get(name.toLowerCase()),
        event,
      };
      (request as unknown as { event: ApiRequest<B, Q, P> }).event = parsed;
    },
  };
}

export function errorResponse(status: number, code: string, message: string, details: ErrorDetail[] = []) {
  return {
    statusCode: status,
    headers: JSON_HEADERS,
    body: JSON.stringify({ error: { code, message, details } }),
  };
}

/** Domain errors become their 4xx; anything else is a bug: logged, and a 500 without internals. */
function httpErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof DomainError) {
        request.response = errorResponse(error.status, error.code, error.message, error.details);
        return;
      }
      logger.error('Unhandled error', { error: error as Error });
      request.response = errorResponse(
        500,
        'INTERNAL',
        'Something went wrong on our side; it has been logged',
      );
    },
  };
}

/**
 * A thin API handler: one middy chain that logs, authenticates and validates, calls `fn` (which
 * calls one use case), and maps domain errors to HTTP answers.
 */
export function httpApi<B = undefined, Q = undefined, P = undefined>(
  spec: ApiSpec<B, Q, P>,
  fn: (request: ApiRequest<B, Q, P>) => Promise<ApiResult>,
): ApiHandler {
  const core = async (request: ApiRequest<B, Q, P>): Promise<APIGatewayProxyResult> => {
    const result = await fn(request);
    return {
      statusCode: result.statusCode,
      headers: { ...(result.body === undefined ? {} : JSON_HEADERS), ...result.headers },
      body: result.body === undefined ? '' : JSON.stringify(result.body),
    };
  };
  return middy(core as unknown as (e: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>)
    .use(injectLambdaContext(logger))
    .use(httpErrors())
    .use(parseRequest(spec)) as unknown as ApiHandler;
}
