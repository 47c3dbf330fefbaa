import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ContextDefinition } from '../shared/platform/definition';
import { LOCAL_API_KEYS, type Principal } from '../shared/platform/principals';
import { apiScopes, scopesFor } from '../shared/platform/scopes';
import { LOCAL_CREDENTIALS, signingKeyId } from './dynamodb';
import type { LocalEndpoint, LocalRequest, LocalResponse } from './http-server';

/**
 * The embedded runtime's OAuth 2.0 authorization server: the client-credentials grant of Amazon
 * Cognito's token endpoint, with tokens shaped as Cognito access tokens (`client_id`, `scope`,
 * `token_use: access`, RS256, a `kid` from the JWKS). The API's authorizer verifies them with the same
 * library and code as on AWS; only the issuer URL and JWKS address differ.
 *
 * - `POST /_local/oauth2/token`: `grant_type=client_credentials`, the client authenticated by HTTP
 *   Basic (or `client_id`/`client_secret` in the form), an optional `scope` (a subset of the client's).
 * - `GET /_local/oauth2/jwks.json`: the public keys, the previous one kept during a rotation.
 *
 * - `POST /_aws/cognito-idp`: the Cognito API calls the system makes on its user pool, in the AWS JSON
 *   protocol the SDK speaks (`COGNITO_ENDPOINT` points the real client here): CreateUserPoolClient,
 *   DescribeUserPoolClient, ListUserPoolClients and DeleteUserPoolClient, for the clients issued at run time (a location's
 *   credentials). Only the system's own credentials may call them, as only its roles may on AWS.
 *
 * With a data directory the keys and registered clients persist, so tokens issued before a restart
 * (or a `kill -9`) stay valid after it.
 */

/** A client of the authorization server. The dev clients are fixed and documented. */
export interface OAuthClient {
  clientId: string;
  /** SHA-256 of each valid secret: two during a secret rotation. */
  secretHashes: string[];
  scopes: string[];
  name: string;
  /** Set for a client registered at run time. */
  createdAt?: string;
}

interface SigningKey {
  kid: string;
  /** PKCS#8 PEM. */
  privateKey: string;
  createdAt: string;
}

interface IssuerState {
  keys: SigningKey[];
  clients: OAuthClient[];
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface OAuthIssuerOptions {
  /** The issuer (`iss`) and the base of the endpoints, e.g. `http://127.0.0.1:3000/_local/oauth2`. */
  issuer: () => string;
  /** Clients that always exist (the dev clients), with their plain secrets. */
  devClients: readonly { clientId: string; secret: string; scopes: readonly string[]; name: string }[];
  /** Where keys and registered clients persist; none: in memory only. */
  statePath?: string;
  /** Access-token lifetime; Cognito's default is an hour. */
  tokenLifetimeSeconds?: number;
  /**
   * The scopes the pool's resource servers declare ({@link declaredScopes}): a client created through
   * the Cognito endpoint may be given these only (default: the dev clients' scopes).
   */
  knownScopes?: readonly string[];
  now?: () => number;
}

/**
 * The documented dev clients: one per dev API key, with the same name as client id, the secret
 * `<client id>-secret`, and the scopes of its kind (a channel's, or operations').
 */
export function localDevClients(
  contexts: readonly ContextDefinition[],
): { clientId: string; secret: string; scopes: string[]; name: string; principal: Principal }[] {
  return Object.entries(LOCAL_API_KEYS).map(([clientId, principal]) => ({
    clientId,
    secret: `${clientId}-secret`,
    scopes: scopesFor(contexts, principal === 'ops' ? 'ops' : 'channel'),
    name: `dev ${principal}`,
    principal,
  }));
}

/** Every scope of the API, as the user pool's resource servers declare them on AWS. */
export const declaredScopes = (contexts: readonly ContextDefinition[]): string[] =>
  apiScopes(contexts).flatMap((server) => server.scopes.map((s) => `${server.resourceServer}/${s.name}`));

export const TOKEN_PATH = '/_local/oauth2/token';
export const JWKS_PATH = '/_local/oauth2/jwks.json';
/** Where the issuer speaks Cognito's API (`COGNITO_ENDPOINT`). */
export const COGNITO_PATH = '/_aws/cognito-idp';
/** The one local user pool's id (`AUTH_USER_POOL_ID`). */
export const LOCAL_USER_POOL_ID = 'local_commerce';

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');
const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

const newKey = (): SigningKey => ({
  kid: randomUUID(),
  privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string,
  createdAt: new Date().toISOString(),
});

/** A Cognito API error, as the AWS JSON protocol carries it (the SDK throws the named exception). */
const cognitoError = (type: string, message: string): LocalResponse => ({
  statusCode: 400,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
  body: JSON.stringify({ __type: type, message }),
});

/** An OAuth error response (RFC 6749 §5.2). */
const oauthError = (statusCode: number, error: string, description: string): LocalResponse => ({
  statusCode,
  headers: {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...(statusCode === 401 ? { 'www-authenticate': 'Basic realm="oauth2"' } : {}),
  },
  body: JSON.stringify({ error, error_description: description }),
});

export class OAuthIssuer {
  private readonly state: IssuerState;
  private readonly lifetime: number;
  private readonly now: () => number;

