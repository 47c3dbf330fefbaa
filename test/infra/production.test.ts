import { App, Stack } from 'aws-cdk-lib';
import { addCommerceStages } from '../../cdk/commerce-app';
import { environmentsOf, marketplacesOf } from '../../cdk/config';
import { EXPENSIVE_ROUTES } from '../../cdk/constructs/commerce-api';
import { clientKind } from '../../cdk/constructs/commerce-auth';
import { scopedOperations } from '../../shared/platform/authorizer';
import { contexts, functions } from '../../shared/platform/definitions';
import { apiScopes, routeScope, scopeString, scopesFor } from '../../shared/platform/scopes';
import {
  cdkJsonContext,
  deployedFunctions,
  environmentOf,
  idOf,
  policyStatementsOf,
  resourcesOf,
  synthesizeCommerce,
} from './synthesize';

const { api, data, baseline, stacks, stage } = synthesizeCommerce();
const prod = synthesizeCommerce({}, undefined, 'prod');
const alarms = resourcesOf(api, 'AWS::CloudWatch::Alarm');
const routes = functions.flatMap((f) =>
  f.trigger.kind === 'http' ? [{ definition: f, trigger: f.trigger }] : [],
);
const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method')).map((m) => m.Properties);
const methodOf = (name: string) => methods.find((m) => m.OperationName === name)!;
const contextOf = (name: string) =>
  contexts.find((c) => c.functions.some((f) => f.name === name))?.name ?? 'platform';

type Statement = { Effect: string; Action: unknown; Condition?: Record<string, Record<string, unknown>> };

describe('environments', () => {
  const app = new App({ context: cdkJsonContext() });
  const stages = addCommerceStages(app);
  const environments = environmentsOf(app);

  it('builds one stage per environment of cdk.json, dev, staging and prod, each in its own account and Region', () => {
    expect(stages.map((s) => s.environment)).toEqual(['dev', 'staging', 'prod']);
    for (const built of stages) {
      const settings = environments[built.environment]!;
      expect({ account: built.account, region: built.region }).toEqual({
        account: settings.account,
        region: settings.region,
      });
      for (const stack of Object.values(built.stacks)) {
        expect({ stack: stack.stackName, account: stack.account, region: stack.region }).toEqual({
          stack: `${built.stageName}-${stack.node.id}`,
          account: settings.account,
          region: settings.region,
        });
      }
    }
    expect(new Set(stages.map((s) => s.account)).size).toBe(3);
  });

  it('keeps production data and reaches more people when prod alarms', () => {
    expect(environments.prod!.removalPolicy).toBe('retain');
    expect(environments.dev!.removalPolicy).toBe('destroy');
    expect(environments.prod!.ordersExpectedHourly).toBe(true);
    expect(environments.prod!.logRetentionDays).toBeGreaterThan(environments.dev!.logRetentionDays);
  });

  it('refuses an environment without a valid account or a marketplace account', () => {
    const broken = (change: (dev: Record<string, unknown>) => void) => {
      const context = cdkJsonContext();
      const all = structuredClone(context['commerce:environments']) as Record<
        string,
        Record<string, unknown>
      >;
      change(all.dev!);
      return () => environmentsOf(new App({ context: { ...context, 'commerce:environments': all } }));
    };
    expect(broken((dev) => (dev.account = '1234'))).toThrow(/dev.account: a 12-digit AWS account id/);
    expect(broken((dev) => (dev.marketplaceAccounts = {}))).toThrow(
      /dev.marketplaceAccounts has no account for demo/,
    );
    expect(broken((dev) => (dev.marketplaceExternalIds = {}))).toThrow(
      /dev.marketplaceExternalIds has no external ID for demo/,
    );
  });

  it('sets the account-wide API Gateway logging role in the baseline stack, not in the API stack', () => {
    baseline.resourceCountIs('AWS::ApiGateway::Account', 1);
    baseline.hasResource('AWS::ApiGateway::Account', {
      DeletionPolicy: 'Retain',
      Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [idOf(stacks.baseline.apiGatewayLogsRole), 'Arn'] } },
    });
    api.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(stacks.api.dependencies).toContain(stacks.baseline);
  });

  it('passes the environment settings to the API: throttles and the API name', () => {
    const [stageResource] = Object.values(resourcesOf(api, 'AWS::ApiGateway::Stage'));
    const settings = stageResource!.Properties.MethodSettings as Array<Record<string, unknown>>;
    expect(settings).toContainEqual(
      expect.objectContaining({
        ResourcePath: '/*',
        HttpMethod: '*',
        ThrottlingRateLimit: stage.settings.apiThrottle.rateLimit,
        ThrottlingBurstLimit: stage.settings.apiThrottle.burstLimit,
      }),
    );
    for (const route of EXPENSIVE_ROUTES) {
      expect(settings).toContainEqual(
        expect.objectContaining({
          // A method setting names its resource path with its slashes escaped as ~1, after a slash.
          ResourcePath: `/${route.path.replace(/\//g, '~1')}`,
          HttpMethod: route.method,
          ThrottlingRateLimit: stage.settings.expensiveRouteThrottle.rateLimit,
          ThrottlingBurstLimit: stage.settings.expensiveRouteThrottle.burstLimit,
        }),
      );
    }
    expect(Object.values(resourcesOf(api, 'AWS::ApiGateway::RestApi'))[0]?.Properties.Name).toBe(
      'connected-commerce-dev',
    );
  });
});

