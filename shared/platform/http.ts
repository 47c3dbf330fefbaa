import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { z } from 'zod';
import type { RouteSpec } from './definition';
import { DomainError, type ErrorDetail, issuesToDetails, validationFailed } from './errors';
import { logger } from './logger';
import { type Channel, isChannel, isLocationPrincipal, type Principal } from './principals';

/** The largest body any operation accepts; API Gateway's own limit is 10 MB. */
export const MAX_BODY_BYTES = 256 * 1024;

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A request after authentication and validation: what a use case is called with. */
export interface ApiRequest<S extends RouteSpec> {
  principal: Principal;
  /** The caller's channel; meaningful when access is `channel`. */
  channel: Channel;
  body: Out<S['body']>;
  query: Out<S['query']>;
  params: Out<S['params']>;
  headers: Out<S['headers']>;
  event: APIGatewayProxyEvent;
}

export interface ApiResult {
  statusCode: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/**
 * The principal of a request comes from its verified credential, never from its body: the API's
 * authorizer (`shared/platform/authorizer.ts`) verified the OAuth access token, mapped its client to
 * a principal and hands it over in `requestContext.authorizer`.
 */
function principalOf(event: APIGatewayProxyEvent): Principal | undefined {
  const principal = (event.requestContext?.authorizer as { principal?: unknown } | null | undefined)
    ?.principal;
  return typeof principal === 'string' && principal !== '' ? (principal as Principal) : undefined;
}

function parseWith(schema: z.ZodType | undefined, value: unknown, prefix: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(issuesToDetails(result.error, prefix));
  return result.data;
}

function readBody(event: APIGatewayProxyEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new DomainError(413, 'PAYLOAD_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES} bytes`, [
      { path: 'body', message: `at most ${MAX_BODY_BYTES} bytes` },
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

/** The declared headers, looked up case-insensitively and keyed as documented (`Idempotency-Key`). */
function declaredHeaders(spec: RouteSpec, event: APIGatewayProxyEvent): Record<string, string | undefined> {
  const present = new Map(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v ?? undefined]),
  );
  return Object.fromEntries(
    Object.keys(spec.headers?.shape ?? {}).map((name) => [name, present.get(name.toLowerCase())]),
  );
}

/** Who the caller is, and whether the route lets them in. A public route runs with no rights. */
function authorise(spec: RouteSpec, event: APIGatewayProxyEvent): Principal {
  if (spec.access === 'public') return 'anonymous';
  const found = principalOf(event);
  if (!found) throw new DomainError(401, 'UNAUTHORIZED', 'A valid OAuth access token is required');
  if (spec.access === 'channel' && !isChannel(found)) {
    throw new DomainError(403, 'FORBIDDEN', 'Only a sales channel key may call this operation');
  }
  if (spec.access === 'ops' && found !== 'ops') {
    throw new DomainError(403, 'FORBIDDEN', 'Only an operations key may call this operation');
  }
  if (spec.access === 'any' && !isChannel(found) && found !== 'ops') {
    throw new DomainError(
      403,
      'FORBIDDEN',
      'Only a sales channel or an operations key may call this operation',
    );
  }
  if (spec.access === 'location' && !isLocationPrincipal(found)) {
    throw new DomainError(403, 'FORBIDDEN', "Only a location's own client may call this operation");
  }
  return found;
}

/** Authenticates, authorises and validates; replaces the proxy event with an ApiRequest. */
function parseRequest<S extends RouteSpec>(
  spec: S,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: async (request) => {
      const event = request.event;
      const principal = authorise(spec, event);
      const parsed = {
        principal,
        channel: principal as Channel,
        params: parseWith(spec.params, event.pathParameters ?? {}, ''),
        query: parseWith(spec.query, event.queryStringParameters ?? {}, 'query'),
        body: spec.body ? parseWith(spec.body, readBody(event), '') : undefined,
        headers: parseWith(spec.headers, declaredHeaders(spec, event), 'headers'),
        event,
      } as ApiRequest<S>;
      (request as unknown as { event: ApiRequest<S> }).event = parsed;
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
 * A thin API handler: one middy chain that logs, authenticates and validates against the route's
 * declared schemas, calls `fn` (which calls one use case), and maps domain errors to HTTP answers.
 */
export function httpApi<S extends RouteSpec>(
  spec: S,
  fn: (request: ApiRequest<S>) => Promise<ApiResult>,
): ApiHandler {
  const core = async (request: ApiRequest<S>): Promise<APIGatewayProxyResult> => {
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
