import type { APIGatewayProxyEvent } from 'aws-lambda';
import apiDocument from '../../docs/openapi.json';
import { functions } from '../../shared/platform/definitions';
import { httpApi } from '../../shared/platform/http';

const route = functions.find((f) => f.name === 'GetApiDocument')?.trigger;
if (route?.kind !== 'http') throw new Error('GetApiDocument has no HTTP route in the definitions');

/**
 * The URL the caller reached the API through: scheme and host of the request, plus the stage on an
 * `execute-api` host (whose paths start with the stage). Behind a custom domain the base path is
 * not known here, and the host alone is given.
 */
export function serverUrl(event: APIGatewayProxyEvent): string | undefined {
  const headers = new Map(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const host = event.requestContext?.domainName ?? headers.get('host');
  if (!host) return undefined;
  const scheme = headers.get('x-forwarded-proto') ?? 'https';
  const stage =
    /\.execute-api\./.test(host) && event.requestContext?.stage ? `/${event.requestContext.stage}` : '';
  return `${scheme}://${host}${stage}`;
}

/**
 * GET /openapi.json: the committed `docs/openapi.json` (the test suite fails when it differs from
 * the definitions), with `servers` set to where it was asked for. Public, like the health check.
 */
export const handler = httpApi(route, async ({ event }) => {
  const { openapi, info, ...rest } = apiDocument;
  const url = serverUrl(event);
  return {
    statusCode: 200,
    body: { openapi, info, ...(url ? { servers: [{ url }] } : {}), ...rest },
    headers: { 'cache-control': 'public, max-age=300' },
  };
});