describe('edge protection', () => {
  const [acl] = Object.values(resourcesOf(api, 'AWS::WAFv2::WebACL'));
  type WafRule = {
    Name: string;
    Action?: unknown;
    OverrideAction?: unknown;
    Statement: { ManagedRuleGroupStatement?: unknown; RateBasedStatement?: unknown };
  };
  const rules = acl!.Properties.Rules as WafRule[];
  const rule = (name: string) => rules.find((r) => r.Name === name)!;

  it('puts a regional web ACL on the API stage', () => {
    expect(acl!.Properties.Scope).toBe('REGIONAL');
    const [association] = Object.values(resourcesOf(api, 'AWS::WAFv2::WebACLAssociation'));
    expect(association!.Properties.WebACLArn).toEqual({
      'Fn::GetAtt': [idOf(stacks.api.edge.webAcl), 'Arn'],
    });
    const stageArn = JSON.stringify(association!.Properties.ResourceArn);
    expect(stageArn).toContain(`/stages/",{"Ref":"${idOf(stacks.api.api.api.deploymentStage)}"}`);
    expect(stageArn).toContain(`{"Ref":"${idOf(stacks.api.api.api)}"}`);
  });

  it('applies the AWS common and known-bad-inputs rule sets', () => {
    for (const name of ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']) {
      expect(rule(name).Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: name });
      expect(rule(name).OverrideAction).toEqual({ None: {} });
    }
  });

  it('limits each client by its Authorization header, and requests without one by IP address', () => {
    expect(rule('RatePerClientToken')).toMatchObject({
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          Limit: stage.settings.wafRateLimit,
          AggregateKeyType: 'CUSTOM_KEYS',
          CustomKeys: [
            { Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } },
          ],
        },
      },
    });
    expect(rule('RatePerIpWithoutToken').Statement.RateBasedStatement).toMatchObject({
      Limit: stage.settings.wafRateLimit,
      AggregateKeyType: 'IP',
      ScopeDownStatement: {
        NotStatement: {
          Statement: {
            SizeConstraintStatement: { FieldToMatch: { SingleHeader: { Name: 'authorization' } } },
          },
        },
      },
    });
  });
});

