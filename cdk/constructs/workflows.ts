import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, Aws, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  type FunctionDefinition,
  WORKFLOW_USES,
  type WorkflowDefinition,
  type WorkflowUse,
  workflows as workflowDefinitions,
  workflowsUsedBy,
} from '../../shared/platform/definitions';
import { type CommerceFunction, PROJECT_ROOT } from './commerce-function';
import { acknowledgeWildcardResource } from './nag';

/** A `${Name}` placeholder, as the local runner fills it too (`substitute` in `local/workflows/lint.ts`). */
const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** How a problem names what a function does with a workflow. */
const USE_VERBS: Record<WorkflowUse, string> = {
  startsWorkflows: 'starts',
  stopsWorkflows: 'stops',
  readsWorkflows: 'reads',
  answersWorkflows: 'answers',
};

/** The rule Step Functions manages in the account to learn that a `.sync` child execution ended. */
const SYNC_EVENTS_RULE = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';

/** The placeholders a state machine file uses. */
export function placeholdersOf(text: string): Set<string> {
  return new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!));
}

/** The ASL file of a workflow, read from the project root (or from an absolute path). */
export function readWorkflowFile(definition: WorkflowDefinition): string {
  return readFileSync(path.resolve(PROJECT_ROOT, definition.file), 'utf8');
}

/**
 * What is wrong with a workflow's declaration, given its file and the rest of the definitions: a
 * placeholder of the file that the definition does not fill, one it declares that the file does not
 * use, a Task function that does not name the workflow back in its trigger, a child workflow it may
 * not start. Empty when the state machine can be deployed as declared.
 */
export function workflowProblems(
  definition: WorkflowDefinition,
  fileText: string,
  known: { functions: ReadonlyMap<string, FunctionDefinition>; workflows: ReadonlySet<string> },
): string[] {
  const { name, file } = definition;
  const functions = definition.functions;
  const children = definition.workflows ?? {};
  const starts = definition.startsWorkflows ?? [];
  const used = placeholdersOf(fileText);
  const declared = new Set([...Object.keys(functions), ...Object.keys(children)]);
  const problems: string[] = [];

  for (const placeholder of used) {
    if (!declared.has(placeholder)) {
      problems.push(
        `${file} uses \${${placeholder}}, which workflow ${name} does not declare in functions or workflows`,
      );
    }
  }
  for (const placeholder of declared) {
    if (!used.has(placeholder)) {
      problems.push(`workflow ${name} declares \${${placeholder}}, which ${file} does not use`);
    }
    if (placeholder in functions && placeholder in children) {
      problems.push(`workflow ${name} declares \${${placeholder}} both as a function and as a workflow`);
    }
  }
  for (const [placeholder, functionName] of Object.entries(functions)) {
    const fn = known.functions.get(functionName);
    if (fn === undefined) {
      problems.push(
        `workflow ${name} fills \${${placeholder}} with function ${functionName}, which is not defined`,
      );
    } else if (fn.trigger.kind !== 'workflow' || fn.trigger.workflow !== name) {
      problems.push(
        `function ${functionName} is a Task of workflow ${name}, but its trigger is not { kind: 'workflow', workflow: '${name}' }`,
      );
    }
  }
  for (const [placeholder, workflowName] of Object.entries(children)) {
    if (workflowName === name) {
      problems.push(
        `workflow ${name} fills \${${placeholder}} with its own ARN: use "StateMachineArn.$": "$$.StateMachine.Id"`,
      );
    } else if (!known.workflows.has(workflowName)) {
      problems.push(
        `workflow ${name} fills \${${placeholder}} with workflow ${workflowName}, which is not defined`,
      );
    } else if (!starts.includes(workflowName)) {
      problems.push(
        `workflow ${name} starts ${workflowName} (\${${placeholder}}) without listing it in startsWorkflows`,
      );
    }
  }
  for (const child of starts) {
    if (!known.workflows.has(child)) {
      problems.push(`workflow ${name} starts workflow ${child}, which is not defined`);
    }
  }
  return problems;
}

/**
 * Problems across the definitions: a function whose `workflow` trigger names a workflow that does
 * not run it, a function that starts, stops, reads or answers an unknown workflow, two workflows
 * sharing an env var, and dependency cycles. CloudFormation creates a state machine after the
 * functions it names and the machines it starts, and a function after the machines whose ARN it is
 * given; a cycle (a Task function that uses its own workflow in any way, two workflows starting each
 * other) would only fail at deploy time, so it fails the synth here, naming the cycle.
 */
