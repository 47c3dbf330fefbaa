/**
 * Environment of a function, read once when its module loads. `requireEnv` at module scope fails the
 * cold start with the variable's name instead of failing every request later.
 */

/** Names of the variables the platform itself reads; each context names its own tables' variables. */
export const PLATFORM_ENV = {
  eventBusName: 'EVENT_BUS_NAME',
  /** The OAuth issuer whose access tokens the API accepts (`iss`): the Cognito user pool's URL on AWS. */
  authIssuer: 'AUTH_ISSUER',
  /** Where the issuer's signing keys are; default `<issuer>/.well-known/jwks.json` (Cognito's). */
  authJwksUri: 'AUTH_JWKS_URI',
  /** JSON object mapping an OAuth client id to the principal it acts as (a channel or `ops`). */
  authClients: 'AUTH_CLIENTS',
  /**
   * The Cognito user pool whose app clients the system issues at run time (a location's credentials)
   * and the authorizer looks up (a client not in `AUTH_CLIENTS`).
   */
  authUserPoolId: 'AUTH_USER_POOL_ID',
  /** Where clients get their tokens (`…/oauth2/token`): told to whoever is issued credentials. */
  authTokenUrl: 'AUTH_TOKEN_URL',
  /** Optional endpoint override for Cognito (the embedded runtime points it at its OAuth issuer). */
  cognitoEndpoint: 'COGNITO_ENDPOINT',
  /** Optional endpoint override for DynamoDB (the embedded runtime points it at DynamoDB Local). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  /** Optional endpoint override for EventBridge (the embedded runtime points it at the local bus). */
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
  /** Optional endpoint override for Step Functions (the embedded runtime points it at its local runner). */
  stepFunctionsEndpoint: 'STEPFUNCTIONS_ENDPOINT',
} as const;

/** Reads a required environment variable; throws with its name when it is missing or empty. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is required but not set`);
  }
  return value;
}

/** Reads an optional environment variable; empty counts as unset. */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}
