import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { STATELESS_DEFINITIONS, type StatelessDefinitions } from '../../cdk/stacks/context-groups';
import {
  type BusRule,
  busRules,
  type ContextDefinition,
  contexts,
  type FunctionDefinition,
  functions,
  ruleConsumer,
  workflows,
} from '../../shared/platform/definitions';
import {
  deployedFunctions,
  environmentOf,
  idOf,
  logicalIdOf,
  resourcesOf,
  synthesizeCommerce,
  type TemplateJson,
} from './synthesize';

const { stacks, templates } = synthesizeCommerce();

/**
 * CloudFormation takes at most 500 resources, 200 parameters and 200 outputs in a template; the
 * stacks stay well below, so a context can grow and hardening (alarms, queues per function) fits.
 */
const MAX_RESOURCES = 400;
const MAX_PARAMETERS = 150;
const MAX_OUTPUTS = 150;

const sizes = [...templates].map(([stack, template]) => ({
  stack: stack.node.path,
  resources: Object.keys(template.Resources ?? {}).length,
  parameters: Object.keys(template.Parameters ?? {}).length,
  outputs: Object.keys(template.Outputs ?? {}).length,
}));

/** The context that declares a function, or `platform` for the platform's own. */
const declaringContext = (name: string): string =>
  contexts.find((c) => c.functions.some((f) => f.name === name))?.name ?? 'platform';
const nestedStack = (context: string) => {
  const stack = stacks.api.contexts.get(context);
  if (stack === undefined) throw new Error(`no nested stack for ${context}`);
  return stack;
};
const statelessTemplates = (): Array<[Stack, TemplateJson]> =>
  [...templates].filter(([stack]) => stack !== stacks.data && stack !== stacks.baseline);
const capitalized = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

describe('stacks', () => {
  it('synthesizes CommerceBaseline, CommerceData, and CommerceApi with a nested stack for the platform and for each context', () => {
    expect(sizes.map((s) => s.stack)).toEqual([
      'Dev/CommerceBaseline',
      'Dev/CommerceData',
      'Dev/CommerceApi',
      'Dev/CommerceApi/Contexts/Platform',
      ...contexts
        .filter((c) => c.functions.length > 0)
        .map((c) => `Dev/CommerceApi/Contexts/${capitalized(c.name)}`),
    ]);
  });

  it.each(sizes)('keeps $stack under 400 resources (it has $resources)', ({ resources }) => {
    expect(resources).toBeLessThan(MAX_RESOURCES);
  });

  it.each(sizes)(
    'keeps $stack under 150 parameters and 150 outputs (it has $parameters and $outputs)',
    ({ parameters, outputs }) => {
      expect(parameters).toBeLessThan(MAX_PARAMETERS);
      expect(outputs).toBeLessThan(MAX_OUTPUTS);
    },
  );

  it('makes CommerceApi depend on CommerceData and CommerceBaseline only, and imports nothing but the data exports', () => {
    expect(new Set(stacks.api.dependencies)).toEqual(new Set([stacks.data, stacks.baseline]));
    expect(stacks.data.dependencies).toEqual([]);
    for (const [, template] of statelessTemplates()) {
      const imports = [...JSON.stringify(template).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]);
      for (const name of imports) expect(name).toMatch(/^Dev-CommerceData:/);
    }
  });

  it('passes values between the stateless stacks as nested-stack parameters and outputs, never as exports', () => {
    for (const [stack, template] of statelessTemplates()) {
      const exported = Object.entries(template.Outputs ?? {}).filter(([, output]) => output.Export);
      expect({ stack: stack.node.path, exported }).toEqual({ stack: stack.node.path, exported: [] });
    }
  });
});