export function workflowGraphProblems(
  definitions: readonly WorkflowDefinition[],
  functions: readonly FunctionDefinition[],
): string[] {
  const problems: string[] = [];
  const byName = new Map(definitions.map((w) => [w.name, w]));
  for (const fn of functions) {
    const { trigger } = fn;
    if (trigger.kind === 'workflow') {
      const workflow = byName.get(trigger.workflow);
      if (workflow === undefined) {
        problems.push(`function ${fn.name} is a Task of workflow ${trigger.workflow}, which is not defined`);
      } else if (!Object.values(workflow.functions).includes(fn.name)) {
        problems.push(
          `function ${fn.name} is a Task of workflow ${trigger.workflow}, whose functions do not name it`,
        );
      }
    }
    for (const use of WORKFLOW_USES) {
      for (const name of fn[use] ?? []) {
        if (!byName.has(name)) {
          problems.push(`function ${fn.name} ${USE_VERBS[use]} workflow ${name}, which is not defined`);
        }
      }
    }
  }
  const envVars = new Map<string, string>();
  for (const workflow of definitions) {
    const other = envVars.get(workflow.envVar);
    if (other !== undefined) {
      problems.push(`workflows ${other} and ${workflow.name} share the env var ${workflow.envVar}`);
    }
    envVars.set(workflow.envVar, workflow.name);
  }

  // What each node needs created first: a workflow its Task functions and the other workflows it
  // names or starts (starting itself needs no edge, see CommerceWorkflow.startsExecutionsOf); a
  // function every workflow it uses (starts, stops, reads or answers), whose ARN it is given.
  const needs = new Map<string, string[]>();
  for (const workflow of definitions) {
    needs.set(`workflow ${workflow.name}`, [
      ...Object.values(workflow.functions).map((f) => `function ${f}`),
      ...[...Object.values(workflow.workflows ?? {}), ...(workflow.startsWorkflows ?? [])]
        .filter((w) => w !== workflow.name)
        .map((w) => `workflow ${w}`),
    ]);
  }
  for (const fn of functions) {
    needs.set(
      `function ${fn.name}`,
      workflowsUsedBy(fn).map((w) => `workflow ${w}`),
    );
  }
  const done = new Set<string>();
  const visit = (node: string, trail: string[]): void => {
    if (done.has(node)) return;
    const at = trail.indexOf(node);
    if (at >= 0) {
      problems.push(
        `dependency cycle, which CloudFormation cannot create: ${[...trail.slice(at), node].join(' → ')}`,
      );
      return;
    }
    for (const next of needs.get(node) ?? []) visit(next, [...trail, node]);
    done.add(node);
  };
  for (const node of needs.keys()) visit(node, []);
  return problems;
}

/** Properties of a {@link CommerceWorkflow}. */
export interface CommerceWorkflowProps {
  /** The entry of `workflows` this state machine runs. */
  readonly definition: WorkflowDefinition;
  /** Placeholder → the ARN that fills it (a function's or another state machine's). */
  readonly substitutions: Readonly<Record<string, string>>;
  /** How long the execution log keeps events. @default one month, like the functions' logs */
  readonly logRetention?: logs.RetentionDays;
  /** The environment's customer-data key: execution events carry orders' input and output. */
  readonly key: kms.IKey;
}

/**
 * The one way this project deploys a workflow: a Standard state machine from its ASL file (an S3
 * asset, `DefinitionBody.fromFile`) with the file's placeholders filled by `definitionSubstitutions`,
 * every event with its input and output logged to its own log group, X-Ray tracing, and a role that
 * may write those logs and nothing else until a method adds a need from the definitions.
 */
export class CommerceWorkflow extends Construct {
  /** The definition this state machine was built from. */
  public readonly definition: WorkflowDefinition;
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** Where the state machine logs every execution event. */
  public readonly logGroup: logs.LogGroup;
  /** Every execution of this state machine: `arn:…:execution:<state machine name>:*`. */
  public readonly executionsArn: string;
  /** Statements that name this state machine itself, kept off its role's default policy. */
  private ownPolicy?: iam.Policy;
  private startsChildren = false;

