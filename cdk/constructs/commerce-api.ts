import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HttpMethod, Trigger } from '../../shared/platform/definitions';
import { routeScope } from '../../shared/platform/scopes';
import type { ApiClient } from '../config';
import type { CommerceFunction } from './commerce-function';
import { queryStringParameters, requestModels } from './request-models';

/** The headers a route declares that a request must carry: API Gateway rejects a request without them. */
export function requiredHeaders(trigger: Extract<Trigger, { kind: 'http' }>): string[] {
  return Object.entries(trigger.headers?.shape ?? {})
    .filter(
      ([, schema]) =>
        !(schema as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined).success,
    )
    .map(([name]) => name);
}

/** Throttle and daily quota of one principal's usage plan. */
export interface UsageLimits {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
  /** Requests per day. */
  readonly quotaPerDay: number;
}

/** Limits applied to each client unless its configuration says otherwise. */
export const DEFAULT_USAGE_LIMITS: UsageLimits = { rateLimit: 50, burstLimit: 100, quotaPerDay: 1_000_000 };

/**
 * API Gateway's own error responses, rendered in the API's error format
 * `{"error":{"code":"...","message":"..."}}` so a channel parses one shape whoever answered.
 * `$context.error.messageString` is already a quoted JSON string; `validationErrorString` is not.
 */
const GATEWAY_RESPONSES: ReadonlyArray<{
  type: apigw.ResponseType;
  code: string;
  statusCode?: string;
  message?: string;
}> = [
  { type: apigw.ResponseType.INVALID_API_KEY, code: 'INVALID_API_KEY', statusCode: '403' },
  // The authorizer's answers: no valid token (it threw "Unauthorized"), or a token without the scope.
  { type: apigw.ResponseType.UNAUTHORIZED, code: 'UNAUTHORIZED', statusCode: '401' },
  { type: apigw.ResponseType.ACCESS_DENIED, code: 'FORBIDDEN', statusCode: '403' },
  // Without IAM authorisation, this is what API Gateway answers for a path or method that does not exist.
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, code: 'NOT_FOUND', statusCode: '404' },
  { type: apigw.ResponseType.THROTTLED, code: 'THROTTLED', statusCode: '429' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, code: 'QUOTA_EXCEEDED', statusCode: '429' },
  {
    type: apigw.ResponseType.BAD_REQUEST_BODY,
    code: 'VALIDATION_FAILED',
    statusCode: '400',
    message: '"$context.error.validationErrorString"',
  },
  {
    type: apigw.ResponseType.BAD_REQUEST_PARAMETERS,
    code: 'VALIDATION_FAILED',
    statusCode: '400',
    message: '"$context.error.validationErrorString"',
  },
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'CLIENT_ERROR' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'INTERNAL' },
];

/**
 * One JSON line per request. Beyond the standard fields it records who called: the OAuth client the
 * authorizer verified and the principal it acts as (a channel, `ops`, `location:<id>`; empty on a
 * public route or a refused token), and the usage-plan key; then latencies and API Gateway's own
 * error message, the fields an operator filters on (a leaked credential: 3.6 of the runbook).
 */
const ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: apigw.AccessLogField.contextRequestId(),
    requestTime: apigw.AccessLogField.contextRequestTime(),
    ip: apigw.AccessLogField.contextIdentitySourceIp(),
    clientId: apigw.AccessLogField.contextAuthorizer('clientId'),
    principal: apigw.AccessLogField.contextAuthorizer('principal'),
    apiKeyId: apigw.AccessLogField.contextIdentityApiKeyId(),
    httpMethod: apigw.AccessLogField.contextHttpMethod(),
    resourcePath: apigw.AccessLogField.contextResourcePath(),
    path: apigw.AccessLogField.contextPath(),
    status: apigw.AccessLogField.contextStatus(),
    responseLength: apigw.AccessLogField.contextResponseLength(),
    responseLatencyMs: apigw.AccessLogField.contextResponseLatency(),
    integrationLatencyMs: apigw.AccessLogField.contextIntegrationLatency(),
    errorMessage: apigw.AccessLogField.contextErrorMessage(),
    xrayTraceId: apigw.AccessLogField.contextXrayTraceId(),
  }),
);

/** A throttle: steady-state requests per second and burst. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** A route by method and path, as the definitions write it. */
export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
}

