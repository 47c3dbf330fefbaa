import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb';
import { type ApiServer, createApiServer } from '../../local/http-server';
import {
  COGNITO_PATH,
  declaredScopes,
  JWKS_PATH,
  LOCAL_USER_POOL_ID,
  localDevClients,
  OAuthIssuer,
  TOKEN_PATH,
} from '../../local/oauth-issuer';
import { createAuthorizer, scopedOperations } from '../../shared/platform/authorizer';
import { contexts } from '../../shared/platform/definitions';
import {
  CognitoClientDirectory,
  ISSUED_CLIENT_CACHE_MS,
  issuedClientPrincipals,
  locationClientName,
} from '../../shared/platform/oauth-clients';

/**
 * The embedded runtime's OAuth issuer and the API's authorizer together, over HTTP: the token
 * endpoint's answers, what a token allows, and key and secret rotation with overlap.
 */

const operations = scopedOperations(contexts);
const METHOD_ARN = (method: string, path: string) =>
  `arn:aws:execute-api:us-east-1:000000000000:local/local/${method}${path}`;

let server: ApiServer;
let base: string;
let issuer: OAuthIssuer;
const clients = Object.fromEntries(localDevClients(contexts).map((c) => [c.clientId, c.principal]));

const authorizer = () =>
  createAuthorizer({ issuer: `${base}/_local/oauth2`, jwksUri: `${base}${JWKS_PATH}`, clients }, operations);

async function tokenRequest(body: string, basic?: [string, string]) {
  const response = await fetch(`${base}${TOKEN_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(basic ? { authorization: `Basic ${Buffer.from(basic.join(':')).toString('base64')}` } : {}),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const tokenOf = async (clientId: string, secret = `${clientId}-secret`) => {
  const answer = await tokenRequest('grant_type=client_credentials', [clientId, secret]);
  if (answer.status !== 200) throw new Error(`no token: ${JSON.stringify(answer.body)}`);
  return String(answer.body.access_token);
};

const claims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

beforeEach(async () => {
  issuer = new OAuthIssuer({
    issuer: () => `${base}/_local/oauth2`,
    devClients: localDevClients(contexts),
    knownScopes: declaredScopes(contexts),
  });
  server = createApiServer({
    routes: [],
    handlers: new Map(),
    apiKeys: {},
    region: 'us-east-1',
    endpoints: issuer.endpoints(),
  });
  base = `http://127.0.0.1:${await server.listen(0)}`;
});

afterEach(() => server.close());

describe('the token endpoint', () => {
  it("issues a dev client a Cognito-shaped access token with its kind's scopes", async () => {
    const token = await tokenOf('local-web');
    expect(claims(token)).toMatchObject({
      client_id: 'local-web',
      token_use: 'access',
      iss: `${base}/_local/oauth2`,
    });
    const scopes = String(claims(token).scope).split(' ');
    expect(scopes).toContain('orders/write');
    expect(scopes.filter((s) => s.endsWith('/admin'))).toEqual([]);
  });

  it('refuses a wrong secret, another grant, and a scope the client may not have', async () => {
    expect(await tokenRequest('grant_type=client_credentials', ['local-web', 'wrong'])).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(await tokenRequest('grant_type=client_credentials')).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(await tokenRequest('grant_type=password', ['local-web', 'local-web-secret'])).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
    expect(
      await tokenRequest('grant_type=client_credentials&scope=inventory/admin', [
        'local-web',
        'local-web-secret',
      ]),
    ).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    const narrowed = await tokenRequest('grant_type=client_credentials&scope=orders/read', [
      'local-web',
      'local-web-secret',
    ]);
    expect(claims(String(narrowed.body.access_token)).scope).toBe('orders/read');
  });
});