  constructor(private readonly options: OAuthIssuerOptions) {
    this.lifetime = options.tokenLifetimeSeconds ?? 3600;
    this.now = options.now ?? Date.now;
    this.state = this.load();
  }

  /** The current signing key signs; every key in the list verifies (the JWKS). */
  private get signingKey(): SigningKey {
    const key = this.state.keys.at(-1);
    if (!key) throw new Error('The OAuth issuer has no signing key');
    return key;
  }

  private load(): IssuerState {
    const path = this.options.statePath;
    const stored: IssuerState =
      path && existsSync(path)
        ? (JSON.parse(readFileSync(path, 'utf8')) as IssuerState)
        : { keys: [], clients: [] };
    if (stored.keys.length === 0) stored.keys.push(newKey());
    // The dev clients are what the README documents: always present with their documented secret.
    for (const dev of this.options.devClients) {
      const existing = stored.clients.find((c) => c.clientId === dev.clientId);
      const client: OAuthClient = {
        clientId: dev.clientId,
        name: dev.name,
        scopes: [...dev.scopes],
        secretHashes: [...new Set([hash(dev.secret), ...(existing?.secretHashes ?? [])])],
      };
      if (existing) Object.assign(existing, client);
      else stored.clients.push(client);
    }
    this.persist(stored);
    return stored;
  }

  private persist(state: IssuerState = this.state): void {
    const path = this.options.statePath;
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    // Written aside then renamed: a kill -9 mid-write leaves the previous state, never half of one.
    writeFileSync(`${path}.tmp`, JSON.stringify(state), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  get issuer(): string {
    return this.options.issuer();
  }

  /** The public keys, as Cognito publishes them at `/.well-known/jwks.json`. */
  jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: this.state.keys.map((key) => ({
        ...createPublicKey(createPrivateKey(key.privateKey)).export({ format: 'jwk' }),
        kid: key.kid,
        alg: 'RS256',
        use: 'sig',
      })),
    };
  }

  /**
   * Starts a key rotation: a new key signs from now on; the previous ones stay in the JWKS, so tokens
   * they signed verify until they expire. Returns the new key id.
   */
  rotateSigningKey(): string {
    const key = newKey();
    this.state.keys.push(key);
    this.persist();
    return key.kid;
  }

  /** Ends a rotation: drops every key but the current one from the JWKS. */
  retireOldSigningKeys(): void {
    this.state.keys.splice(0, this.state.keys.length - 1);
    this.persist();
  }

  /** Registers a client with a generated id and secret; the secret is returned this once. */
  registerClient(name: string, scopes: readonly string[]): { clientId: string; clientSecret: string } {
    const clientId = randomBytes(13).toString('hex');
    const clientSecret = randomBytes(32).toString('base64url');
    this.state.clients.push({
      clientId,
      name,
      scopes: [...scopes],
      secretHashes: [hash(clientSecret)],
      createdAt: new Date(this.now()).toISOString(),
    });
    this.persist();
    return { clientId, clientSecret };
  }