describe('authentication', () => {
  const [pool] = Object.values(resourcesOf(data, 'AWS::Cognito::UserPool'));
  const clients = Object.values(resourcesOf(data, 'AWS::Cognito::UserPoolClient')).map((c) => c.Properties);
  const configured = stage.node.tryGetContext('commerce:apiClients') as Array<{
    id: string;
    principal: string;
  }>;
  const servers = resourcesOf(data, 'AWS::Cognito::UserPoolResourceServer');

  it('has a user pool without self sign-up, deletion-protected in prod only', () => {
    expect(pool!.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      DeletionProtection: 'INACTIVE',
      UserPoolTier: 'PLUS',
    });
    const [prodPool] = Object.values(resourcesOf(prod.data, 'AWS::Cognito::UserPool'));
    expect(prodPool!.Properties.DeletionProtection).toBe('ACTIVE');
    expect(prodPool!.DeletionPolicy).toBe('Retain');
  });

  it('declares one resource server per scope family of the API, with its scopes', () => {
    const servers = Object.values(resourcesOf(data, 'AWS::Cognito::UserPoolResourceServer')).map((s) => ({
      resourceServer: s.Properties.Identifier,
      scopes: (s.Properties.Scopes as Array<{ ScopeName: string; ScopeDescription: string }>).map((x) => ({
        name: x.ScopeName,
        description: x.ScopeDescription,
      })),
    }));
    expect(servers).toEqual(apiScopes(contexts));
  });

  it('gives each API client an app client with a secret, the client-credentials flow only, and the scopes of its kind', () => {
    expect(clients).toHaveLength(configured.length);
    for (const { id, principal } of configured) {
      const client = clients.find((c) => c.ClientName === id)!;
      expect(client).toMatchObject({
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
        AccessTokenValidity: 60,
        TokenValidityUnits: expect.objectContaining({ AccessToken: 'minutes' }),
      });
      // `{"Fn::Join":["",[{"Ref":<resource server>},"/read"]]}`: the server's identifier, then the scope.
      const scopes = (
        client.AllowedOAuthScopes as Array<{ 'Fn::Join': [string, [{ Ref: string }, string]] }>
      ).map(
        ({ 'Fn::Join': [, [server, name]] }) =>
          `${servers[server.Ref]!.Properties.Identifier as string}${name}`,
      );
      expect(scopes.sort()).toEqual(scopesFor(contexts, clientKind(principal)));
    }
    expect(clientKind('ops')).toBe('ops');
    expect(clientKind('web')).toBe('channel');
  });

  it.each(routes)(
    'requires the scope of $trigger.method $trigger.path from a verified token unless it is public',
    ({ definition, trigger }) => {
      const scope = routeScope(contextOf(definition.name), trigger);
      const method = methodOf(definition.name);
      if (scope === undefined) {
        expect(method.AuthorizationType).toBe('NONE');
      } else {
        expect(method).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: idOf(stacks.api.api.authorizer) },
        });
        // The scope is enforced by the authorizer's policy, built from the same definitions.
        expect(scopedOperations(contexts)).toContainEqual({
          method: trigger.method,
          path: trigger.path,
          scope: scopeString(scope),
        });
      }
    },
  );

  it('verifies tokens of the environment user pool with the Authorize function, cached per token', () => {
    api.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    const [authorizer] = Object.values(resourcesOf(api, 'AWS::ApiGateway::Authorizer'));
    const authorize = stacks.api.functions.get('Authorize');
    expect(authorize).toBeDefined();
    expect(JSON.stringify(authorizer!.Properties.AuthorizerUri)).toContain('Authorize');
    const variables = environmentOf(api, authorize!.function);
    expect(JSON.stringify(variables.AUTH_ISSUER)).toContain(idOf(stacks.data.auth.userPool));
  });

  it('tells the authorizer alone which app client is which principal: route functions get the principal', () => {
    const variables = environmentOf(api, stacks.api.functions.get('Authorize')!.function);
    const clientsJson = JSON.stringify(variables.AUTH_CLIENTS);
    for (const { id, principal } of configured) {
      expect(clientsJson).toContain(idOf(stacks.data.auth.clients.get(id)!.client));
      expect(clientsJson).toContain(`\\"${principal}\\"`);
    }
    for (const definition of deployedFunctions.filter((f) => f.trigger.kind !== 'authorizer')) {
      const own = environmentOf(api, stacks.api.functions.get(definition.name)!.function);
      const managesClients = (definition.oauthClients ?? []).length > 0;
      expect({
        name: definition.name,
        clients: own.AUTH_CLIENTS,
        pool: own.AUTH_USER_POOL_ID !== undefined,
      }).toEqual({ name: definition.name, clients: undefined, pool: managesClients });
    }
  });

  it("lets exactly the functions that declare it manage the pool's app clients, on that pool only", () => {
    const managers = deployedFunctions.filter((f) => (f.oauthClients ?? []).length > 0);
    expect(managers.map((f) => f.name).sort()).toEqual([
      'Authorize',
      'IssueLocationClient',
      'ListLocationClients',
      'RevokeLocationClient',
    ]);
    const cognitoStatements = (name: string) =>
      policyStatementsOf(api, stacks.api.functions.get(name)!.function).filter((s) =>
        [s.Action].flat().some((a) => String(a).startsWith('cognito-idp:')),
      );
    for (const definition of deployedFunctions) {
      const statements = cognitoStatements(definition.name);
      const actions = statements.flatMap((s) => [s.Action].flat()).sort();
      expect({ name: definition.name, actions }).toEqual({
        name: definition.name,
        actions: (definition.oauthClients ?? []).map((a) => `cognito-idp:${a}`).sort(),
      });
      for (const statement of statements) {
        expect(JSON.stringify(statement.Resource)).toContain(':userpool/');
      }
    }
    const issuer = environmentOf(api, stacks.api.functions.get('IssueLocationClient')!.function);
    expect(issuer.AUTH_TOKEN_URL).toBeDefined();
  });

  it('outputs the token endpoint and the user pool id', () => {
    const outputs = data.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.TokenEndpoint?.Value)).toMatch(
      new RegExp(
        `"https://",\\{"Ref":"${idOf(stacks.data.auth.domain)}"\\},"\\.auth\\.${stage.settings.region}\\.amazoncognito\\.com/oauth2/token"`,
      ),
    );
    data.hasOutput('UserPoolId', { Value: { Ref: idOf(stacks.data.auth.userPool) } });
  });
});

