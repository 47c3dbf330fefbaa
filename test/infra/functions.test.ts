import { Match } from 'aws-cdk-lib/assertions';
import { ENV, tables } from '../../shared/platform/definitions';
import {
  environmentOf,
  deployedFunctions as functions,
  idOf,
  resourcesOf,
  synthesizeCommerce,
} from './synthesize';

const { api, stacks, stage } = synthesizeCommerce();
const lambdas = resourcesOf(api, 'AWS::Lambda::Function');
const policies = resourcesOf(api, 'AWS::IAM::Policy');

function lambdaOf(name: string) {
  const fn = stacks.api.functions.get(name);
  if (fn === undefined) {
    throw new Error(`no function ${name}`);
  }
  return { fn, resource: lambdas[idOf(fn.function)] };
}

/** Every statement of the default policy of a function's role. */
function statementsOf(name: string): Array<{ Action: string | string[]; Resource: unknown }> {
  const { fn } = lambdaOf(name);
  const role = idOf(fn.function.role!);
  const policy = Object.values(policies).find((p) =>
    (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role),
  );
  if (policy === undefined) {
    throw new Error(`no policy on the role of ${name}`);
  }
  return (
    policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }
  ).Statement;
}

const actionsOf = (name: string): string[] =>
  statementsOf(name).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('functions', () => {
  it('builds exactly one Lambda function per definition', () => {
    expect(Object.keys(lambdas)).toHaveLength(functions.length);
  });

  it.each(functions)('runs $name on Node.js 22, ARM64, with active tracing and source maps', ({ name }) => {
    const { resource } = lambdaOf(name);

    expect(resource?.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: expect.objectContaining({
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'connected-commerce',
        }),
      },
    });
  });

  it.each(functions)(
    'logs $name to its own log group, encrypted, masking contact details, kept as long as the environment says',
    ({ name }) => {
      const { fn, resource } = lambdaOf(name);

      const logGroup = resourcesOf(api, 'AWS::Logs::LogGroup')[idOf(fn.logGroup)];

      expect(resource?.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: idOf(fn.logGroup) } });
      expect(logGroup?.Properties.RetentionInDays).toBe(stage.settings.logRetentionDays);
      expect(JSON.stringify(logGroup?.Properties.KmsKeyId)).toContain(`${idOf(stacks.data.key)}Arn`);
      const policy = JSON.stringify(logGroup?.Properties.DataProtectionPolicy);
      for (const identifier of [
        'EmailAddress',
        ...['GB', 'US', 'DE', 'FR', 'ES', 'IT'].map((c) => `PhoneNumber-${c}`),
      ]) {
        expect(policy).toContain(`arn:aws:dataprotection::aws:data-identifier/${identifier}`);
      }
      expect(policy).toContain('"MaskConfig"');
    },
  );

  it.each(functions)('reserves concurrency for $name exactly when its definition says so', (definition) => {
    expect(lambdaOf(definition.name).resource?.Properties.ReservedConcurrentExecutions).toBe(
      definition.reservedConcurrency,
    );
  });

  it('runs the hold sweeper one at a time, each run ending before the next is due', () => {
    const sweeper = functions.find((f) => f.name === 'ExpireHolds')!;
    const { resource } = lambdaOf(sweeper.name);
    if (sweeper.trigger.kind !== 'schedule') throw new Error('ExpireHolds is scheduled');

    expect(resource?.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(resource?.Properties.Timeout as number).toBeLessThan(sweeper.trigger.everySeconds);
  });

  it.each(functions)('alarms on the errors and throttles of $name', ({ name }) => {
    const fn = lambdaOf(name).fn;
    const alarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).filter(
      (a) =>
        JSON.stringify(a.Properties.Dimensions) ===
        JSON.stringify([{ Name: 'FunctionName', Value: { Ref: idOf(fn.function) } }]),
    );

    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(
      expect.arrayContaining(['Errors', 'Throttles']),
    );
  });

  it('gives no function the AWSLambdaBasicExecutionRole managed policy', () => {
    api.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
    });
    for (const role of Object.values(resourcesOf(api, 'AWS::IAM::Role'))) {
      expect(JSON.stringify(role.Properties.ManagedPolicyArns ?? [])).not.toContain(
        'AWSLambdaBasicExecutionRole',
      );
    }
  });

  it.each(functions)(
    'tells $name the names of exactly the tables it reads, writes or subscribes to',
    (definition) => {
      const variables = environmentOf(api, lambdaOf(definition.name).fn.function);
      const subscribed = definition.trigger.kind === 'stream' ? definition.trigger.tables : [];
      const touched = new Set([...definition.reads, ...definition.writes, ...subscribed]);

      for (const table of Object.values(tables)) {
        if (touched.has(table.key)) {
          expect(variables[table.envVar]).toBeDefined();
        } else {
          expect(variables[table.envVar]).toBeUndefined();
        }
      }
    },
  );

  it.each(functions)('lets $name put events on the bus only if its definition says so', (definition) => {
    const variables = environmentOf(api, lambdaOf(definition.name).fn.function);

    expect(ENV.eventBusName in variables).toBe(definition.putsEvents);
    expect(actionsOf(definition.name).includes('events:PutEvents')).toBe(definition.putsEvents);
  });

  it('grants writes only to functions whose definition writes', () => {
    for (const definition of functions) {
      expect(actionsOf(definition.name).includes('dynamodb:PutItem')).toBe(definition.writes.length > 0);
    }
  });

  it('scopes table grants to the table and its named indexes, never to an index wildcard', () => {
    const placeOrder = statementsOf('PlaceOrder').filter((s) =>
      (Array.isArray(s.Action) ? s.Action : [s.Action]).includes('dynamodb:GetItem'),
    );

    const placeOrderDefinition = functions.find((f) => f.name === 'PlaceOrder')!;
    expect(placeOrder).toHaveLength(
      new Set([...placeOrderDefinition.reads, ...placeOrderDefinition.writes]).size,
    );
    const rendered = JSON.stringify(placeOrder);
    expect(rendered).toContain('/index/GSI1');
    expect(rendered).not.toContain('/index/*');
  });
});
