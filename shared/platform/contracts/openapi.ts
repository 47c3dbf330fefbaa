import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import type { ApiAccess, FunctionDefinition, HttpMethod, RouteSpec } from '../definition';
import { contexts, functions } from '../definitions';
import { apiScopes, routeScope, scopeString } from '../scopes';
import { openObjects } from './json-schema';

/**
 * The OpenAPI 3.1 document of the whole API, generated from the route specs in the definitions
 * (every function with an `http` trigger) and their zod schemas. Requests are described as the
 * schemas accept them (zod's input side: before `.transform`, `.pipe` and `.default`), responses as
 * they are produced. `npm run docs` writes it to `docs/openapi.json`; `GET /openapi.json` serves it.
 */

export const API_KEY_SCHEME = 'apiKey';
export const OAUTH_SCHEME = 'oauth2';

/** The embedded runtime's token endpoint; a deployment's is its `TokenEndpoint` output. */
const LOCAL_TOKEN_URL = '/_local/oauth2/token';

/** The error body of every 4xx and 5xx, whoever answered (a handler or API Gateway itself). */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Machine-readable and stable, e.g. `VALIDATION_FAILED`' }),
      message: z.string().meta({ description: 'For people; may change' }),
      details: z
        .array(
          z
            .looseObject({
              path: z
                .string()
                .optional()
                .meta({ description: 'The offending field, e.g. `lines.0.quantity`' }),
              message: z.string().optional(),
            })
            .meta({
              description: 'One problem; some codes add fields (e.g. `sku`, `requested`, `available`)',
            }),
        )
        .meta({ description: 'Empty when API Gateway answered before the handler' }),
    }),
  })
  .meta({ id: 'Error', description: 'The error format of the whole API' });

/** What each error status means, with the codes a caller may see (components named after the status). */
const ERROR_STATUSES = {
  400: 'The request is not valid: `VALIDATION_FAILED` (details name each offending field) or `MALFORMED_JSON`',
  401: 'No valid OAuth access token: missing, malformed, expired or not issued by this deployment (`UNAUTHORIZED`)',
  403: "The access token's client may not call this operation, or its scopes do not include the operation's (`FORBIDDEN`); or the usage-plan `x-api-key` is missing or unknown (`INVALID_API_KEY`)",
  404: 'Not found, or not visible to the caller (`NOT_FOUND`, `HOLD_NOT_FOUND`)',
  409: 'The request conflicts with the current state, e.g. `INSUFFICIENT_STOCK` (details `[{sku, requested, available}]`), `PRICE_MISMATCH` (details with the current price and its trace), `PROMOTION_LIMIT_REACHED` (details with the cart priced again), `DUPLICATE_CHANNEL_ORDER_ID`, `HOLD_NOT_ACTIVE`, `TOO_MANY_CLIENTS` (a location holds 5 OAuth clients: revoke one), `CONCURRENT_UPDATE` (retry)',
  412: 'The resource is no longer at the version `If-Match` names, or exists when `If-None-Match: *` was sent (`PRECONDITION_FAILED`, details with the current `etag`)',
  413: 'The body is larger than the API accepts (`PAYLOAD_TOO_LARGE`)',
  422: 'Well-formed but not applicable, e.g. `PRODUCT_NOT_SELLABLE` (details per line: `UNKNOWN`, `NOT_PUBLISHED`, `DISCONTINUED`), `DATA_QUALITY` (details: the rule and the field), `NO_PRICE`, `UNKNOWN_SKU`, `UNKNOWN_LOCATION`, `HOLD_MISMATCH`, `IDEMPOTENCY_KEY_REUSED`',
  429: "Over the key's usage plan: `THROTTLED` or `QUOTA_EXCEEDED`",
} as const;
type ErrorStatus = keyof typeof ERROR_STATUSES;

const ERROR_NAMES: Record<ErrorStatus, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  422: 'UnprocessableContent',
  429: 'TooManyRequests',
};

/** One response object per error status, registered once under `components.responses`. */
const errorResponse = (status: ErrorStatus): ZodOpenApiResponseObject => ({
  id: ERROR_NAMES[status],
  description: ERROR_STATUSES[status],
  content: { 'application/json': { schema: errorBodySchema } },
});
const ERROR_RESPONSES = new Map(
  (Object.keys(ERROR_NAMES).map(Number) as ErrorStatus[]).map((status) => [status, errorResponse(status)]),
);

/** Path, query and header parameters are declared as `z.object`s, one property per parameter. */
function parameters(schema: z.ZodType, where: string): z.ZodObject {
  if (!(schema instanceof z.ZodObject)) throw new Error(`${where} must be a z.object, one key per parameter`);
  return schema;
}

const ACCESS: Record<ApiAccess, string> = {
  public: 'Public: no token, no key.',
  channel: "A sales channel's access token; the channel is the token's client's, never the body's.",
  ops: "The operations client's access token.",
  any: "A sales channel's or the operations client's access token.",
  location: "A location's own client's access token (a store's or DC's systems), for its own work only.",
};

/** The error statuses an operation may answer with, from what its route declares. */
export function errorStatuses(spec: RouteSpec): ErrorStatus[] {
  const statuses: ErrorStatus[] = [];
  const writes = spec.method !== 'GET';
  if (spec.body || spec.query || spec.params || spec.headers) statuses.push(400);
  if (spec.access !== 'public') statuses.push(401, 403);
  if (spec.params) statuses.push(404);
  if (writes && spec.access !== 'public') statuses.push(409);
  const conditional = Object.keys(spec.headers?.shape ?? {}).some((h) => /^if-(none-)?match$/i.test(h));
  if (writes && conditional) statuses.push(412);
  if (spec.body) statuses.push(413);
  if (writes && spec.body) statuses.push(422);
  if (spec.access !== 'public') statuses.push(429);
  return statuses;
}