describe('a closed bus', () => {
  const busPolicies = [
    ...Object.values(resourcesOf(data, 'AWS::Events::EventBusPolicy')),
    ...Object.values(resourcesOf(api, 'AWS::Events::EventBusPolicy')),
  ].map((p) => p.Properties.Statement as Statement);

  it('denies commerce.* events to every principal but the roles of the functions that put events', () => {
    const deny = busPolicies.find((s) => JSON.stringify(s.Condition).includes('commerce.*'))!;
    const publishers = deployedFunctions.filter((f) => f.putsEvents);

    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'events:PutEvents', Principal: { AWS: '*' } });
    expect(deny.Condition!.StringLike).toEqual({ 'events:source': 'commerce.*' });
    const allowed = deny.Condition!.ArnNotEquals!['aws:PrincipalArn'] as unknown[];
    expect(allowed).toHaveLength(publishers.length);
    for (const definition of publishers) {
      expect(allowed).toContainEqual({
        'Fn::GetAtt': [idOf(stacks.api.functions.get(definition.name)!.function.role!), 'Arn'],
      });
    }
    expect(publishers.map((f) => f.name)).toContain('PublishEvents');
  });

  it("denies every marketplace source to every principal but the listed marketplaces' roles", () => {
    const deny = busPolicies.find((s) => JSON.stringify(s.Condition).includes('"marketplace.*"'))!;
    const roles = marketplacesOf(stage).map((name) => stacks.data.marketplaceAccess.roles.get(name)!);

    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'events:PutEvents', Principal: { AWS: '*' } });
    expect(deny.Condition!.StringLike).toEqual({ 'events:source': 'marketplace.*' });
    expect(roles.length).toBeGreaterThan(0);
    expect(deny.Condition!.ArnNotEquals!['aws:PrincipalArn']).toEqual(
      roles.map((role) => ({ 'Fn::GetAtt': [idOf(role), 'Arn'] })),
    );
  });

  it.each(marketplacesOf(stage))(
    'lets marketplace %s alone put its events, through a role its account assumes with its external ID',
    (name) => {
      const role = stacks.data.marketplaceAccess.roles.get(name)!;
      const roleResource = resourcesOf(data, 'AWS::IAM::Role')[idOf(role)]!;
      const trust = roleResource.Properties.AssumeRolePolicyDocument as { Statement: unknown[] };
      expect(JSON.stringify(trust)).toContain(`:iam::${stage.settings.marketplaceAccounts[name]}:root`);
      expect(trust.Statement).toEqual([
        expect.objectContaining({
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'sts:ExternalId': stage.settings.marketplaceExternalIds[name] } },
        }),
      ]);
      const policy = Object.values(resourcesOf(data, 'AWS::IAM::Policy')).find((p) =>
        (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === idOf(role)),
      )!;
      expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: { 'Fn::GetAtt': [idOf(stacks.data.bus), 'Arn'] },
          Condition: { StringEquals: { 'events:source': `marketplace.${name}` } },
        },
      ]);
      const deny = busPolicies.find((s) => JSON.stringify(s.Condition).includes(`"marketplace.${name}"`))!;
      expect(deny).toMatchObject({
        Effect: 'Deny',
        Action: 'events:PutEvents',
        Condition: {
          StringEquals: { 'events:source': `marketplace.${name}` },
          ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [idOf(role), 'Arn'] } },
        },
      });
    },
  );
});