/**
 * The routes whose every call costs many reads and writes (the order intake's transaction, pricing a
 * cart, three batch reads per offer page, a product file): each has a throttle of its own, lower
 * than the stage's, so a burst on them cannot take the stage's whole allowance.
 */
export const EXPENSIVE_ROUTES: readonly Route[] = [
  { method: 'POST', path: '/orders' },
  { method: 'POST', path: '/quotes' },
  { method: 'GET', path: '/offers' },
  { method: 'POST', path: '/product-imports' },
];

/** A route's alarms: its 5xx responses and its p99 latency. */
export interface RouteAlarms {
  readonly serverErrors: cloudwatch.Alarm;
  readonly latency: cloudwatch.Alarm;
}

/** 5xx responses of one route in five minutes that raise its alarm. */
const ROUTE_5XX_THRESHOLD = 5;
/** p99 latency of one route, over three five-minute periods, that raises its alarm: a third of the integration timeout. */
const ROUTE_P99_LATENCY_MS = 10_000;
const ALARM_PERIOD = Duration.minutes(5);

/** Properties of a {@link CommerceApi}. */
export interface CommerceApiProps {
  /** The API's name: its metrics' `ApiName` (`connected-commerce-dev`). */
  readonly apiName: string;
  /** All functions; those with an `http` trigger become routes. */
  readonly functions: readonly CommerceFunction[];
  /** The context that declares each function, by function name: a route's scope is named after it. */
  readonly contextOf: (functionName: string) => string;
  /** Who may call the API: the deployment's configuration (`commerce:apiClients`). */
  readonly clients: readonly ApiClient[];
  /**
   * The API's TOKEN authorizer function (the definition whose trigger is `authorizer`): it verifies
   * the user pool's access tokens with the same code as the embedded runtime.
   */
  readonly authorizerFunction: lambda.IFunction;
  /** The route answered by API Gateway itself with `{"status":"ok"}`, no function behind it. */
  readonly healthRoute: Route;
  /** Throttle of the whole stage, above the per-key plans. */
  readonly stageThrottle: Throttle;
  /** Throttle of each of the {@link EXPENSIVE_ROUTES}. */
  readonly expensiveRouteThrottle: Throttle;
  /** The environment's customer-data key, for the access log. */
  readonly key: kms.IKey;
  /** How long the access log keeps requests, and what a stack deletion does to it. */
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The REST API every channel calls: one Lambda proxy route per `http` function, an API key and a
 * usage plan per channel (and one for operations), request validation, access logs, tracing and
 * throttling on the stage (and lower on the expensive routes), gateway errors in the API's own error
 * format, and per route an alarm on its 5xx responses and one on its p99 latency (detailed metrics).
 *
 * Every route but the public ones (and, for now, the locations' own) requires an OAuth access token
 * from the user pool carrying the route's scope (`routeScope`): the TOKEN authorizer verifies it and
 * answers a policy of the operations its scopes allow, before a function runs. The API key is still
 * required where it was: it selects the client's usage plan (throttle, quota).
 *
 * `GET /health` is answered by API Gateway itself (a MOCK integration): liveness of the API needs no
 * function, no key and no token, and cannot be slowed by a cold start; the CheckHealth function
 * stays in the definitions for the embedded runtime, which answers it in code.
 *
 * A method requires a gateway key exactly when its function has `apiKeys: true`: the key selects
 * the client's usage plan and names no one (the caller is the token's client). Public routes need
 * none, and the routes a location's own systems call (`access: 'location'`) need none either: a
 * location is one of many run-time OAuth clients with no usage plan of its own; the WAF's per-token
 * rate rule and the method throttles limit it.
 */
export class CommerceApi extends Construct {
  /** The REST API. */
  public readonly api: apigw.RestApi;
  /** One API key per client and key generation, by {@link keyName} (`web`, `web-g2`, `location-lon`). */
  public readonly apiKeys: Readonly<Record<string, { key: apigw.ApiKey; principal: string }>>;
  /** One usage plan per client, by client id. */
  public readonly usagePlans: Readonly<Record<string, apigw.UsagePlan>>;
  /** The stage's access log group. */
  public readonly accessLog: logs.LogGroup;
  /** Verifies the access token and allows the operations of its scopes, on every scoped route. */
  public readonly authorizer: apigw.TokenAuthorizer;
  /** The alarms of each route, by `METHOD /path`. */
  public readonly routeAlarms: ReadonlyMap<string, RouteAlarms>;

