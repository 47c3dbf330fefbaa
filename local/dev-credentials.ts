import { LOCAL_API_KEYS } from '../shared/platform/principals';

/**
 * What a caller of the embedded system sends: an OAuth access token of a dev client (fetched from
 * the local token endpoint with the client-credentials grant) and the client's usage-plan API key.
 * The dev clients are documented in the README: client id `local-web` (…`local-ops`), secret
 * `<client id>-secret`, API key the client id. Tokens are kept until a minute before they expire.
 */

const tokens = new Map<string, { token: string; expiresAt: number }>();

/**
 * An access token by the client-credentials grant (RFC 6749 §4.4) from any token endpoint: the local
 * issuer's, or a Cognito domain's `/oauth2/token`. Kept until a minute before it expires.
 */
export async function clientCredentialsToken(
  tokenUrl: string,
  clientId: string,
  secret: string,
): Promise<string> {
  const cacheKey = `${tokenUrl} ${clientId} ${secret}`;
  const hit = tokens.get(cacheKey);
  if (hit && hit.expiresAt > Date.now()) return hit.token;
  const basic = `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`;
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(basic).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    expires_in?: number;
    error?: string;
  };
  if (!response.ok || !body.access_token) {
    throw new Error(`No token for ${clientId} from ${tokenUrl}: ${response.status} ${body.error ?? ''}`);
  }
  tokens.set(cacheKey, {
    token: body.access_token,
    expiresAt: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000,
  });
  return body.access_token;
}

/** An access token for a dev client (or any client, given its secret) from the embedded system at `baseUrl`. */
export const accessToken = (baseUrl: string, clientId: string, secret = `${clientId}-secret`) =>
  clientCredentialsToken(`${baseUrl}/_local/oauth2/token`, clientId, secret);

/** The headers of a dev client's call: its bearer token and its API key. */
export async function devHeaders(baseUrl: string, clientId: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await accessToken(baseUrl, clientId)}`, 'x-api-key': clientId };
}

/** An OAuth client as `POST /locations/{id}/clients` issues it: its credentials and where to use them. */
export interface IssuedClientCredentials {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
}

/** The headers of a call by an issued client (a location's systems): its bearer token, no API key. */
export async function issuedClientHeaders(client: IssuedClientCredentials): Promise<Record<string, string>> {
  return {
    authorization: `Bearer ${await clientCredentialsToken(client.tokenUrl, client.clientId, client.clientSecret)}`,
  };
}

/** Dev client ids (the API keys of the README): they authenticate with a token and their key. */
const DEV_CLIENTS = new Set(Object.keys(LOCAL_API_KEYS));

/**
 * The headers of a call with `key`: a dev client's token and API key; any other key (a wrong one in
 * a test) as `x-api-key` alone. A location's systems send a token of their own client instead.
 */
export async function callerHeaders(baseUrl: string, key: string): Promise<Record<string, string>> {
  return DEV_CLIENTS.has(key) ? devHeaders(baseUrl, key) : { 'x-api-key': key };
}