  /** Deletes a client: its secrets stop working at once. False if there was none. */
  removeClient(clientId: string): boolean {
    const index = this.state.clients.findIndex((c) => c.clientId === clientId);
    if (index < 0) return false;
    this.state.clients.splice(index, 1);
    this.persist();
    return true;
  }

  /** A client by id, if it exists. */
  findClient(clientId: string): OAuthClient | undefined {
    return this.state.clients.find((c) => c.clientId === clientId);
  }

  /**
   * Cognito's API for the pool's app clients, the part the system calls (`oauth-clients.ts`). Only
   * the system's credentials may call it: anyone else gets AccessDeniedException, as IAM would answer.
   */
  cognito(request: LocalRequest): LocalResponse {
    const keyId = signingKeyId(request.headers.authorization);
    if (keyId !== LOCAL_CREDENTIALS.accessKeyId) {
      return cognitoError(
        'AccessDeniedException',
        `${keyId ? `Access key ${keyId}` : 'An unsigned caller'} is not authorized to manage the user pool's clients`,
      );
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSCognitoIdentityProviderService.')
      ? target.slice('AWSCognitoIdentityProviderService.'.length)
      : target;
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return cognitoError('InvalidParameterException', 'The request body is not valid JSON');
    }
    if (input.UserPoolId !== LOCAL_USER_POOL_ID) {
      return cognitoError(
        'ResourceNotFoundException',
        `User pool ${String(input.UserPoolId)} does not exist.`,
      );
    }
    const describe = (client: OAuthClient) => ({
      UserPoolId: LOCAL_USER_POOL_ID,
      ClientId: client.clientId,
      ClientName: client.name,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: client.scopes,
      ...(client.createdAt ? { CreationDate: Date.parse(client.createdAt) / 1000 } : {}),
    });
    const ok = (body: unknown): LocalResponse => ({
      statusCode: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
      body: JSON.stringify(body),
    });
    const clientId = typeof input.ClientId === 'string' ? input.ClientId : '';
    switch (operation) {
      case 'CreateUserPoolClient': {
        const name = input.ClientName;
        if (typeof name !== 'string' || !/^[\w\s+=,.@-]{1,128}$/.test(name)) {
          return cognitoError('InvalidParameterException', 'ClientName must match [\\w\\s+=,.@-]{1,128}');
        }
        const flows = input.AllowedOAuthFlows;
        if (input.GenerateSecret !== true || !Array.isArray(flows) || flows.join() !== 'client_credentials') {
          return cognitoError(
            'InvalidOAuthFlowException',
            'The local pool issues machine clients only: GenerateSecret and the client_credentials flow',
          );
        }
        const scopes = Array.isArray(input.AllowedOAuthScopes) ? input.AllowedOAuthScopes.map(String) : [];
        const known = new Set(this.options.knownScopes ?? this.options.devClients.flatMap((c) => c.scopes));
        const unknown = scopes.filter((s) => !known.has(s));
        if (scopes.length === 0 || unknown.length > 0) {
          return cognitoError('ScopeDoesNotExistException', `Invalid scope requested: ${unknown.join(', ')}`);
        }
        const issued = this.registerClient(name, scopes);
        const client = this.client(issued.clientId);
        return ok({ UserPoolClient: { ...describe(client), ClientSecret: issued.clientSecret } });
      }
      case 'DescribeUserPoolClient': {
        const client = this.findClient(clientId);
        if (!client)
          return cognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
        return ok({ UserPoolClient: describe(client) });
      }
      case 'ListUserPoolClients': {
        const max = typeof input.MaxResults === 'number' ? input.MaxResults : 60;
        if (!Number.isInteger(max) || max < 1 || max > 60) {
          return cognitoError('InvalidParameterException', 'MaxResults must be between 1 and 60');
        }
        const from = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
        const page = this.state.clients.slice(from, from + max);
        const next = from + max < this.state.clients.length ? String(from + max) : undefined;
        return ok({
          UserPoolClients: page.map((c) => ({
            ClientId: c.clientId,
            ClientName: c.name,
            UserPoolId: LOCAL_USER_POOL_ID,
          })),
          ...(next ? { NextToken: next } : {}),
        });
      }
      case 'DeleteUserPoolClient':
        if (!this.removeClient(clientId)) {
          return cognitoError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
        }
        return ok({});
      default:
        return cognitoError('UnknownOperationException', `The local pool does not implement ${target}`);
    }
  }