  constructor(scope: Construct, id: string, props: CommerceApiProps) {
    super(scope, id);
    const routed = props.functions.filter((fn) => fn.definition.trigger.kind === 'http');

    this.accessLog = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.key,
    });
    const stageThrottle = props.stageThrottle;
    const routes = [props.healthRoute, ...routed.map((fn) => fn.definition.trigger as HttpTrigger)];
    for (const route of EXPENSIVE_ROUTES) {
      if (!routes.some((r) => r.method === route.method && r.path === route.path)) {
        throw new Error(
          `The expensive route ${route.method} ${route.path} is not a route of the definitions`,
        );
      }
    }

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: 'connected-commerce: one inventory pool and one order intake for every channel',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // Execution and access logging use the account's API Gateway CloudWatch role, which the
      // environment's baseline stack sets (BaselineStack).
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLog),
        accessLogFormat: ACCESS_LOG_FORMAT,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        methodOptions: Object.fromEntries(
          EXPENSIVE_ROUTES.map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: props.expensiveRouteThrottle.rateLimit,
              throttlingBurstLimit: props.expensiveRouteThrottle.burstLimit,
            },
          ]),
        ),
      },
    });
    // A TOKEN authorizer rather than the Cognito one: the same verification code (aws-jwt-verify, the
    // client → principal map, the scope → operations policy) runs here and in the embedded runtime.
    // Its policy lists every operation the token's scopes allow, so caching it per token is safe.
    // cdk-nag's COG4 asks for a Cognito authorizer by type; this one verifies the same pool's tokens.
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        "Every scoped method uses a TOKEN authorizer that verifies the environment user pool's access tokens (aws-jwt-verify: signature, issuer, expiry, token_use) and allows only the operations of the token's scopes; it is the same code the embedded runtime runs. Public methods (liveness, the API document) have none by design.",
    });
    this.authorizer = new apigw.TokenAuthorizer(this, 'Authorizer', {
      // Referred to by ARN from this stack, so that API Gateway's invoke permission is created here,
      // next to the authorizer it names: created in the function's own (nested) stack, it made that
      // stack and the authorizer depend on each other.
      handler: lambda.Function.fromFunctionAttributes(this, 'AuthorizerFunction', {
        functionArn: props.authorizerFunction.functionArn,
        sameEnvironment: true,
      }),
      identitySource: apigw.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });

    for (const response of GATEWAY_RESPONSES) {
      this.api.addGatewayResponse(response.type.responseType, {
        type: response.type,
        statusCode: response.statusCode,
        templates: {
          'application/json': `{"error":{"code":"${response.code}","message":${response.message ?? '$context.error.messageString'},"details":[]}}`,
        },
      });
    }

    // Keys are created standalone (no `stages`): attaching them to the stage would make every
    // function depend on the deployment that depends on the functions. Usage plans associate them.
    // A function's own stack may depend on the keys (for the key map) while the methods here depend
    // on the functions: the keys depend on nothing.
    const apiKeys: Record<string, { key: apigw.ApiKey; principal: string }> = {};
    const usagePlans: Record<string, apigw.UsagePlan> = {};
    for (const client of props.clients) {
      const limits = client.usage ?? DEFAULT_USAGE_LIMITS;
      const plan = new apigw.UsagePlan(this, `${pascal(client.id)}UsagePlan`, {
        description: `Throttle and quota of the API keys of ${client.id} (${client.principal})`,
        throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
        quota: { limit: limits.quotaPerDay, period: apigw.Period.DAY },
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
      });
      // Every generation in service is a key of its own, mapped to the same principal: during a
      // rotation the old and the new key both work.
      for (const generation of client.keyGenerations) {
        const name = keyName(client.id, generation);
        const key = new apigw.ApiKey(this, `${pascal(name)}ApiKey`, {
          description: `API key of ${client.id} (${client.principal}), generation ${generation}`,
          enabled: true,
        });
        plan.addApiKey(key);
        apiKeys[name] = { key, principal: client.principal };
      }
      usagePlans[client.id] = plan;
    }
    this.apiKeys = apiKeys;
    this.usagePlans = usagePlans;

    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const methods = new Map<string, apigw.Method>();
    for (const fn of routed) {
      const trigger = fn.definition.trigger as HttpTrigger;
      const scope = routeScope(props.contextOf(fn.definition.name), trigger);
      // The integration creates the function's invoke permission in the method's scope, so in this
      // stack, next to the method and stage it names: a function in another (nested) stack is only
      // referred to by its ARN, and that stack needs nothing from this one but the key map.
      const method = this.api.root
        .resourceForPath(trigger.path)
        .addMethod(
          trigger.method,
          new apigw.LambdaIntegration(fn.function, { proxy: true, allowTestInvoke: false }),
          {
            operationName: fn.definition.name,
            apiKeyRequired: fn.definition.apiKeys === true,
            ...(scope === undefined
              ? {}
              : {
                  authorizer: this.authorizer,
                  authorizationType: apigw.AuthorizationType.CUSTOM,
                }),
            requestValidator: validator,
            requestModels: requestModels(this.api, fn.definition.name, trigger),
            requestParameters: {
              ...requestParameters(trigger.path, requiredHeaders(trigger)),
              ...queryStringParameters(trigger),
            },
          },
        );
      if (scope === undefined) acknowledgePublic(method);
      methods.set(routeKey(trigger), method);
    }

    const health = this.api.root.resourceForPath(props.healthRoute.path).addMethod(
      props.healthRoute.method,
      new apigw.MockIntegration({
        requestTemplates: { 'application/json': '{"statusCode": 200}' },
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        integrationResponses: [
          { statusCode: '200', responseTemplates: { 'application/json': '{"status":"ok"}' } },
        ],
      }),
      {
        operationName: 'CheckHealth',
        apiKeyRequired: false,
        methodResponses: [{ statusCode: '200' }],
      },
    );
    acknowledgePublic(health);
    methods.set(routeKey(props.healthRoute), health);

    const routeAlarms = new Map<string, RouteAlarms>();
    for (const [key, method] of methods) {
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/ApiGateway',
          metricName,
          dimensionsMap: {
            ApiName: props.apiName,
            Stage: this.api.deploymentStage.stageName,
            Method: method.httpMethod,
            Resource: method.resource.path,
          },
          period: ALARM_PERIOD,
          statistic,
        });
      routeAlarms.set(key, {
        serverErrors: metric('5XXError', cloudwatch.Stats.SUM).createAlarm(method, 'ServerErrorsAlarm', {
          alarmDescription: `${key}: ${ROUTE_5XX_THRESHOLD} or more 5xx responses in 5 minutes. Access log: its 5xx lines. Runbook: docs/operations.md.`,
          threshold: ROUTE_5XX_THRESHOLD,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        latency: metric('Latency', cloudwatch.Stats.p(99)).createAlarm(method, 'LatencyAlarm', {
          alarmDescription: `${key}: p99 latency over ${ROUTE_P99_LATENCY_MS} ms for 15 minutes. Runbook: docs/operations.md.`,
          threshold: ROUTE_P99_LATENCY_MS,
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      });
    }
    this.routeAlarms = routeAlarms;

    // RestApi adds an `Endpoint` output with a hashed logical id; the stack outputs a plainly named
    // `ApiUrl` instead, so there is one URL output, not two.
    this.api.node.tryRemoveChild('Endpoint');
  }
}

type HttpTrigger = Extract<Trigger, { kind: 'http' }>;

/** `POST /orders`: a route's key in {@link CommerceApi.routeAlarms}. */
export const routeKey = (route: Route): string => `${route.method} ${route.path}`;

/** A public route (no scope) has no authorizer by design: says so to cdk-nag on that method only. */
function acknowledgePublic(method: apigw.Method): void {
  const reason = `${method.httpMethod} ${method.resource.path} is public by design (liveness, the API document): it reveals nothing and changes nothing; every other route requires a Cognito access token with its scope.`;
  Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
}

/** `method.request.*` parameters: every `{pathParam}` of the route and the named headers, all required. */
function requestParameters(path: string, headers: readonly string[]): Record<string, boolean> {
  const parameters: Record<string, boolean> = {};
  for (const match of path.matchAll(/\{([^}]+)\}/g)) {
    parameters[`method.request.path.${match[1]}`] = true;
  }
  for (const header of headers) {
    parameters[`method.request.header.${header}`] = true;
  }
  return parameters;
}

/** A key's name: the client id, with the generation after the first (`web`, `web-g2`). */
export const keyName = (clientId: string, generation: number): string =>
  generation === 1 ? clientId : `${clientId}-g${generation}`;

/** `location-lon-g2` → `LocationLonG2`: construct ids and output names. */
export function pascal(value: string): string {
  return value
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