  constructor(scope: Construct, id: string, props: CommerceWorkflowProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // Step Functions adds the log group to the account's CloudWatch Logs resource policy, which is
      // limited to 5,120 characters; names under /aws/vendedlogs/ are covered by one wildcard entry
      // instead (Step Functions' documented practice). The stack name keeps two deployments apart.
      logGroupName: Fn.join('', ['/aws/vendedlogs/states/', Aws.STACK_NAME, `-${definition.name}`]),
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
      encryptionKey: props.key,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(path.resolve(PROJECT_ROOT, definition.file)),
      definitionSubstitutions: { ...props.substitutions },
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    this.executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: `${this.stateMachine.stateMachineName}:*`,
    });

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Added by the StateMachine construct for logging and tracing: the CloudWatch Logs log-delivery actions (CreateLogDelivery, PutResourcePolicy, DescribeLogGroups, …) and X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions; every Lambda and Step Functions action is scoped to named ARNs.',
    });
  }

  /** Lets the state machine invoke a Task function, by its unqualified ARN (no version or alias wildcard). */
  public invokes(fn: CommerceFunction): void {
    iam.Grant.addToPrincipal({
      grantee: this.stateMachine,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [fn.function.functionArn],
    });
  }

  /**
   * Lets the state machine start child executions of `child` and wait for them
   * (`arn:aws:states:::states:startExecution.sync:2`): StartExecution on the child, Describe and
   * Stop on its executions, and the EventBridge rule through which Step Functions learns that a
   * child ended.
   */
  public startsExecutionsOf(child: CommerceWorkflow): void {
    const statements = [
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [child.stateMachine.stateMachineArn],
      }),
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [child.executionsArn],
      }),
    ];
    if (child === this) {
      // A state machine that starts itself ("StateMachineArn.$": "$$.StateMachine.Id") needs its own
      // ARN and name in its role's policy. They cannot go into the role's default policy: CDK makes
      // the state machine depend on its role and everything under it, so that policy would depend on
      // the state machine that depends on it, a cycle CloudFormation refuses. A separate policy
      // attached to the role is created after the state machine and is no dependency of it. (The
      // other way out, an ARN built from a state machine name set here, would give up the names
      // CloudFormation generates, docs/deploy.md.) Until that policy exists, which on the first
      // deployment is seconds after the state machine, the machine cannot start itself; nothing
      // starts executions before the stack is complete.
      this.ownPolicy ??= new iam.Policy(this, 'StartsItself', { roles: [this.stateMachine.role] });
      for (const statement of statements) this.ownPolicy.addStatements(statement);
    } else {
      for (const statement of statements) this.stateMachine.addToRolePolicy(statement);
    }
    if (!this.startsChildren) {
      this.startsChildren = true;
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
          resources: [
            Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_EVENTS_RULE }),
          ],
        }),
      );
    }
    acknowledgeWildcardResource(
      this,
      child.executionsArn,
      `A child execution of ${child.definition.name} is named at run time after its business id (a group id), so DescribeExecution/StopExecution, which startExecution.sync:2 needs, name every execution of that one state machine; nothing wider.`,
    );
  }
}

/** Properties of {@link Workflows}. */
export interface WorkflowsProps {
  /** Every function, by definition name; Task functions are looked up here. */
  readonly functions: ReadonlyMap<string, CommerceFunction>;
  /** The workflows to deploy. @default every entry of `workflows` in the definitions */
  readonly definitions?: readonly WorkflowDefinition[];
  /**
   * Where a workflow's state machine is built (the stack of the context that declares it); the
   * checks and the wiring still see every workflow at once. @default this construct
   */
  readonly scopeOf?: (definition: WorkflowDefinition) => Construct;
  /** The environment's customer-data key, for the execution logs. */
  readonly key: kms.IKey;
  /** How long the execution logs keep events. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The state machines built from the definitions: each Standard, from its file, its placeholders
 * filled with the ARNs of the functions and state machines its definition names; allowed to invoke
 * exactly its Task functions and to start exactly the workflows it starts. The synth fails, naming
 * the problem, when a file and its declaration disagree.
 */
export class Workflows extends Construct {
  /** The state machines, by workflow name. */
  public readonly stateMachines: ReadonlyMap<string, CommerceWorkflow>;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const definitions = props.definitions ?? workflowDefinitions;
    const functionDefinitions = [...props.functions.values()].map((fn) => fn.definition);
    const known = {
      functions: new Map(functionDefinitions.map((f) => [f.name, f])),
      workflows: new Set(definitions.map((w) => w.name)),
    };
    const problems = [
      ...definitions.flatMap((d) => workflowProblems(d, readWorkflowFile(d), known)),
      ...workflowGraphProblems(definitions, functionDefinitions),
    ];
    if (problems.length > 0) {
      throw new Error(`The workflow definitions cannot be deployed:\n- ${problems.join('\n- ')}`);
    }

    // Built children first: a state machine's substitutions hold the ARNs of those it starts.
    const built = new Map<string, CommerceWorkflow>();
    const byName = new Map(definitions.map((d) => [d.name, d]));
    const build = (definition: WorkflowDefinition): CommerceWorkflow => {
      const existing = built.get(definition.name);
      if (existing !== undefined) return existing;
      const substitutions: Record<string, string> = {};
      for (const [placeholder, name] of Object.entries(definition.functions)) {
        substitutions[placeholder] = props.functions.get(name)!.function.functionArn;
      }
      for (const [placeholder, name] of Object.entries(definition.workflows ?? {})) {
        substitutions[placeholder] = build(byName.get(name)!).stateMachine.stateMachineArn;
      }
      const scope = props.scopeOf?.(definition) ?? this;
      const workflow = new CommerceWorkflow(scope, definition.name, {
        definition,
        substitutions,
        key: props.key,
        logRetention: props.logRetention,
      });
      built.set(definition.name, workflow);
      return workflow;
    };
    for (const definition of definitions) build(definition);

    for (const workflow of built.values()) {
      for (const name of new Set(Object.values(workflow.definition.functions))) {
        workflow.invokes(props.functions.get(name)!);
      }
      for (const name of workflow.definition.startsWorkflows ?? []) {
        workflow.startsExecutionsOf(built.get(name)!);
      }
    }
    this.stateMachines = built;
  }

  /** The state machine of a workflow; fails the synth when there is none of that name. */
  public get(name: string): CommerceWorkflow {
    const workflow = this.stateMachines.get(name);
    if (workflow === undefined) throw new Error(`Workflow ${name} is not in the definitions`);
    return workflow;
  }
}
