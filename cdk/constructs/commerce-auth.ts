import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { ContextDefinition } from '../../shared/platform/definition';
import { isLocationPrincipal } from '../../shared/platform/principals';
import { apiScopes, type ClientKind, scopesFor } from '../../shared/platform/scopes';
import type { ApiClient } from '../config';
import { pascal } from './commerce-api';

/** How long an access token is good for: a client asks for a new one with its secret, no refresh token. */
export const ACCESS_TOKEN_VALIDITY = Duration.minutes(60);

/** Properties of {@link CommerceAuth}. */
export interface CommerceAuthProps {
  /** The contexts whose routes' scopes the resource servers declare (`apiScopes`). */
  readonly contexts: readonly ContextDefinition[];
  /** One app client each (`commerce:apiClients`). */
  readonly clients: readonly ApiClient[];
  /** The environment's: `retain` also turns on the pool's deletion protection. */
  readonly removalPolicy: RemovalPolicy;
  /** Prefix of the Cognito domain of the token endpoint, unique in the Region. */
  readonly domainPrefix: string;
}

/** The kind of client a principal is, which decides its scopes (`scopesFor`). */
export function clientKind(principal: string): ClientKind {
  if (principal === 'ops') return 'ops';
  return isLocationPrincipal(principal) ? 'location' : 'channel';
}

/**
 * Who may call the API, as OAuth 2.0: a Cognito user pool whose only users are machines. Each API
 * client gets an app client with a generated secret that may use the client-credentials flow only,
 * for exactly the scopes of the operations its kind of principal may call; the API's TOKEN authorizer
 * (`Authorize`) verifies the access token, maps its client id to a principal (`AUTH_CLIENTS`) and
 * allows the operations of its scopes.
 *
 * No self sign-up, and nothing signs in with a password; the password policy, MFA and threat
 * protection (Plus feature plan, billed per active user, of which there are none) are set to what a
 * pool with people in it would need, so adding a console user later starts from there. The pool is
 * in the stateful stack: its clients' secrets are in every channel's configuration.
 */
export class CommerceAuth extends Construct {
  /** The user pool. */
  public readonly userPool: cognito.UserPool;
  /** The Cognito domain whose `/oauth2/token` issues the access tokens. */
  public readonly domain: cognito.UserPoolDomain;
  /** One resource server per context with protected routes, by identifier (`orders`). */
  public readonly resourceServers: ReadonlyMap<string, cognito.UserPoolResourceServer>;
  /** One app client per API client, by client id, with the principal it acts as. */
  public readonly clients: ReadonlyMap<
    string,
    { client: cognito.UserPoolClient; principal: string; scopes: string[] }
  >;

  constructor(scope: Construct, id: string, props: CommerceAuthProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
    });

    const scopeObjects = new Map<string, cognito.OAuthScope>();
    const servers = new Map<string, cognito.UserPoolResourceServer>();
    for (const { resourceServer, scopes } of apiScopes(props.contexts)) {
      const declared = scopes.map(
        (s) => new cognito.ResourceServerScope({ scopeName: s.name, scopeDescription: s.description }),
      );
      const server = this.userPool.addResourceServer(`${pascal(resourceServer)}ResourceServer`, {
        identifier: resourceServer,
        userPoolResourceServerName: resourceServer,
        scopes: declared,
      });
      for (const scope of declared) {
        scopeObjects.set(
          `${resourceServer}/${scope.scopeName}`,
          cognito.OAuthScope.resourceServer(server, scope),
        );
      }
      servers.set(resourceServer, server);
    }
    this.resourceServers = servers;

    const clients = new Map<
      string,
      { client: cognito.UserPoolClient; principal: string; scopes: string[] }
    >();
    for (const apiClient of props.clients) {
      const scopes = scopesFor(props.contexts, clientKind(apiClient.principal));
      const client = this.userPool.addClient(`${pascal(apiClient.id)}Client`, {
        userPoolClientName: apiClient.id,
        generateSecret: true,
        authFlows: {},
        oAuth: {
          flows: { clientCredentials: true },
          scopes: scopes.map((s) => scopeObjects.get(s)!),
        },
        accessTokenValidity: ACCESS_TOKEN_VALIDITY,
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
      clients.set(apiClient.id, { client, principal: apiClient.principal, scopes });
    }
    this.clients = clients;
  }

  /** The token endpoint clients post their credentials to. */
  public get tokenEndpoint(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }

  /** `{"<app client id>":"<principal>"}`, resolved at deploy time: `AUTH_CLIENTS` of the functions. */
  public get clientPrincipalsJson(): string {
    return Stack.of(this).toJsonString(
      Object.fromEntries(
        [...this.clients.values()].map(({ client, principal }) => [client.userPoolClientId, principal]),
      ),
    );
  }
}