describe('the authorizer', () => {
  it("allows exactly the operations of the token's scopes and hands over the principal", async () => {
    const answer = await authorizer()({
      authorizationToken: `Bearer ${await tokenOf('local-web')}`,
      methodArn: METHOD_ARN('POST', '/orders'),
    });

    expect(answer.context).toMatchObject({ principal: 'web', clientId: 'local-web' });
    const resources = answer.policyDocument.Statement.flatMap((s) =>
      'Resource' in s ? [s.Resource].flat() : [],
    );
    expect(resources).toContain(METHOD_ARN('POST', '/orders'));
    expect(resources).toContain(METHOD_ARN('GET', '/orders/*'));
    expect(resources).not.toContain(METHOD_ARN('PUT', '/inventory/*/*'));
  });

  it('refuses a missing, expired, foreign or unknown-client token as Unauthorized', async () => {
    const authorize = authorizer();
    const web = issuer.authenticate('local-web', 'local-web-secret');
    if (!web) throw new Error('no dev client');
    const elsewhere = new OAuthIssuer({
      issuer: () => `${base}/_local/oauth2`,
      devClients: localDevClients(contexts),
    });
    const stranger = issuer.registerClient('not mapped to a principal', ['orders/read']);
    const refused = async (authorizationToken: string) =>
      authorize({ authorizationToken, methodArn: METHOD_ARN('GET', '/orders/x') }).then(
        () => 'allowed',
        (error: Error) => error.message,
      );

    expect({
      none: await refused(''),
      notBearer: await refused(`Basic ${Buffer.from('a:b').toString('base64')}`),
      expired: await refused(`Bearer ${issuer.issueToken(web, web.scopes, -1).access_token}`),
      // Same issuer URL, another signing key: the signature does not verify.
      foreign: await refused(`Bearer ${elsewhere.issueToken(web, web.scopes).access_token}`),
      unknownClient: await refused(`Bearer ${await tokenOf(stranger.clientId, stranger.clientSecret)}`),
    }).toEqual({
      none: 'Unauthorized',
      notBearer: 'Unauthorized',
      expired: 'Unauthorized',
      foreign: 'Unauthorized',
      unknownClient: 'Unauthorized',
    });
  });
});

