import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { CommerceFunction } from '../../cdk/constructs/commerce-function';
import {
  placeholdersOf,
  readWorkflowFile,
  Workflows,
  workflowGraphProblems,
  workflowProblems,
} from '../../cdk/constructs/workflows';
import {
  BUS_TARGET_RETRY,
  busRules,
  type FunctionDefinition,
  WORKFLOW_USES,
  type WorkflowDefinition,
  type WorkflowUse,
  workflows,
  workflowsUsedBy,
} from '../../shared/platform/definitions';
import {
  environmentOf,
  deployedFunctions as functions,
  idOf,
  propertiesOf,
  resourcesOf,
  synthesizeCommerce,
} from './synthesize';

const { api, stacks, stage } = synthesizeCommerce();

type Statement = { Action: string | string[]; Resource: unknown };
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOfStatement = (s: Statement): unknown[] =>
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];

/** Every statement of every policy attached to a role, by the role's logical id. */
function statementsOfRole(role: string): Statement[] {
  return Object.values(resourcesOf(api, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === role))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Builds only the state machines and their Task functions, as the API stack would, in a stack of their own. */
function workflowsOnly(
  definitions: readonly WorkflowDefinition[],
  functionDefinitions = functions,
): Workflows {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Workflows');
  const key = new kms.Key(stack, 'Key');
  const built = new Map(
    functionDefinitions
      .filter((f) => f.trigger.kind === 'workflow')
      .map((definition) => [
        definition.name,
        new CommerceFunction(stack, definition.name, { definition, key }),
      ]),
  );
  return new Workflows(stack, 'Workflows', { functions: built, definitions, key });
}

const machineOf = (name: string) => stacks.api.workflows.get(name);
const machineId = (name: string) => idOf(machineOf(name).stateMachine);
const machineStatements = (name: string) => statementsOfRole(idOf(machineOf(name).stateMachine.role));
const functionOf = (name: string) => stacks.api.functions.get(name)!;
const functionStatements = (name: string) => statementsOfRole(idOf(functionOf(name).function.role!));
const functionArn = (name: string) => ({ 'Fn::GetAtt': [idOf(functionOf(name).function), 'Arn'] });

/** `arn:…:execution:<name of the machine>:*` as the template renders it. */
const isExecutionsOf = (resource: unknown, name: string): boolean => {
  const rendered = JSON.stringify(resource);
  return rendered.includes(`:execution:",{"Fn::GetAtt":["${machineId(name)}","Name"]},":*"`);
};

/** Who acts on a state machine through `states:*` actions, with which actions on which resources. */
const statesStatements = (statements: Statement[]) =>
  statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));