describe('alarms that reach someone', () => {
  const topic = stacks.data.alarms.topic;
  const notifies = (actions: unknown) => JSON.stringify(actions).includes(idOf(topic));

  it('sends every alarm, composite ones included, to the topic when it fires and when it clears', () => {
    let count = 0;
    for (const template of [data, api]) {
      for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
        for (const [id, { Properties: properties }] of Object.entries(resourcesOf(template, type))) {
          count += 1;
          expect({
            id,
            alarm: notifies(properties.AlarmActions),
            ok: notifies(properties.OKActions),
          }).toEqual({
            id,
            alarm: true,
            ok: true,
          });
        }
      }
    }
    expect(count).toBeGreaterThan(deployedFunctions.length * 2);
  });

  it.each(routes)('watches the 5xx and p99 latency of $trigger.method $trigger.path', ({ trigger }) => {
    const own = Object.values(alarms).filter((a) => {
      const dimensions = a.Properties.Dimensions as Array<{ Name: string; Value: unknown }> | undefined;
      const value = (name: string) => dimensions?.find((d) => d.Name === name)?.Value;
      return (
        value('Method') === trigger.method &&
        value('Resource') === trigger.path &&
        value('ApiName') === 'connected-commerce-dev'
      );
    });
    expect(
      own
        .map((a) => [a.Properties.MetricName, a.Properties.Statistic ?? a.Properties.ExtendedStatistic])
        .sort(),
    ).toEqual([
      ['5XXError', 'Sum'],
      ['Latency', 'p99'],
    ]);
  });

  it('alarms on failed and lost deliveries of every rule', () => {
    const rules = [...stacks.api.rules.values(), ...stacks.api.schedules.values()];
    for (const metricName of ['FailedInvocations', 'InvocationsFailedToBeSentToDlq']) {
      const watched = Object.values(alarms).filter((a) => a.Properties.MetricName === metricName);
      expect(watched).toHaveLength(rules.length);
    }
  });

  it('alarms when the publisher falls behind on the streams', () => {
    const publisher = stacks.api.functions.get('PublishEvents')!;
    const [alarm] = Object.values(alarms).filter(
      (a) =>
        a.Properties.MetricName === 'IteratorAge' &&
        JSON.stringify(a.Properties.Dimensions).includes(idOf(publisher.function)),
    );
    expect(alarm?.Properties).toMatchObject({ Statistic: 'Maximum', Threshold: 5 * 60 * 1000 });
  });

  it('combines the order intake signals into "orders are not flowing"', () => {
    const [composite] = Object.values(resourcesOf(api, 'AWS::CloudWatch::CompositeAlarm'));
    const rule = JSON.stringify(composite!.Properties.AlarmRule);
    const intake = stacks.api.api.routeAlarms.get('POST /orders')!.serverErrors;
    const placeOrder = stacks.api.functions.get('PlaceOrder')!.errorsAlarm;
    const stream = [...stacks.api.contexts.values()].flatMap((c) => [
      ...c.streams.iteratorAgeAlarms.values(),
    ]);

    expect(composite!.Properties.AlarmName).toBe(`${Stack.of(stacks.api).stackName}-orders-are-not-flowing`);
    for (const member of [intake, placeOrder, stacks.api.operations.noOrdersAlarm, ...stream]) {
      expect(rule).toContain(idOf(member));
    }
    expect(rule.match(/ALARM\(/g)).toHaveLength(4);
    expect(rule).toContain(' OR ');
  });

  it('treats an hour without OrdersPlaced as breaching only where orders are expected every hour', () => {
    const business = (template: typeof api) =>
      Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).find((a) =>
        JSON.stringify(a.Properties).includes('"MetricName":"OrdersPlaced"'),
      )!.Properties;
    expect(business(api)).toMatchObject({
      Metrics: [
        {
          MetricStat: {
            Metric: {
              Namespace: 'ConnectedCommerce',
              MetricName: 'OrdersPlaced',
              Dimensions: [{ Name: 'service', Value: 'connected-commerce' }],
            },
            Period: 3600,
            Stat: 'Sum',
          },
        },
      ],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(business(prod.api).TreatMissingData).toBe('breaching');
  });

  it('answers "are orders flowing per channel, is stock short, are events stuck" on the dashboard', () => {
    const [dashboard] = Object.values(resourcesOf(api, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const expected of [
      'OrdersPlaced',
      'InsufficientStockRefusals',
      'channel',
      'IteratorAge',
      'FailedInvocations',
      'ApproximateNumberOfMessagesVisible',
      'connected-commerce-dev',
    ]) {
      expect(body).toContain(expected);
    }
  });
});