describe('rotation with overlap', () => {
  it('keeps tokens of the previous signing key valid until the rotation ends', async () => {
    const authorize = authorizer();
    const check = (token: string) =>
      authorize({ authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN('GET', '/orders/x') }).then(
        (a) => a.context.principal,
        (error: Error) => error.message,
      );
    const before = await tokenOf('local-ops');
    expect(await check(before)).toBe('ops');

    const kid = issuer.rotateSigningKey();
    const after = await tokenOf('local-ops');
    const header = JSON.parse(Buffer.from(after.split('.')[0] ?? '', 'base64url').toString('utf8'));

    expect(header.kid).toBe(kid);
    // The authorizer fetches the JWKS again for the new key id; the old key is still published.
    expect([await check(after), await check(before)]).toEqual(['ops', 'ops']);

    issuer.retireOldSigningKeys();
    // A verifier that had not seen the old key (a new execution environment) refuses its tokens.
    expect(
      await authorizer()({
        authorizationToken: `Bearer ${before}`,
        methodArn: METHOD_ARN('GET', '/x'),
      }).catch((e: Error) => e.message),
    ).toBe('Unauthorized');
    expect(await check(after)).toBe('ops');
  });

  it("accepts a client's old and new secret during a secret rotation, then only the new one", async () => {
    const fresh = issuer.addClientSecret('local-store');

    expect(
      (await tokenRequest('grant_type=client_credentials', ['local-store', 'local-store-secret'])).status,
    ).toBe(200);
    expect((await tokenRequest('grant_type=client_credentials', ['local-store', fresh])).status).toBe(200);

    issuer.retireClientSecrets('local-store');

    expect(
      (await tokenRequest('grant_type=client_credentials', ['local-store', 'local-store-secret'])).status,
    ).toBe(401);
    expect((await tokenRequest('grant_type=client_credentials', ['local-store', fresh])).status).toBe(200);
  });

  it('keeps its keys in the data directory: a token outlives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-'));
    try {
      const statePath = join(dir, 'oauth.json');
      const first = new OAuthIssuer({
        issuer: () => `${base}/_local/oauth2`,
        devClients: localDevClients(contexts),
        statePath,
      });
      const ops = first.authenticate('local-ops', 'local-ops-secret');
      if (!ops) throw new Error('no dev client');
      const token = first.issueToken(ops, ops.scopes).access_token;
      const restarted = new OAuthIssuer({
        issuer: () => `${base}/_local/oauth2`,
        devClients: localDevClients(contexts),
        statePath,
      });

      expect(restarted.jwks()).toEqual(first.jwks());
      expect(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')).kid).toBe(
        restarted.jwks().keys[0]?.kid,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the user pool's app clients (Cognito's API, through the real SDK client)", () => {
  const directory = (credentials = LOCAL_CREDENTIALS) =>
    new CognitoClientDirectory(
      new CognitoIdentityProviderClient({
        endpoint: `${base}${COGNITO_PATH}`,
        region: 'us-east-1',
        credentials,
      }),
      LOCAL_USER_POOL_ID,
    );

  it("issues a location's client whose token the authorizer maps to that location, then revokes it", async () => {
    let clock = 0;
    const clients = directory();
    const resolve = issuedClientPrincipals(clients, () => clock);
    const authorize = createAuthorizer(
      {
        issuer: `${base}/_local/oauth2`,
        jwksUri: `${base}${JWKS_PATH}`,
        clients: {},
        resolveClient: resolve,
      },
      operations,
    );
    const issued = await clients.register(locationClientName('STORE-LON'), ['fulfillment/location']);
    const token = await tokenOf(issued.clientId, issued.clientSecret);
    const answer = await authorize({
      authorizationToken: `Bearer ${token}`,
      methodArn: METHOD_ARN('GET', '/locations/STORE-LON/work'),
    });

    expect(claims(token).scope).toBe('fulfillment/location');
    expect(answer.context).toMatchObject({ principal: 'location:STORE-LON', clientId: issued.clientId });
    const allowed = answer.policyDocument.Statement.flatMap((s) =>
      'Resource' in s ? [s.Resource].flat() : [],
    );
    expect(allowed).toContain(METHOD_ARN('GET', '/locations/*/work'));
    // A location's token opens no channel or operations route.
    expect(allowed).not.toContain(METHOD_ARN('POST', '/orders'));
    expect(allowed).not.toContain(METHOD_ARN('PUT', '/locations/*'));
    expect(await clients.nameOf(issued.clientId)).toBe('location.STORE-LON');

    await clients.remove(issued.clientId);
    await clients.remove(issued.clientId); // a repeated revocation is done, not an error

    expect(await clients.nameOf(issued.clientId)).toBeUndefined();
    expect(
      (await tokenRequest('grant_type=client_credentials', [issued.clientId, issued.clientSecret])).status,
    ).toBe(401);
    // A token issued before the revocation: good until the authorizer's next refresh, then refused.
    const check = () =>
      authorize({ authorizationToken: `Bearer ${token}`, methodArn: METHOD_ARN('GET', '/x') }).then(
        (a) => a.context.principal,
        (error: Error) => error.message,
      );
    expect(await check()).toBe('location:STORE-LON');
    clock += ISSUED_CLIENT_CACHE_MS.refresh;
    expect(await check()).toBe('Unauthorized');
  });

  it('finds a client issued after its last look within ten seconds, and answers from the last list when Cognito fails', async () => {
    let clock = 0;
    let failing = false;
    const real = directory();
    const flaky = {
      names: async () => {
        if (failing) throw new Error('TooManyRequestsException');
        return real.names();
      },
    };
    const resolve = issuedClientPrincipals(flaky, () => clock);
    const first = await real.register(locationClientName('DC-1'), ['fulfillment/location']);
    expect(await resolve(first.clientId)).toBe('location:DC-1');

    const later = await real.register(locationClientName('DC-2'), ['fulfillment/location']);
    expect(await resolve(later.clientId)).toBeUndefined();
    clock += ISSUED_CLIENT_CACHE_MS.onUnknown;
    expect(await resolve(later.clientId)).toBe('location:DC-2');

    failing = true;
    clock += ISSUED_CLIENT_CACHE_MS.refresh;
    expect(await resolve(first.clientId)).toBe('location:DC-1');
    await expect(issuedClientPrincipals(flaky)(first.clientId)).rejects.toThrow('TooManyRequestsException');
  });

  it("lists every client of the pool page by page, and lets a location's token open its routes only", async () => {
    const clients = directory();
    const many = [];
    for (let i = 0; i < 65; i += 1)
      many.push(issuer.registerClient(`location.S${i}`, ['fulfillment/location']));
    const names = await clients.names();
    expect(names.size).toBe(65 + localDevClients(contexts).length);
    expect(names.get(many[64]!.clientId)).toBe('location.S64');

    // A client named after a location but given more scopes (by hand, in the console) still only
    // gets the location's operations.
    const broad = issuer.registerClient('location.S1', ['fulfillment/location', 'orders/write']);
    const authorize = createAuthorizer(
      {
        issuer: `${base}/_local/oauth2`,
        jwksUri: `${base}${JWKS_PATH}`,
        clients: {},
        resolveClient: issuedClientPrincipals(clients),
      },
      operations,
    );
    const answer = await authorize({
      authorizationToken: `Bearer ${await tokenOf(broad.clientId, broad.clientSecret)}`,
      methodArn: METHOD_ARN('POST', '/orders'),
    });
    const allowed = answer.policyDocument.Statement.flatMap((s) =>
      'Resource' in s ? [s.Resource].flat() : [],
    );
    expect(allowed).not.toContain(METHOD_ARN('POST', '/orders'));
    expect(allowed).toContain(METHOD_ARN('GET', '/locations/*/work'));
  });

  it('maps only location clients: any other issued client is no principal', async () => {
    const clients = directory();
    const other = await clients.register('reporting-tool', ['orders/read']);
    expect(await issuedClientPrincipals(clients)(other.clientId)).toBeUndefined();
    expect(await issuedClientPrincipals(clients)('no-such-client')).toBeUndefined();
  });

  it('refuses a scope the pool does not declare, and every caller but the system', async () => {
    await expect(directory().register('location.X', ['inventory/everything'])).rejects.toMatchObject({
      name: 'ScopeDoesNotExistException',
    });
    await expect(
      directory({ accessKeyId: 'marketplace-acme', secretAccessKey: 'x' }).register('location.X', [
        'fulfillment/location',
      ]),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    const unsigned = await fetch(`${base}${COGNITO_PATH}`, {
      method: 'POST',
      headers: { 'x-amz-target': 'AWSCognitoIdentityProviderService.DescribeUserPoolClient' },
      body: JSON.stringify({ UserPoolId: LOCAL_USER_POOL_ID, ClientId: 'local-ops' }),
    });
    expect(unsigned.status).toBe(400);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe('AccessDeniedException');
  });

  it('keeps issued clients in the data directory: a location keeps its credentials over a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-'));
    try {
      const statePath = join(dir, 'oauth.json');
      const options = {
        issuer: () => `${base}/_local/oauth2`,
        devClients: localDevClients(contexts),
        knownScopes: declaredScopes(contexts),
        statePath,
      };
      const { clientId, clientSecret } = new OAuthIssuer(options).registerClient('location.DC-1', [
        'fulfillment/location',
      ]);
      const restarted = new OAuthIssuer(options);
      expect(restarted.authenticate(clientId, clientSecret)?.name).toBe('location.DC-1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
