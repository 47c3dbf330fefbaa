import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent, PolicyDocument } from 'aws-lambda';
import type { ContextDefinition, HttpMethod } from './definition';
import { isLocationPrincipal, type Principal } from './principals';
import { LOCATION_SCOPE, routeScope, scopeString } from './scopes';

/**
 * The API's authorizer (an API Gateway TOKEN authorizer): verifies the bearer token as an access
 * token of the deployment's OAuth issuer (the Cognito user pool on AWS, the embedded runtime's issuer
 * locally) with `aws-jwt-verify`, maps its client to a principal, and answers a policy that allows
 * exactly the operations whose scope the token carries. API Gateway caches the answer per token, so
 * the policy covers every allowed operation, not only the one called.
 *
 * A missing, malformed, expired or foreign token is `Unauthorized` (API Gateway's 401); a valid token
 * without the operation's scope gets a policy that does not allow it (403).
 */

/** What the authorizer hands the handler (`requestContext.authorizer`): strings only, as API Gateway does. */
export interface AuthorizerContext {
  principal: Principal;
  clientId: string;
  scope: string;
}

export interface AuthorizerConfig {
  /** The token issuer (`iss`), e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  issuer: string;
  /** Where the issuer publishes its keys; default `<issuer>/.well-known/jwks.json` (Cognito's). */
  jwksUri?: string;
  /** OAuth client id → the principal it acts as (a channel, `ops`): the configured clients. */
  clients: Readonly<Record<string, Principal>>;
  /**
   * The principal of a client issued at run time (a location's), looked up when the client is not
   * among `clients`; undefined: no such client (never issued, or revoked).
   */
  resolveClient?: (clientId: string) => Promise<Principal | undefined>;
}

/** One operation the policy may allow, with the scope it requires. */
export interface ScopedOperation {
  method: HttpMethod;
  /** The resource template, e.g. `/orders/{orderId}`. */
  path: string;
  scope: string;
}

/** Every operation of the definitions that requires a scope. */
export function scopedOperations(contexts: readonly ContextDefinition[]): ScopedOperation[] {
  return contexts.flatMap((context) =>
    context.functions.flatMap((fn) => {
      if (fn.trigger.kind !== 'http') return [];
      const scope = routeScope(context.name, fn.trigger);
      return scope ? [{ method: fn.trigger.method, path: fn.trigger.path, scope: scopeString(scope) }] : [];
    }),
  );
}

/** The thrown message API Gateway turns into 401 (any other error is a 500). */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * Fetches the issuer's keys with the runtime's `fetch` (http locally, https on AWS); the library's
 * own fetcher speaks https only.
 */
const jwksFetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (response.status !== 200) throw new Error(`JWKS at ${uri} answered ${response.status}`);
    return response.arrayBuffer();
  },
};

/** `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>` → its API and stage part. */
function apiStageArn(methodArn: string): string | undefined {
  const [arnPrefix, rest] = [methodArn.slice(0, methodArn.indexOf('/')), methodArn.split('/').slice(1)];
  const stage = rest[0];
  return arnPrefix && stage ? `${arnPrefix}/${stage}` : undefined;
}

/** An operation's resource in a policy: path parameters become wildcards. */
const operationResource = (base: string, op: ScopedOperation) =>
  `${base}/${op.method}${op.path.replace(/\{[^}]+\}/g, '*')}`;

export function createAuthorizer(config: AuthorizerConfig, operations: readonly ScopedOperation[]) {
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      jwksUri: config.jwksUri ?? `${config.issuer}/.well-known/jwks.json`,
      // Cognito access tokens of the client-credentials grant carry no `aud`; the client is `client_id`.
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') throw new Error('Not an access token');
      },
    },
    { jwksCache: new SimpleJwksCache({ fetcher: jwksFetcher }) },
  );

  return async function authorize(
    event: Pick<APIGatewayTokenAuthorizerEvent, 'authorizationToken' | 'methodArn'>,
  ): Promise<APIGatewayAuthorizerResult & { context: AuthorizerContext }> {
    const match = /^Bearer\s+(\S+)$/i.exec(event.authorizationToken ?? '');
    if (!match?.[1]) throw new Error(UNAUTHORIZED);
    let payload: Awaited<ReturnType<typeof verifier.verify>>;
    try {
      payload = await verifier.verify(match[1]);
    } catch {
      throw new Error(UNAUTHORIZED);
    }
    const clientId = String(payload.client_id ?? '');
    const principal = config.clients[clientId] ?? (await config.resolveClient?.(clientId));
    if (!principal) throw new Error(UNAUTHORIZED);
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    // A location's client opens its location routes and nothing else, whatever scopes it was given.
    const granted = new Set(
      scope
        .split(' ')
        .filter(Boolean)
        .filter((s) => !isLocationPrincipal(principal) || s === scopeString(LOCATION_SCOPE)),
    );
    const base = apiStageArn(event.methodArn);
    const allowed = base
      ? operations.filter((op) => granted.has(op.scope)).map((op) => operationResource(base, op))
      : [];
    const policyDocument: PolicyDocument = {
      Version: '2012-10-17',
      Statement:
        allowed.length > 0
          ? [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowed }]
          : [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }],
    };
    return { principalId: clientId, policyDocument, context: { principal, clientId, scope } };
  };
}
