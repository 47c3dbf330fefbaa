import { Match } from 'aws-cdk-lib/assertions';
import { API_CLIENTS_CONTEXT } from '../../cdk/config';
import { HEALTH_CHECK } from '../../cdk/stacks/context-groups';
import { CHANNELS, functions, type Principal } from '../../shared/platform/definitions';
import { deployedFunctions, environmentOf, idOf, resourcesOf, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();
const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method'));
const routes = functions.flatMap((definition) =>
  definition.trigger.kind === 'http' ? [{ definition, trigger: definition.trigger }] : [],
);
/** The routes a function answers: every route but the health check, which API Gateway answers. */
const httpFunctions = routes.filter(({ definition }) => definition.name !== HEALTH_CHECK);

function methodOf(name: string) {
  const method = methods.find((m) => m.Properties.OperationName === name);
  if (method === undefined) {
    throw new Error(`no method for ${name}`);
  }
  return method.Properties;
}

describe('REST API', () => {
  it('has one method per route, proxying to its function', () => {
    expect(methods).toHaveLength(routes.length);
    for (const { definition, trigger } of httpFunctions) {
      const fn = stacks.api.functions.get(definition.name)!;
      expect(methodOf(definition.name)).toMatchObject({
        HttpMethod: trigger.method,
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(JSON.stringify(methodOf(definition.name).Integration)).toContain(idOf(fn.function));
    }
  });

  it('lets API Gateway invoke each http function from its own method on the stage, the authorizer from its authorizer, and nothing else', () => {
    const permissions = Object.values(resourcesOf(api, 'AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );

    // One per route, and one for the authorizer, allowed from the API's authorizers only.
    expect(permissions).toHaveLength(httpFunctions.length + 1);
    const authorizerArn = JSON.stringify({
      'Fn::GetAtt': [idOf(stacks.api.functions.get('Authorize')!.function), 'Arn'],
    });
    const authorizer = permissions.filter((p) => JSON.stringify(p.Properties.FunctionName) === authorizerArn);
    expect(authorizer).toHaveLength(1);
    expect(JSON.stringify(authorizer[0]?.Properties.SourceArn)).toContain('/authorizers/');
    for (const { definition, trigger } of httpFunctions) {
      const arn = { 'Fn::GetAtt': [idOf(stacks.api.functions.get(definition.name)!.function), 'Arn'] };
      const own = permissions.filter(
        (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(arn),
      );
      expect({ name: definition.name, permissions: own.length }).toEqual({
        name: definition.name,
        permissions: 1,
      });
      expect(own[0]?.Properties).toMatchObject({ Action: 'lambda:InvokeFunction' });
      const source = JSON.stringify(own[0]?.Properties.SourceArn);
      expect(source).toContain(`{"Ref":"${idOf(stacks.api.api.api)}"}`);
      expect(source).toContain(`{"Ref":"${idOf(stacks.api.api.api.deploymentStage)}"}`);
      expect(source).toContain(`"/${trigger.method}${trigger.path.replace(/\{[^}]+\}/g, '*')}"`);
    }
  });

  it.each(httpFunctions)(
    'requires an API key on $trigger.method $trigger.path exactly when $definition.name uses the key map',
    ({ definition }) => {
      expect(methodOf(definition.name).ApiKeyRequired).toBe(definition.apiKeys === true);
    },
  );

  it('answers the health check itself, 200 {"status":"ok"}, with no function, key or token', () => {
    expect(methodOf(HEALTH_CHECK)).toMatchObject({
      ApiKeyRequired: false,
      AuthorizationType: 'NONE',
      Integration: {
        Type: 'MOCK',
        RequestTemplates: { 'application/json': '{"statusCode": 200}' },
        IntegrationResponses: [
          { StatusCode: '200', ResponseTemplates: { 'application/json': '{"status":"ok"}' } },
        ],
      },
    });
    expect(stacks.api.functions.has(HEALTH_CHECK)).toBe(false);
    expect(functions.some((f) => f.name === HEALTH_CHECK)).toBe(true);
  });

  it("requires no gateway key on a location's routes: a location's run-time OAuth client has no usage plan", () => {
    const locationRoutes = httpFunctions.filter(({ trigger }) => trigger.access === 'location');

    expect(locationRoutes.length).toBeGreaterThan(0);
    for (const { definition } of locationRoutes) {
      expect(methodOf(definition.name).ApiKeyRequired).toBe(false);
      expect(
        environmentOf(api, stacks.api.functions.get(definition.name)!.function).AUTH_CLIENTS,
      ).toBeUndefined();
    }
  });

  it.each(httpFunctions)(
    'validates the path parameters of $trigger.method $trigger.path',
    ({ definition, trigger }) => {
      const names = [...trigger.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const parameters = (methodOf(definition.name).RequestParameters ?? {}) as Record<string, boolean>;

      for (const name of names) {
        expect(parameters[`method.request.path.${name}`]).toBe(true);
      }
      expect(methodOf(definition.name).RequestValidatorId).toEqual({
        Ref: expect.stringMatching(/RequestValidator/),
      });
    },
  );

  it('rejects an order without an Idempotency-Key header before it reaches the function', () => {
    expect(methodOf('PlaceOrder').RequestParameters).toEqual({
      'method.request.header.Idempotency-Key': true,
    });
    api.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('logs access, traces and throttles on the stage, with detailed metrics per method', () => {
    api.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        // Who called: the verified OAuth client and its principal, and the usage-plan key.
        Format: Match.stringLikeRegexp(
          '"clientId":"\\$context.authorizer.clientId","principal":"\\$context.authorizer.principal","apiKeyId"',
        ),
      },
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: Match.anyValue(),
          ThrottlingBurstLimit: Match.anyValue(),
        }),
      ]),
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
  // The deployment's configuration (cdk.json) names the clients: one per channel and ops.
  const principals: Principal[] = [...CHANNELS, 'ops'];

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

  it('gives no function the key ids: a key selects a usage plan, the token names the caller', () => {
    for (const definition of deployedFunctions) {
      const variables = environmentOf(api, stacks.api.functions.get(definition.name)!.function);
      expect(Object.keys(variables).filter((v) => v.includes('API_KEY'))).toEqual([]);
    }
  });

  it('outputs the API URL and each key id', () => {
    api.hasOutput('ApiUrl', {});
    for (const principal of principals) {
      api.hasOutput(`ApiKeyId${principal.charAt(0).toUpperCase()}${principal.slice(1)}`, {});
    }
  });
});

describe('API clients from the deployment configuration', () => {
  const withClients = (clients: unknown) => {
    const app = synthesizeCommerce({ [API_CLIENTS_CONTEXT]: clients });
    return { template: app.api, keys: app.stacks.api.api.apiKeys };
  };

  it('gives each configured client its key, its usage plan and its principal, locations included', () => {
    const { template, keys } = withClients([
      { id: 'web', principal: 'web' },
      { id: 'ops', principal: 'ops', usage: { rateLimit: 5, burstLimit: 10, quotaPerDay: 1000 } },
      { id: 'store-lon', principal: 'location:STORE-LON' },
    ]);

    template.resourceCountIs('AWS::ApiGateway::ApiKey', 3);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 3);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
    expect(Object.fromEntries(Object.entries(keys).map(([name, k]) => [name, k.principal]))).toEqual({
      web: 'web',
      ops: 'ops',
      'store-lon': 'location:STORE-LON',
    });
    template.hasOutput('ApiKeyIdStoreLon', {});
  });

  it('keeps the old and the new key of a client working during a rotation', () => {
    const { template, keys } = withClients([{ id: 'web', principal: 'web', keyGenerations: [1, 2] }]);

    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    expect(keys.web?.principal).toBe('web');
    expect(keys['web-g2']?.principal).toBe('web');
    template.hasOutput('ApiKeyIdWebG2', {});
    // Retiring generation 1 keeps generation 2's key: the same construct, the same key value.
    const retired = withClients([{ id: 'web', principal: 'web', keyGenerations: [2] }]);
    expect(Object.keys(retired.keys)).toEqual(['web-g2']);
    expect(idOf(retired.keys['web-g2']!.key)).toBe(idOf(keys['web-g2']!.key));
  });

  it('refuses to synthesize without clients, or with a principal that is not one', () => {
    expect(() => synthesizeCommerce({ [API_CLIENTS_CONTEXT]: undefined })).toThrow(
      /commerce:apiClients is required/,
    );
    expect(() => withClients([{ id: 'x', principal: 'admin' }])).toThrow(/commerce:apiClients is not valid/);
    expect(() =>
      withClients([
        { id: 'web', principal: 'web' },
        { id: 'web', principal: 'app' },
      ]),
    ).toThrow(/unique/);
  });
});
