import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer, scopedOperations } from '../../shared/platform/authorizer';
import { optionalEnv, PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { contexts } from '../../shared/platform/definitions';
import { issuedClientPrincipals, oauthClientDirectory } from '../../shared/platform/oauth-clients';
import type { Principal } from '../../shared/platform/principals';

const clients = JSON.parse(requireEnv(PLATFORM_ENV.authClients)) as Record<string, Principal>;
const jwksUri = optionalEnv(PLATFORM_ENV.authJwksUri);

const authorize = createAuthorizer(
  {
    issuer: requireEnv(PLATFORM_ENV.authIssuer),
    ...(jwksUri ? { jwksUri } : {}),
    clients,
    // Clients issued at run time (a location's) are found in the user pool by their name.
    resolveClient: issuedClientPrincipals(oauthClientDirectory()),
  },
  scopedOperations(contexts),
);

/** API Gateway's TOKEN authorizer: the verified client's principal and the operations its scopes allow. */
export const handler = (event: APIGatewayTokenAuthorizerEvent) => authorize(event);