describe('workflow state machines', () => {
  it('deploys one state machine per workflow of the definitions', () => {
    expect(workflows.length).toBeGreaterThan(0);
    api.resourceCountIs('AWS::StepFunctions::StateMachine', workflows.length);
  });

  it.each(workflows)(
    'runs $name as a Standard state machine, logging every event with its data, traced',
    ({ name }) => {
      const workflow = machineOf(name);
      const properties = propertiesOf(api, 'AWS::StepFunctions::StateMachine', workflow.stateMachine);
      const logGroup = propertiesOf(api, 'AWS::Logs::LogGroup', workflow.logGroup);

      expect(properties).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [
            {
              CloudWatchLogsLogGroup: {
                LogGroupArn: { 'Fn::GetAtt': [idOf(workflow.logGroup), 'Arn'] },
              },
            },
          ],
        },
      });
      expect(logGroup.RetentionInDays).toBe(stage.settings.logRetentionDays);
      expect(JSON.stringify(logGroup.LogGroupName)).toContain('/aws/vendedlogs/states/');
    },
  );

  it.each(workflows)('deploys $file unchanged as the definition of $name', ({ name, file }) => {
    const workflow = machineOf(name);
    const asset = workflow.stateMachine.node.findChild('DefinitionBody') as s3assets.Asset;
    const properties = propertiesOf(api, 'AWS::StepFunctions::StateMachine', workflow.stateMachine);

    expect(properties.DefinitionString).toBeUndefined();
    expect(properties.DefinitionS3Location).toMatchObject({ Key: asset.s3ObjectKey });
    expect(readFileSync(path.join(stage.outdir, asset.assetPath), 'utf8')).toBe(
      readFileSync(path.join(__dirname, '..', '..', file), 'utf8'),
    );
  });

  it.each(workflows)(
    'fills every placeholder of $file, and only those, with the ARN $name names',
    (definition) => {
      const properties = propertiesOf(
        api,
        'AWS::StepFunctions::StateMachine',
        machineOf(definition.name).stateMachine,
      );
      const substitutions = properties.DefinitionSubstitutions as Record<string, unknown>;
      const inFile = placeholdersOf(readWorkflowFile(definition));

      expect(inFile.size).toBeGreaterThan(0);
      expect(Object.keys(substitutions).sort()).toEqual([...inFile].sort());
      for (const [placeholder, fn] of Object.entries(definition.functions)) {
        expect(substitutions[placeholder]).toEqual(functionArn(fn));
      }
      for (const [placeholder, workflow] of Object.entries(definition.workflows ?? {})) {
        expect(substitutions[placeholder]).toEqual({ Ref: machineId(workflow) });
      }
    },
  );

  it.each(workflows)(
    'lets $name invoke exactly its Task functions, by their unqualified ARN',
    (definition) => {
      const invoked = machineStatements(definition.name)
        .filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')))
        .flatMap((s) => {
          expect(actionsOf(s)).toEqual(['lambda:InvokeFunction']);
          return resourcesOfStatement(s);
        });

      expect(invoked).toHaveLength(new Set(Object.values(definition.functions)).size);
      expect(invoked).toEqual(
        expect.arrayContaining([...new Set(Object.values(definition.functions))].map(functionArn)),
      );
    },
  );

  it.each(workflows)('lets $name start and wait for exactly the workflows it starts', (definition) => {
    const statements = machineStatements(definition.name);
    const starts = definition.startsWorkflows ?? [];
    const states = statesStatements(statements);
    const managedRule = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('events:')));

    expect(states).toHaveLength(2 * starts.length);
    for (const child of starts) {
      expect(states).toContainEqual({
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: machineId(child) },
      });
      const waits = states.find((s) => isExecutionsOf(s.Resource, child));
      expect(waits?.Action).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    }
    if (starts.length === 0) {
      expect(managedRule).toEqual([]);
    } else {
      expect(managedRule).toHaveLength(1);
      expect(managedRule[0]?.Action).toEqual(['events:PutTargets', 'events:PutRule', 'events:DescribeRule']);
      expect(JSON.stringify(managedRule[0]?.Resource)).toContain(
        ':rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      );
    }
  });

  it('outputs the ARN of each state machine', () => {
    for (const { name } of workflows) {
      api.hasOutput(`${name}StateMachineArn`, { Value: { Ref: machineId(name) } });
    }
  });

  // Template.fromStack and Template.fromJSON refuse a template with a dependency cycle: every template
  // of the stateless side above synthesized (CommerceApi, each nested stack, and all of them
  // flattened into one), the FulfillmentGroup state machine that starts itself among them.
  it('grants a state machine that starts itself its own ARN without a dependency cycle', () => {
    const [selfStarting] = workflows.filter((w) => w.startsWorkflows?.includes(w.name));
    const workflow = workflowsOnly(workflows).get(selfStarting!.name);
    // The same grant in the role's default policy, on which the state machine depends, is a cycle.
    const inDefaultPolicy = workflowsOnly(workflows).get(selfStarting!.name);
    inDefaultPolicy.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [inDefaultPolicy.stateMachine.stateMachineArn],
      }),
    );

    expect(() => Template.fromStack(Stack.of(workflow))).not.toThrow();
    expect(() => Template.fromStack(Stack.of(inDefaultPolicy))).toThrow(/dependency cycle/);
  });
});

