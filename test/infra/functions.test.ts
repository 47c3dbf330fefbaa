import { Match } from 'aws-cdk-lib/assertions';
import { ENV, type FunctionDefinition, isWriteAction, tables } from '../../shared/platform/definitions';
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

  it('grants writes only to functions whose definition declares a write', () => {
    for (const definition of functions) {
      const writes = Object.values(definition.dynamodb ?? {}).some((actions) =>
        (actions ?? []).some(isWriteAction),
      );
      expect(
        actionsOf(definition.name).some((a) =>
          ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].includes(a),
        ),
      ).toBe(writes);
    }
  });

  it('scopes table grants to the table and its named indexes, never to an index wildcard', () => {
    const rendered = JSON.stringify(dynamoStatementsOf('PlaceOrder'));

    expect(rendered).toContain('/index/GSI1');
    expect(rendered).not.toContain('/index/*');
  });

  describe('least privilege on the tables', () => {
    it.each(functions)('declares the table actions of $name', (definition) => {
      expect(definition.dynamodb).toBeDefined();
      const touched = new Set([...definition.reads, ...definition.writes]);
      for (const [table, actions] of Object.entries(definition.dynamodb ?? {})) {
        // Every declared table is one the function is told the name of; every write, one it writes.
        expect(touched.has(table)).toBe(true);
        if ((actions ?? []).some(isWriteAction)) expect(definition.writes).toContain(table);
        expect(new Set(actions).size).toBe(actions?.length);
      }
    });

    it.each(functions)(
      'grants $name exactly the DynamoDB actions its definition declares, table by table',
      (definition) => {
        expect(grantedByTable(definition.name)).toEqual(declaredByTable(definition));
      },
    );

    it.each(functions)(
      'gives $name Scan or BatchWriteItem only if its definition declares them',
      (definition) => {
        const declared = Object.values(definition.dynamodb ?? {}).flatMap((actions) => actions ?? []);
        for (const action of ['Scan', 'BatchWriteItem'] as const) {
          const granted = actionsOf(definition.name).includes(`dynamodb:${action}`);
          expect(granted).toBe(declared.some((a) => a === action || a.startsWith(`${action}:`)));
        }
      },
    );

    it('grants DescribeTable and BatchWriteItem to no function: none calls them', () => {
      const all = functions.flatMap((f) => actionsOf(f.name));

      expect(all).not.toContain('dynamodb:DescribeTable');
      expect(all).not.toContain('dynamodb:BatchWriteItem');
    });

    it('grants Scan to the availability recomputation only', () => {
      expect(functions.filter((f) => actionsOf(f.name).includes('dynamodb:Scan')).map((f) => f.name)).toEqual(
        ['RecomputeAvailability'],
      );
    });

    it('grants an index only where a query on it is declared', () => {
      const getOrder = JSON.stringify(dynamoStatementsOf('GetOrder'));
      const listOrders = JSON.stringify(dynamoStatementsOf('ListOrders'));

      expect(getOrder).not.toContain('/index/');
      expect(listOrders).toContain('/index/GSI1');
      expect(grantedByTable('ListOrders')).toEqual({ 'orders:GSI1': ['dynamodb:Query'] });
    });
  });
});

/** The statements of a function's policy on DynamoDB tables (not streams). */
function dynamoStatementsOf(name: string) {
  return statementsOf(name).filter((s) =>
    (Array.isArray(s.Action) ? s.Action : [s.Action]).some(
      (a) => a.startsWith('dynamodb:') && !STREAM_ACTIONS.includes(a),
    ),
  );
}

/** The stream consumer's rights, granted apart from the table actions. */
const STREAM_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];

/** The table (or `table:index`) an ARN rendered by CloudFormation names. */
function resourceKey(resource: unknown): string {
  const rendered = JSON.stringify(resource);
  const table = Object.values(tables).find((t) => new RegExp(`GetAtt${t.id}[0-9A-F]{8}Arn`).test(rendered));
  if (table === undefined) throw new Error(`no table in ${rendered}`);
  const index = /\/index\/([A-Za-z0-9_.-]+)/.exec(rendered)?.[1];
  return index ? `${table.key}:${index}` : table.key;
}

/** What the role may do per table (`table`) and index (`table:index`), sorted. */
function grantedByTable(name: string): Record<string, string[]> {
  const granted: Record<string, Set<string>> = {};
  for (const statement of dynamoStatementsOf(name)) {
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
    for (const resource of resources) {
      const key = resourceKey(resource);
      const set = granted[key] ?? new Set<string>();
      for (const action of actions) set.add(action);
      granted[key] = set;
    }
  }
  return Object.fromEntries(Object.entries(granted).map(([k, v]) => [k, [...v].sort()]));
}

/** The same from the definition: `Query:GSI1` on a table is Query on `table:GSI1`. */
function declaredByTable(definition: FunctionDefinition): Record<string, string[]> {
  const declared: Record<string, Set<string>> = {};
  for (const [table, actions] of Object.entries(definition.dynamodb ?? {})) {
    for (const action of actions ?? []) {
      const [name, index] = action.split(':');
      const key = index ? `${table}:${index}` : table;
      declared[key] = (declared[key] ?? new Set<string>()).add(`dynamodb:${name}`);
    }
  }
  return Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, [...v].sort()]));
}