/** The success answer: the route's own `responses`, else 201 for a POST with a body, else 200. */
function successResponses(spec: RouteSpec): ZodOpenApiResponsesObject {
  const declared = spec.responses ?? {
    [spec.method === 'POST' && spec.body ? 201 : 200]: {
      description: spec.method === 'POST' && spec.body ? 'Created' : 'OK',
    },
  };
  return Object.fromEntries(
    Object.entries(declared).map(([status, { description, schema }]) => [
      status,
      schema ? { description, content: { 'application/json': { schema } } } : { description },
    ]),
  );
}

/**
 * What a call must carry: an access token with the operation's scope and, where the route has a
 * usage plan, the client's API key too (both at once: one requirement object).
 */
function security(fn: FunctionDefinition, spec: RouteSpec): Record<string, string[]>[] {
  const scope = routeScope(contextOf(fn.name), spec);
  if (!scope) return [];
  return [{ [OAUTH_SCHEME]: [scopeString(scope)], ...(fn.apiKeys ? { [API_KEY_SCHEME]: [] } : {}) }];
}

function operation(fn: FunctionDefinition, spec: RouteSpec, tag: string): ZodOpenApiOperationObject {
  const requestParams = {
    ...(spec.params ? { path: parameters(spec.params, `${fn.name} params`) } : {}),
    ...(spec.query ? { query: parameters(spec.query, `${fn.name} query`) } : {}),
    ...(spec.headers ? { header: spec.headers } : {}),
  };
  const errors = Object.fromEntries(
    errorStatuses(spec).map((status) => [status, ERROR_RESPONSES.get(status)!]),
  );
  return {
    operationId: fn.name,
    summary: spec.summary,
    description: ACCESS[spec.access],
    tags: [tag],
    'x-access': spec.access,
    security: security(fn, spec),
    ...(Object.keys(requestParams).length > 0 ? { requestParams } : {}),
    ...(spec.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: spec.body } } } }
      : {}),
    responses: { ...successResponses(spec), ...errors },
  };
}

const METHOD_ORDER: readonly HttpMethod[] = ['GET', 'PUT', 'POST', 'DELETE'];

/** The context each function belongs to, for the document's tags; the rest is the platform's. */
function contextOf(name: string): string {
  return contexts.find((c) => c.functions.some((f) => f.name === name))?.name ?? 'platform';
}

/** Builds the document; deterministic (paths sorted, methods in a fixed order). */
export function apiDocument(from: readonly FunctionDefinition[] = functions) {
  const routed = from.flatMap((fn) => (fn.trigger.kind === 'http' ? [{ fn, spec: fn.trigger }] : []));
  const paths: ZodOpenApiPathsObject = {};
  const byPath = [...new Set(routed.map((r) => r.spec.path))].sort();
  for (const path of byPath) {
    const here = routed
      .filter((r) => r.spec.path === path)
      .sort((a, b) => METHOD_ORDER.indexOf(a.spec.method) - METHOD_ORDER.indexOf(b.spec.method));
    paths[path] = Object.fromEntries(
      here.map(({ fn, spec }) => [spec.method.toLowerCase(), operation(fn, spec, contextOf(fn.name))]),
    );
  }
  const tags = [...new Set(routed.map((r) => contextOf(r.fn.name)))].sort().map((name) => ({ name }));

  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'connected-commerce API',
        version: '1',
        description: [
          'One inventory pool and one order intake for every sales channel.',
          '',
          "Every call except the public ones carries an OAuth 2.0 access token (client credentials) with the operation's scope: the token's client decides the channel, operations or location, never the body. Channel and operations calls also carry their `x-api-key`, which selects a usage plan and identifies no one.",
          'Errors are always `{"error":{"code","message","details":[{"path","message",…}]}}`; a 5xx is a bug.',
          'Generated from the zod schemas of the route definitions (`npm run docs`); do not edit by hand.',
        ].join('\n'),
      },
      tags,
      paths,
      components: {
        securitySchemes: {
          [OAUTH_SCHEME]: {
            type: 'oauth2',
            description:
              "Client credentials of the environment's OAuth issuer: locally the dev clients (`local-web`/`local-web-secret`, …) at `/_local/oauth2/token`; on AWS the user pool's token endpoint (the `TokenEndpoint` output). A location's client comes from `POST /locations/{locationId}/clients`.",
            flows: {
              clientCredentials: {
                tokenUrl: LOCAL_TOKEN_URL,
                scopes: Object.fromEntries(
                  apiScopes(contexts).flatMap((server) =>
                    server.scopes.map((s) => [`${server.resourceServer}/${s.name}`, s.description]),
                  ),
                ),
              },
            },
          },
          [API_KEY_SCHEME]: {
            type: 'apiKey',
            in: 'header',
            name: 'x-api-key',
            description:
              "The client's usage-plan key, one per sales channel and one for operations (locally the client id: `local-web`, …); it names no one",
          },
        },
      },
    },
    {
      override: (ctx) =>
        ctx.io === 'output' ? openObjects(ctx as Parameters<typeof openObjects>[0]) : undefined,
    },
  );
}