describe('functions and workflows', () => {
  const workflowEnvVars = new Set(workflows.map((w) => w.envVar));
  const envVarOf = (name: string) => workflows.find((w) => w.name === name)!.envVar;

  /**
   * The rights each use of a workflow stands for, written out here rather than taken from the CDK
   * code: on the state machine itself, and on its executions (`execution:<machine>:*`).
   */
  const RIGHTS: Record<WorkflowUse, { machine: string[]; executions: string[] }> = {
    startsWorkflows: { machine: ['states:StartExecution'], executions: [] },
    stopsWorkflows: { machine: [], executions: ['states:StopExecution'] },
    readsWorkflows: {
      machine: ['states:ListExecutions'],
      executions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
    },
    answersWorkflows: {
      machine: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
      executions: [],
    },
  };

  /** `<action> on <machine | executions of> <workflow>`, the same for what is expected and what is granted. */
  const expectedRights = (definition: FunctionDefinition): string[] =>
    [
      ...new Set(
        WORKFLOW_USES.flatMap((use) =>
          (definition[use] ?? []).flatMap((name) => [
            ...RIGHTS[use].machine.map((action) => `${action} on machine ${name}`),
            ...RIGHTS[use].executions.map((action) => `${action} on executions of ${name}`),
          ]),
        ),
      ),
    ].sort();

  const resourceName = (resource: unknown): string => {
    for (const { name } of workflows) {
      if (JSON.stringify(resource) === JSON.stringify({ Ref: machineId(name) })) return `machine ${name}`;
      if (isExecutionsOf(resource, name)) return `executions of ${name}`;
    }
    return JSON.stringify(resource);
  };

  const grantedRights = (name: string): string[] =>
    [
      ...new Set(
        statesStatements(functionStatements(name)).flatMap((s) => {
          expect(s).toMatchObject({ Effect: 'Allow' });
          return actionsOf(s).flatMap((action) =>
            resourcesOfStatement(s).map((resource) => `${action} on ${resourceName(resource)}`),
          );
        }),
      ),
    ].sort();

  const workflowVariablesOf = (name: string): string[] =>
    Object.keys(environmentOf(api, functionOf(name).function))
      .filter((v) => workflowEnvVars.has(v))
      .sort();

  it('has functions that start, stop, read and answer workflows', () => {
    for (const use of WORKFLOW_USES) {
      expect({ use, used: functions.some((f) => (f[use] ?? []).length > 0) }).toEqual({ use, used: true });
    }
  });

  it.each(functions)(
    'gives $name exactly the states:* actions its definition asks for, and nothing else',
    (definition) => {
      expect(grantedRights(definition.name)).toEqual(expectedRights(definition));
    },
  );

  it.each(functions)('gives $name the ARN of exactly the workflows it uses', (definition) => {
    const variables = environmentOf(api, functionOf(definition.name).function);
    const used = workflowsUsedBy(definition);

    expect(workflowVariablesOf(definition.name)).toEqual(used.map(envVarOf).sort());
    for (const name of used) {
      expect(variables[envVarOf(name)]).toEqual({ Ref: machineId(name) });
    }
  });

  it('declares what each fulfilment function does with the workflows', () => {
    const uses = Object.fromEntries(
      functions.flatMap((f) => {
        const declared = Object.fromEntries(
          WORKFLOW_USES.flatMap((use) => (f[use]?.length ? [[use, f[use]]] : [])),
        );
        return Object.keys(declared).length > 0 ? [[f.name, declared]] : [];
      }),
    );
    const answers = { answersWorkflows: ['FulfillmentGroup'] };

    expect(uses).toEqual({
      StartFulfillment: { startsWorkflows: ['Fulfillment'] },
      StopFulfillment: { stopsWorkflows: ['Fulfillment', 'FulfillmentGroup'] },
      GetOrderTimeline: { readsWorkflows: ['Fulfillment', 'FulfillmentGroup'] },
      AcceptFulfillment: answers,
      RejectFulfillment: answers,
      ReportShortPick: answers,
      MarkShipped: answers,
      MarkReadyForPickup: answers,
      MarkCollected: answers,
    });
  });

  it('lets GetOrderTimeline read executions, and neither start nor stop any', () => {
    const actions = grantedRights('GetOrderTimeline').map((r) => r.split(' ')[0]);

    expect(actions).not.toContain('states:StartExecution');
    expect(actions).not.toContain('states:StopExecution');
    expect(grantedRights('GetOrderTimeline')).toEqual(
      expect.arrayContaining([
        'states:GetExecutionHistory on executions of Fulfillment',
        'states:GetExecutionHistory on executions of FulfillmentGroup',
      ]),
    );
  });

  it('lets StopFulfillment stop executions, and start none', () => {
    const actions = grantedRights('StopFulfillment').map((r) => r.split(' ')[0]);

    expect(actions).not.toContain('states:StartExecution');
    expect([...new Set(actions)]).toEqual(['states:StopExecution']);
  });

  it('gives ListLocationWork no states:* action and no state machine ARN: it reads the table only', () => {
    expect(statesStatements(functionStatements('ListLocationWork'))).toEqual([]);
    expect(workflowVariablesOf('ListLocationWork')).toEqual([]);
  });

  it('grants DescribeExecution, StopExecution and GetExecutionHistory only on executions, the rest only on a machine', () => {
    const rights = functions.flatMap((f) => grantedRights(f.name));
    const onExecutions = ['states:DescribeExecution', 'states:StopExecution', 'states:GetExecutionHistory'];

    expect(rights.length).toBeGreaterThan(0);
    for (const right of rights) {
      const [action] = right.split(' ');
      expect({ right, scoped: / on (machine|executions of) \w+$/.test(right) }).toEqual({
        right,
        scoped: true,
      });
      expect({ right, onExecutions: right.includes(' on executions of ') }).toEqual({
        right,
        onExecutions: onExecutions.includes(action!),
      });
    }
  });

  const tasks = functions.filter((f) => f.trigger.kind === 'workflow');

  it.each(tasks)(
    'gives the Task function $name no event source: its state machine invokes it',
    ({ name }) => {
      const fn = idOf(functionOf(name).function);
      const mentions = (type: string) =>
        Object.values(resourcesOf(api, type)).filter((r) => JSON.stringify(r.Properties).includes(`"${fn}"`));

      for (const type of [
        'AWS::Lambda::EventSourceMapping',
        'AWS::Lambda::Permission',
        'AWS::Lambda::EventInvokeConfig',
        'AWS::Events::Rule',
        'AWS::ApiGateway::Method',
      ]) {
        expect({ type, count: mentions(type).length }).toEqual({ type, count: 0 });
      }
    },
  );
});

