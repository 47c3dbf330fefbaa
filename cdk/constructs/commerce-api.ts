import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Trigger } from '../../shared/platform/definitions';
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
 * One JSON line per request. Beyond the standard fields it records the API key id (which channel
 * called), latencies and API Gateway's own error message, the fields an operator filters on.
 */
const ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
  JSON.stringify({
    requestId: apigw.AccessLogField.contextRequestId(),
    requestTime: apigw.AccessLogField.contextRequestTime(),
    ip: apigw.AccessLogField.contextIdentitySourceIp(),
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

/** Properties of a {@link CommerceApi}. */
export interface CommerceApiProps {
  /** All functions; those with an `http` trigger become routes. */
  readonly functions: readonly CommerceFunction[];
  /** Who may call the API: the deployment's configuration (`commerce:apiClients`). */
  readonly clients: readonly ApiClient[];
  /** Throttle of the whole stage, above the per-key plans. @default 500 rps, burst 1000 */
  readonly stageThrottle?: { readonly rateLimit: number; readonly burstLimit: number };
}

/**
 * The REST API every channel calls: one Lambda proxy route per `http` function, an API key and a
 * usage plan per channel (and one for operations), request validation, access logs, tracing and
 * throttling on the stage, and gateway errors in the API's own error format.
 *
 * The channel of a request comes from its API key: functions with `apiKeys: true` receive
 * `API_KEY_CHANNELS`, a JSON map from API key id to principal ({@link apiKeyChannelsJson}, which the
 * stack holding the functions passes on), and look up `requestContext.identity.apiKeyId` in it. A
 * method requires a gateway key exactly when its function has `apiKeys: true`: public routes need
 * none, and the routes a location's own systems call (`access: 'location'`) need none either,
 * because their handler checks the location's own key.
 */
export class CommerceApi extends Construct {
  /** The REST API. */
  public readonly api: apigw.RestApi;
  /** One API key per client and key generation, by {@link keyName} (`web`, `web-g2`, `location-lon`). */
  public readonly apiKeys: Readonly<Record<string, { key: apigw.ApiKey; principal: string }>>;
  /** One usage plan per client, by client id. */
  public readonly usagePlans: Readonly<Record<string, apigw.UsagePlan>>;
  /** JSON object `{"<apiKeyId>":"<principal>"}`, resolved at deploy time. */
  public readonly apiKeyChannelsJson: string;
  /** The stage's access log group. */
  public readonly accessLog: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CommerceApiProps) {
    super(scope, id);
    const routed = props.functions.filter((fn) => fn.definition.trigger.kind === 'http');

    this.accessLog = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stageThrottle = props.stageThrottle ?? { rateLimit: 500, burstLimit: 1000 };

    this.api = new apigw.RestApi(this, 'Api', {
      description: 'connected-commerce: one inventory pool and one order intake for every channel',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // Execution and access logging need the account-level API Gateway CloudWatch role. Kept on stack
      // deletion because it is shared by every REST API in the account and region.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
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
      },
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
    this.apiKeyChannelsJson = Stack.of(this).toJsonString(
      Object.fromEntries(Object.values(apiKeys).map(({ key, principal }) => [key.keyId, principal])),
    );

    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    for (const fn of routed) {
      const { trigger } = fn.definition;
      if (trigger.kind !== 'http') {
        continue;
      }
      // The integration creates the function's invoke permission in the method's scope, so in this
      // stack, next to the method and stage it names: a function in another (nested) stack is only
      // referred to by its ARN, and that stack needs nothing from this one but the key map.
      this.api.root
        .resourceForPath(trigger.path)
        .addMethod(
          trigger.method,
          new apigw.LambdaIntegration(fn.function, { proxy: true, allowTestInvoke: false }),
          {
            operationName: fn.definition.name,
            apiKeyRequired: fn.definition.apiKeys === true,
            requestValidator: validator,
            requestModels: requestModels(this.api, fn.definition.name, trigger),
            requestParameters: {
              ...requestParameters(trigger.path, requiredHeaders(trigger)),
              ...queryStringParameters(trigger),
            },
          },
        );
    }

    // RestApi adds an `Endpoint` output with a hashed logical id; the stack outputs a plainly named
    // `ApiUrl` instead, so there is one URL output, not two.
    this.api.node.tryRemoveChild('Endpoint');

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'WAF is out of scope for this project: callers are known channels with API keys, throttled per key by usage plans and per stage; attach a WAFv2 web ACL per deployment if the API is exposed beyond them.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          "Channels authenticate with one API key each, and the channel of a request is derived from its key id (never from the body); a location's work routes are authorised by their handler against that location's own key; GET /health and GET /openapi.json are public by design.",
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are systems (storefronts, POS, marketplaces, call centre), not end users: per-channel API keys by design, no Cognito user pool.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level API Gateway logging role needs exactly this AWS-managed policy; API Gateway documents it as the role to use.',
      },
    );
  }
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
