import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  DescribeUserPoolClientCommand,
  ListUserPoolClientsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { optionalEnv, PLATFORM_ENV, requireEnv } from './config';
import type { Principal } from './principals';
import { tracer } from './tracer';

/**
 * The OAuth clients the system issues at run time (a location's credentials), as app clients of the
 * environment's Cognito user pool: created with a generated secret, the client-credentials flow only,
 * and exactly the scopes asked for. Locally the embedded runtime's issuer answers the same Cognito
 * calls (`/_aws/cognito-idp`), so this code and the real SDK client run there too.
 *
 * The client's name says whom it acts for ({@link clientNameOf}): the authorizer reads it back with
 * DescribeUserPoolClient, so no table maps client ids to principals and deleting the app client is
 * the whole revocation.
 */
export interface IssuedClient {
  clientId: string;
  /** Shown once: Cognito returns it on creation, the system stores none. */
  clientSecret: string;
}

export interface OAuthClientDirectory {
  /** Creates a client named `name` with a generated secret, for the client-credentials grant of `scopes`. */
  register(name: string, scopes: readonly string[]): Promise<IssuedClient>;
  /** The client's name, or undefined if there is no such client (never created, or deleted). */
  nameOf(clientId: string): Promise<string | undefined>;
  /** Every client of the pool: id → name (ListUserPoolClients, which answers no secrets). */
  names(): Promise<Map<string, string>>;
  /** Deletes the client: its secret stops working at once, its tokens at the authorizer's next check. */
  remove(clientId: string): Promise<void>;
}

/** How long a run-time client's access token lives, as the pool's configured clients' (60 minutes). */
export const ISSUED_CLIENT_TOKEN_MINUTES = 60;

/** A location's client is named `location.<locationId>` (a location id has no dot). */
const LOCATION_CLIENT_PREFIX = 'location.';

/** The name of the client that acts as a location's own systems. */
export const locationClientName = (locationId: string): string => `${LOCATION_CLIENT_PREFIX}${locationId}`;

/** The location a client name stands for, if it is a location's client. */
export function locationOfClientName(name: string): string | undefined {
  if (!name.startsWith(LOCATION_CLIENT_PREFIX)) return undefined;
  const locationId = name.slice(LOCATION_CLIENT_PREFIX.length);
  return /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(locationId) ? locationId : undefined;
}

/**
 * How the authorizer keeps the pool's client names: the whole list, refreshed every minute, and at
 * most every ten seconds when a token names a client it does not know (one just issued).
 */
export const ISSUED_CLIENT_CACHE_MS = { refresh: 60_000, onUnknown: 10_000 } as const;

/**
 * The authorizer's lookup of a client it is not configured with: the principal its name stands for,
 * from a snapshot of the pool's client names (ListUserPoolClients: names, never secrets). One
 * refresh at a time per execution environment, whatever the number of waiting requests; when a
 * refresh fails (Cognito throttles, say) the last snapshot keeps answering. A revoked client's tokens
 * stop working within the refresh and API Gateway's 5-minute cache of the answer.
 */
export function issuedClientPrincipals(
  directory: Pick<OAuthClientDirectory, 'names'>,
  now: () => number = Date.now,
): (clientId: string) => Promise<Principal | undefined> {
  let snapshot: Map<string, string> | undefined;
  let takenAt = 0;
  let loading: Promise<void> | undefined;
  const refresh = () => {
    loading ??= directory
      .names()
      .then((names) => {
        snapshot = names;
        takenAt = now();
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
  return async (clientId) => {
    const age = now() - takenAt;
    const due =
      snapshot === undefined ||
      age >= ISSUED_CLIENT_CACHE_MS.refresh ||
      (!snapshot.has(clientId) && age >= ISSUED_CLIENT_CACHE_MS.onUnknown);
    if (due) {
      try {
        await refresh();
      } catch (error) {
        if (snapshot === undefined) throw error;
      }
    }
    const name = snapshot?.get(clientId);
    const locationId = name === undefined ? undefined : locationOfClientName(name);
    return locationId ? `location:${locationId}` : undefined;
  };
}

export class CognitoClientDirectory implements OAuthClientDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async register(name: string, scopes: readonly string[]): Promise<IssuedClient> {
    const out = await this.client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: this.userPoolId,
        ClientName: name,
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: [...scopes],
        // A machine client signs in with nothing but its secret at the token endpoint.
        ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
        AccessTokenValidity: ISSUED_CLIENT_TOKEN_MINUTES,
        TokenValidityUnits: { AccessToken: 'minutes' },
        EnableTokenRevocation: true,
        PreventUserExistenceErrors: 'ENABLED',
      }),
    );
    const created = out.UserPoolClient;
    if (!created?.ClientId || !created.ClientSecret) {
      throw new Error(`CreateUserPoolClient answered no client id or secret for ${name}`);
    }
    return { clientId: created.ClientId, clientSecret: created.ClientSecret };
  }

  async nameOf(clientId: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new DescribeUserPoolClientCommand({ UserPoolId: this.userPoolId, ClientId: clientId }),
      );
      return out.UserPoolClient?.ClientName;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async names(): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListUserPoolClientsCommand({ UserPoolId: this.userPoolId, MaxResults: 60, NextToken }),
      );
      for (const client of page.UserPoolClients ?? []) {
        if (client.ClientId && client.ClientName) names.set(client.ClientId, client.ClientName);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return names;
  }

  async remove(clientId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteUserPoolClientCommand({ UserPoolId: this.userPoolId, ClientId: clientId }),
      );
    } catch (error) {
      // Already gone: a repeated revocation is done.
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}

let directory: OAuthClientDirectory | undefined;

/** The environment's client directory (`AUTH_USER_POOL_ID`; locally `COGNITO_ENDPOINT` too), one per process. */
export function oauthClientDirectory(): OAuthClientDirectory {
  if (directory) return directory;
  const endpoint = optionalEnv(PLATFORM_ENV.cognitoEndpoint);
  const client = tracer.captureAWSv3Client(
    new CognitoIdentityProviderClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 }),
  );
  directory = new CognitoClientDirectory(client, requireEnv(PLATFORM_ENV.authUserPoolId));
  return directory;
}