describe('bus rules into the workflows', () => {
  // The rules whose target starts or stops a workflow's executions.
  const rules = busRules.flatMap((rule) => {
    if (!('function' in rule.target)) return [];
    const target = functions.find((f) => 'function' in rule.target && f.name === rule.target.function);
    return target?.startsWorkflows?.length || target?.stopsWorkflows?.length ? [{ rule, target }] : [];
  });

  it('stops the fulfilment of every cancelled order from a rule', () => {
    expect(rules.map((r) => r.rule.name)).toContain('StopCancelledOrders');
  });

  it('starts the fulfilment of every new order from a rule', () => {
    expect(rules.map((r) => r.rule.name)).toContain('FulfilNewOrders');
    const fulfil = rules.find((r) => r.rule.name === 'FulfilNewOrders')!;
    expect(fulfil.rule.eventPattern).toMatchObject({ 'detail-type': ['OrderCreated'] });
  });

  it.each(rules)(
    'delivers $rule.name to $target.name with a retry policy, a DLQ and a failure queue',
    ({ rule, target }) => {
      const properties = propertiesOf(api, 'AWS::Events::Rule', stacks.api.rules.get(rule.name)!);

      expect(properties.Targets).toEqual([
        expect.objectContaining({
          Arn: functionArn(target.name),
          RetryPolicy: {
            MaximumRetryAttempts: BUS_TARGET_RETRY.deliveryRetryAttempts,
            MaximumEventAgeInSeconds: BUS_TARGET_RETRY.maxEventAgeSeconds,
          },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringContaining(rule.name), 'Arn'] } },
        }),
      ]);
      api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: idOf(functionOf(target.name).function) },
        MaximumRetryAttempts: BUS_TARGET_RETRY.handlerRetryAttempts,
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    },
  );
});