  /** Adds a secret to a client (a rotation: both secrets work until {@link retireClientSecrets}). */
  addClientSecret(clientId: string): string {
    const client = this.client(clientId);
    const secret = randomBytes(32).toString('base64url');
    client.secretHashes.push(hash(secret));
    this.persist();
    return secret;
  }

  /** Keeps only the newest secret of a client. */
  retireClientSecrets(clientId: string): void {
    const client = this.client(clientId);
    client.secretHashes.splice(0, client.secretHashes.length - 1);
    this.persist();
  }

  private client(clientId: string): OAuthClient {
    const client = this.state.clients.find((c) => c.clientId === clientId);
    if (!client) throw new Error(`No OAuth client ${clientId}`);
    return client;
  }

  /** The client if the secret is one of its valid secrets. */
  authenticate(clientId: string, secret: string): OAuthClient | undefined {
    const client = this.state.clients.find((c) => c.clientId === clientId);
    const supplied = hash(secret);
    return client?.secretHashes.some((h) => sameHash(h, supplied)) ? client : undefined;
  }

  /**
   * Signs an access token for a client, as Cognito does for the client-credentials grant.
   * `lifetimeSeconds` (tests): a token that is already expired has a negative one.
   */
  issueToken(client: OAuthClient, scopes: readonly string[], lifetimeSeconds = this.lifetime): IssuedToken {
    const iat = Math.floor(this.now() / 1000);
    const key = this.signingKey;
    const header = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
    const payload = {
      sub: client.clientId,
      client_id: client.clientId,
      token_use: 'access',
      scope: scopes.join(' '),
      auth_time: iat,
      iss: this.issuer,
      exp: iat + lifetimeSeconds,
      iat,
      jti: randomUUID(),
      version: 2,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = sign('RSA-SHA256', Buffer.from(signingInput), createPrivateKey(key.privateKey));
    return {
      access_token: `${signingInput}.${b64url(signature)}`,
      token_type: 'Bearer',
      expires_in: lifetimeSeconds,
    };
  }

  /** The token endpoint (client-credentials grant only, as Cognito's for machine clients). */
  token(request: LocalRequest): LocalResponse {
    const form = new URLSearchParams(request.body.toString('utf8'));
    let clientId = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const authorization = request.headers.authorization;
    if (authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        secret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
    }
    if (!clientId || !secret) {
      return oauthError(401, 'invalid_client', 'Client authentication is required (HTTP Basic)');
    }
    const client = this.authenticate(clientId, secret);
    if (!client) return oauthError(401, 'invalid_client', 'Unknown client or wrong secret');
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const unknown = requested.filter((s) => !client.scopes.includes(s));
    if (unknown.length > 0) {
      return oauthError(400, 'invalid_scope', `The client may not request: ${unknown.join(' ')}`);
    }
    const token = this.issueToken(client, requested.length > 0 ? requested : client.scopes);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(token),
    };
  }

  /** The endpoints the runtime serves next to the API. */
  endpoints(): LocalEndpoint[] {
    return [
      { method: 'POST', path: COGNITO_PATH, handle: (request) => this.cognito(request) },
      { method: 'POST', path: `${COGNITO_PATH}/`, handle: (request) => this.cognito(request) },
      { method: 'POST', path: TOKEN_PATH, handle: (request) => this.token(request) },
      {
        method: 'GET',
        path: JWKS_PATH,
        handle: () => ({
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(this.jwks()),
        }),
      },
    ];
  }
}