describe('what each nested stack holds', () => {
  it.each(deployedFunctions)(
    'builds $name in the nested stack of the context that declares it',
    ({ name }) => {
      expect(Stack.of(stacks.api.functions.get(name)!.function)).toBe(nestedStack(declaringContext(name)));
    },
  );

  it.each(workflows)('builds the $name state machine in the nested stack of its context', ({ name }) => {
    const context = contexts.find((c) => c.workflows?.some((w) => w.name === name))!.name;

    expect(Stack.of(stacks.api.workflows.get(name).stateMachine)).toBe(nestedStack(context));
  });

  it.each(busRules)(
    'puts rule $name and its dead-letter queue in the nested stack of its target',
    (rule: BusRule) => {
      const consumer = ruleConsumer(rule);
      const expected = nestedStack(consumer ? declaringContext(consumer) : 'platform');
      const construct = stacks.api.rules.get(rule.name)!;
      const template = templates.get(expected)!;
      const [target] = template.Resources![logicalIdOf(construct)]!.Properties!.Targets as Array<{
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [string, string] } };
      }>;

      expect(Stack.of(construct)).toBe(expected);
      expect(template.Resources?.[target!.DeadLetterConfig.Arn['Fn::GetAtt'][0]]?.Type).toBe(
        'AWS::SQS::Queue',
      );
    },
  );

  it('keeps the REST API with its methods, models, keys, usage plans and invoke permissions in CommerceApi itself', () => {
    const root = templates.get(stacks.api)!;
    const routes = functions.filter((f) => f.trigger.kind === 'http');
    const proxied = deployedFunctions.filter((f) => f.trigger.kind === 'http');
    const apiResources = (template: TemplateJson) =>
      Object.values(template.Resources ?? {}).filter(
        (r) =>
          r.Type.startsWith('AWS::ApiGateway::') ||
          (r.Type === 'AWS::Lambda::Permission' && r.Properties?.Principal === 'apigateway.amazonaws.com'),
      );

    expect(apiResources(root).filter((r) => r.Type === 'AWS::ApiGateway::Method')).toHaveLength(
      routes.length,
    );
    // One per proxied route, and API Gateway's permission to invoke the authorizer.
    expect(apiResources(root).filter((r) => r.Type === 'AWS::Lambda::Permission')).toHaveLength(
      proxied.length + 1,
    );
    for (const [stack, template] of statelessTemplates().filter(([stack]) => stack !== stacks.api)) {
      expect({ stack: stack.node.path, api: apiResources(template) }).toEqual({
        stack: stack.node.path,
        api: [],
      });
    }
  });

  it('keeps the dashboard in CommerceApi, and each alarm in the template of what it watches', () => {
    const ofType = (template: TemplateJson, type: string) =>
      Object.values(template.Resources ?? {}).filter((r) => r.Type === type);
    const root = templates.get(stacks.api)!;

    expect(ofType(root, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    for (const [stack, template] of statelessTemplates()) {
      for (const alarm of ofType(template, 'AWS::CloudWatch::Alarm')) {
        const dimensions = (alarm.Properties!.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>;
        const watched = dimensions.flatMap(({ Value }) => {
          const value = Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
          return value.Ref ?? value['Fn::GetAtt']?.[0] ?? [];
        });
        // A route's alarm names its API by name; the business alarm its namespace; everything else
        // the resource in this template.
        const where = { stack: stack.node.path, alarm: alarm.Properties!.AlarmDescription };
        if (watched.length === 0) {
          expect({ ...where, root: stack === stacks.api }).toEqual({ ...where, root: true });
        } else {
          // A value passed in (the bus name) names what another stack holds.
          for (const id of watched.filter((w) => template.Parameters?.[w] === undefined)) {
            expect({ ...where, type: template.Resources?.[id]?.Type }).toEqual({
              ...where,
              type: expect.stringMatching(
                /^AWS::(SQS::Queue|S3::Bucket|StepFunctions::StateMachine|Lambda::Function|Events::Rule|ApiGateway::Stage)$/,
              ),
            });
          }
        }
      }
    }
    expect(stacks.api.operations.workflowAlarms).toHaveLength(2 * workflows.length);
  });
});

describe('definitions of another shape', () => {
  const timeline = functions.find((f) => f.name === 'GetOrderTimeline')!;
  const timelineRoute = timeline.trigger;
  if (timelineRoute.kind !== 'http') throw new Error('GetOrderTimeline is a route');
  const withContexts = (
    changed: readonly ContextDefinition[],
    added: FunctionDefinition[] = [],
    rules: BusRule[] = [],
  ) =>
    ({
      ...STATELESS_DEFINITIONS,
      contexts: changed,
      functions: [...functions, ...added],
      busRules: [...busRules, ...rules],
    }) satisfies StatelessDefinitions;

  it('gives a new context a nested stack of its own, whose functions use a workflow of another context', () => {
    // A returns context: a route and a rule-driven function reading the fulfilment executions.
    const route: FunctionDefinition = {
      ...timeline,
      name: 'GetReturnTimeline',
      trigger: { ...timelineRoute, path: '/returns/{orderId}/timeline' },
    };
    const traced: FunctionDefinition = {
      ...timeline,
      name: 'TraceCancelledOrder',
      trigger: { kind: 'event', rule: 'TraceCancelledOrders' },
    };
    const rule: BusRule = {
      name: 'TraceCancelledOrders',
      description: 'Every cancelled order, to trace its fulfilment',
      eventPattern: { source: ['commerce.orders'], 'detail-type': ['OrderCancelled'] },
      target: { function: traced.name },
    };
    const returns: ContextDefinition = {
      name: 'returns',
      tables: [],
      functions: [route, traced],
      busRules: [rule],
    };
    const other = synthesizeCommerce({}, withContexts([...contexts, returns], [route, traced], [rule]));
    const stack = other.stacks.api.contexts.get('returns');
    const fulfillment = other.stacks.api.workflows.get('Fulfillment');
    const fn = other.stacks.api.functions.get(traced.name)!;
    const role = idOf(fn.function.role!);
    const statements = Object.values(resourcesOf(other.api, 'AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: unknown[] }).Statement);

    expect(stack?.node.path).toBe('Dev/CommerceApi/Contexts/Returns');
    expect(Stack.of(fn.function)).toBe(stack);
    expect(Stack.of(other.stacks.api.rules.get(rule.name)!)).toBe(stack);
    expect(Stack.of(fulfillment.stateMachine)).toBe(other.stacks.api.contexts.get('fulfillment'));
    expect(
      Object.values(resourcesOf(other.api, 'AWS::ApiGateway::Method')).map((m) => m.Properties.OperationName),
    ).toContain(route.name);
    // The state machine's ARN and its executions, through the parent, from the other nested stack.
    expect(environmentOf(other.api, fn.function).FULFILLMENT_STATE_MACHINE_ARN).toEqual({
      Ref: idOf(fulfillment.stateMachine),
    });
    expect(JSON.stringify(statements)).toContain(
      `:execution:",{"Fn::GetAtt":["${idOf(fulfillment.stateMachine)}","Name"]},":*"`,
    );
    expect(new AwsSolutionsChecks().validateScope(other.app).violations).toEqual([]);
  });

  it('refuses contexts whose nested stacks would need each other, naming the cycle', () => {
    // The order intake starting the fulfilment whose first Task it also holds.
    const moved = new Set(['StartFulfillment', 'RouteOrder']);
    const changed = contexts.map((c) =>
      c.name === 'fulfillment'
        ? { ...c, functions: c.functions.filter((f) => !moved.has(f.name)) }
        : c.name === 'orders'
          ? { ...c, functions: [...c.functions, ...functions.filter((f) => moved.has(f.name))] }
          : c,
    );

    expect(() => synthesizeCommerce({}, withContexts(changed))).toThrow(
      /contexts orders → fulfillment → orders would need each other.*function StartFulfillment uses workflow Fulfillment; workflow Fulfillment runs function RouteOrder/,
    );
  });

  it('refuses a bus rule whose target is not a function', () => {
    const rule: BusRule = {
      name: 'Nowhere',
      description: 'A rule into nothing',
      eventPattern: { source: ['commerce.orders'] },
      target: { function: 'RefundOrder' },
    };

    expect(() => synthesizeCommerce({}, withContexts(contexts, [], [rule]))).toThrow(
      /Bus rule target RefundOrder is not a function in the definitions/,
    );
  });
});