describe('workflow alarms', () => {
  const alarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const alarmsOf = (name: string) =>
    alarms.filter(
      (a) =>
        JSON.stringify(a.Dimensions) ===
        JSON.stringify([{ Name: 'StateMachineArn', Value: { Ref: machineId(name) } }]),
    );

  it.each(workflows)('raises an alarm as soon as one execution of $name failed or timed out', ({ name }) => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      expect(alarmsOf(name)).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/States',
          MetricName: metric,
          Statistic: 'Sum',
          Threshold: 1,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      );
    }
  });

  it.each(workflows)(
    'raises no alarm on aborted executions of $name: a cancelled order stops them',
    ({ name }) => {
      expect(
        alarmsOf(name)
          .map((a) => a.MetricName)
          .sort(),
      ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    },
  );

  it('shows the executions and the workflow alarms on the dashboard', () => {
    const [dashboard] = Object.values(resourcesOf(api, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    for (const metric of [
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]) {
      expect(body).toContain(metric);
    }
    expect(body).toContain('ExecutionsAborted');
    expect(body).toContain('Workflow alarms');
  });
});

describe('a workflow whose file and declaration disagree', () => {
  const fulfillment = workflows.find((w) => w.name === 'Fulfillment')!;
  const others = workflows.filter((w) => w !== fulfillment);

  it('builds when they agree (the real definitions)', () => {
    expect(workflowsOnly(workflows).stateMachines.size).toBe(workflows.length);
  });

  it('fails the synth, naming the placeholder, when the file uses one the definition does not declare', () => {
    const { CompleteOrderFunctionArn: _undeclared, ...declared } = fulfillment.functions;

    expect(() => workflowsOnly([{ ...fulfillment, functions: declared }, ...others])).toThrow(
      /statemachines\/fulfillment\.asl\.json uses \$\{CompleteOrderFunctionArn\}, which workflow Fulfillment does not declare/,
    );
  });

  it('fails the synth when the definition declares a placeholder the file does not use', () => {
    const declared = { ...fulfillment.functions, RefundOrderFunctionArn: 'RouteOrder' };

    expect(() => workflowsOnly([{ ...fulfillment, functions: declared }, ...others])).toThrow(
      /workflow Fulfillment declares \$\{RefundOrderFunctionArn\}, which statemachines\/fulfillment\.asl\.json does not use/,
    );
  });

  it('fails the synth when a Task function does not name its workflow in its trigger', () => {
    const moved = functions.map(
      (f): FunctionDefinition =>
        f.name === 'RouteOrder' ? { ...f, trigger: { kind: 'workflow', workflow: 'FulfillmentGroup' } } : f,
    );

    expect(() => workflowsOnly(workflows, moved)).toThrow(
      /function RouteOrder is a Task of workflow Fulfillment, but its trigger is not/,
    );
  });

  it('refuses a placeholder for a state machine its own ARN, or a child it may not start', () => {
    const known = {
      functions: new Map(functions.map((f) => [f.name, f])),
      workflows: new Set(['Fulfillment', 'FulfillmentGroup']),
    };
    const text = readWorkflowFile(fulfillment);

    expect(
      workflowProblems(
        { ...fulfillment, workflows: { FulfillmentGroupStateMachineArn: 'Fulfillment' } },
        text,
        known,
      ),
    ).toEqual([expect.stringContaining('use "StateMachineArn.$": "$$.StateMachine.Id"')]);
    expect(workflowProblems({ ...fulfillment, startsWorkflows: [] }, text, known)).toEqual([
      expect.stringContaining('without listing it in startsWorkflows'),
    ]);
  });

  it.each(WORKFLOW_USES)(
    'refuses a Task function whose %s names its own workflow: a cycle CloudFormation cannot create',
    (use) => {
      const using = functions.map((f) => (f.name === 'RouteOrder' ? { ...f, [use]: ['Fulfillment'] } : f));

      expect(workflowGraphProblems(workflows, functions)).toEqual([]);
      expect(workflowGraphProblems(workflows, using)).toEqual([
        expect.stringMatching(
          /dependency cycle.*workflow Fulfillment → function RouteOrder → workflow Fulfillment/,
        ),
      ]);
    },
  );

  it.each([
    ['startsWorkflows', 'starts'],
    ['stopsWorkflows', 'stops'],
    ['readsWorkflows', 'reads'],
    ['answersWorkflows', 'answers'],
  ] as const)('refuses a function whose %s names a workflow that is not defined', (use, verb) => {
    const unknown = functions.map((f) => (f.name === 'GetOrderTimeline' ? { ...f, [use]: ['Refunds'] } : f));

    expect(workflowGraphProblems(workflows, unknown)).toEqual([
      `function GetOrderTimeline ${verb} workflow Refunds, which is not defined`,
    ]);
  });
});
