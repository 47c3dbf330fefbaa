import { Match } from 'aws-cdk-lib/assertions';
import { CHANNELS, functions, type Principal } from '../../shared/platform/definitions';
import { environmentOf, logicalIdOf, resourcesOf, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();
const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method'));
const httpFunctions = functions.flatMap((definition) =>
  definition.trigger.kind === 'http' ? [{ definition, trigger: definition.trigger }] : [],
);

function methodOf(name: string) {
  const method = methods.find((m) => m.Properties.OperationName === name);
  if (method === undefined) {
    throw new Error(`no method for ${name}`);
  }
  return method.Properties;
}

describe('REST API', () => {
  it('has one method per http function, proxying to that function', () => {
    expect(methods).toHaveLength(httpFunctions.length);
    for (const { definition, trigger } of httpFunctions) {
      const fn = stacks.api.functions.get(definition.name)!;
      expect(methodOf(definition.name)).toMatchObject({
        HttpMethod: trigger.method,
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(JSON.stringify(methodOf(definition.name).Integration)).toContain(logicalIdOf(fn.function));
    }
  });

  it.each(httpFunctions)(
    'requires an API key on $trigger.method $trigger.path exactly when $definition.name uses the key map',
    ({ definition }) => {
      expect(methodOf(definition.name).ApiKeyRequired).toBe(definition.apiKeys === true);
    },
  );

  it('keeps the health check public', () => {
    expect(methodOf('CheckHealth').ApiKeyRequired).toBe(false);
  });

  it.each(httpFunctions)('validates the path parameters of $trigger.path', ({ definition, trigger }) => {
    const names = [...trigger.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const parameters = (methodOf(definition.name).RequestParameters ?? {}) as Record<string, boolean>;

    for (const name of names) {
      expect(parameters[`method.request.path.${name}`]).toBe(true);
    }
    expect(methodOf(definition.name).RequestValidatorId).toEqual({
      Ref: expect.stringMatching(/RequestValidator/),
    });
  });

  it('rejects an order without an Idempotency-Key header before it reaches the function', () => {
    expect(methodOf('PlaceOrder').RequestParameters).toEqual({
      'method.request.header.Idempotency-Key': true,
    });
    api.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('logs access, traces and throttles on the stage', () => {
    api.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('apiKeyId') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ],
    });
  });

  it.each([
    ['INVALID_API_KEY', 'INVALID_API_KEY'],
    ['MISSING_AUTHENTICATION_TOKEN', 'NOT_FOUND'],
    ['THROTTLED', 'THROTTLED'],
    ['QUOTA_EXCEEDED', 'QUOTA_EXCEEDED'],
    ['BAD_REQUEST_BODY', 'VALIDATION_FAILED'],
    ['BAD_REQUEST_PARAMETERS', 'VALIDATION_FAILED'],
    ['DEFAULT_4XX', 'CLIENT_ERROR'],
    ['DEFAULT_5XX', 'INTERNAL'],
  ])('renders the %s gateway response in the API error format', (responseType, code) => {
    api.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: responseType,
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp(`^\\{"error":\\{"code":"${code}","message":.+\\}\\}$`),
      },
    });
  });
});

describe('API keys', () => {
  const principals: Principal[] = [...CHANNELS, 'ops'];

  /** Renders an `Fn::Join` of literals and `Ref`s as JSON, a `Ref` standing for the logical id it names. */
  function renderJoin(value: unknown): unknown {
    const [, parts] = (value as { 'Fn::Join': [string, Array<string | { Ref: string }>] })['Fn::Join'];
    return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : part.Ref)).join(''));
  }

  it('creates one API key and one usage plan with throttle and quota per channel and for ops', () => {
    api.resourceCountIs('AWS::ApiGateway::ApiKey', principals.length);
    api.resourceCountIs('AWS::ApiGateway::UsagePlan', principals.length);
    api.resourceCountIs('AWS::ApiGateway::UsagePlanKey', principals.length);
    for (const plan of Object.values(resourcesOf(api, 'AWS::ApiGateway::UsagePlan'))) {
      expect(plan.Properties).toMatchObject({
        Throttle: { RateLimit: expect.any(Number), BurstLimit: expect.any(Number) },
        Quota: { Limit: expect.any(Number), Period: 'DAY' },
        ApiStages: [expect.objectContaining({ ApiId: expect.anything(), Stage: expect.anything() })],
      });
    }
  });

  it('creates the keys detached from the stage, so functions can depend on them without a cycle', () => {
    for (const key of Object.values(resourcesOf(api, 'AWS::ApiGateway::ApiKey'))) {
      expect(key.Properties.StageKeys).toBeUndefined();
      expect(key.DependsOn).toBeUndefined();
    }
  });

  it('maps every key id to its principal in API_KEY_CHANNELS of each function that uses keys', () => {
    const expected = Object.fromEntries(
      principals.map((principal) => [logicalIdOf(stacks.api.api.apiKeys[principal]), principal]),
    );

    for (const definition of functions) {
      const fn = stacks.api.functions.get(definition.name)!;
      const variables = environmentOf(api, fn.function);
      if (definition.apiKeys === true) {
        expect(renderJoin(variables.API_KEY_CHANNELS)).toEqual(expected);
      } else {
        expect(variables.API_KEY_CHANNELS).toBeUndefined();
      }
    }
  });

  it('outputs the API URL and each key id', () => {
    api.hasOutput('ApiUrl', {});
    for (const principal of principals) {
      api.hasOutput(`ApiKeyId${principal.charAt(0).toUpperCase()}${principal.slice(1)}`, {});
    }
  });
});
