import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type TableKey, WORKFLOW_USES, type WorkflowUse } from '../../shared/platform/definitions';
import type { ApiClient, EnvironmentSettings } from '../config';
import { DomainEventPublishers } from '../constructs/bus-access';
import { CommerceApi, pascal, routeKey } from '../constructs/commerce-api';
import type { CommerceFunction } from '../constructs/commerce-function';
import type { CommerceTable } from '../constructs/commerce-table';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import { EdgeProtection } from '../constructs/edge-protection';
import { OperationsDashboard } from '../constructs/operations-dashboard';
import type { StreamFailureBucket } from '../constructs/stream-failure-bucket';
import { type CommerceWorkflow, Workflows } from '../constructs/workflows';
import {
  contextGroupCycles,
  contextGroups,
  gatewayAnswered,
  STATELESS_DEFINITIONS,
  type StatelessDefinitions,
} from './context-groups';
import { ContextStack } from './context-stack';
import { removalPolicyOf } from './data-stack';

/** The route the composite "orders are not flowing" watches, and the function behind it. */
const ORDER_INTAKE = {
  route: { method: 'POST', path: '/orders' },
  function: 'PlaceOrder',
  table: 'orders',
} as const;

/** What the API stack takes from the data stack, and the environment's settings. */
export interface ApiStackProps extends StackProps {
  /** The environment's name (`dev`): the API is named after it. */
  readonly environment: string;
  /** The environment's settings. */
  readonly settings: EnvironmentSettings;
  /** The API clients: a key and a usage plan each. */
  readonly clients: readonly ApiClient[];
  /** The tables, by key. */
  readonly tables: Readonly<Record<TableKey, CommerceTable>>;
  /** The commerce bus. */
  readonly bus: events.IEventBus;
  /** Target of the audit rule. */
  readonly auditLog: logs.ILogGroup;
  /** The environment's customer-data key. */
  readonly key: kms.IKey;
  /** The user pool whose tokens the API verifies. */
  readonly userPool: cognito.UserPool;
  /** App client id → principal, a JSON object resolved at deploy time (`AUTH_CLIENTS`). */
  readonly authClientsJson: string;
  /** The user pool's token endpoint, told to whoever is issued a client (`AUTH_TOKEN_URL`). */
  readonly tokenUrl: string;
  /** What to build. @default the definitions of `shared/platform/definitions.ts` */
  readonly definitions?: StatelessDefinitions;
}

/**
 * The stateless half, `CommerceApi`: a nested stack per bounded context (and one for the platform's
 * own functions), each holding that context's functions with the grants of their definitions, its
 * workflows' state machines, the bus rules, schedules and stream subscriptions that invoke its
 * functions with their dead-letter queues, and the alarms on those (see {@link ContextStack}); and,
 * in this stack itself, the REST API with per-client keys and usage plans, its TOKEN authorizer and
 * web ACL, the bus policy statement that keeps `commerce.*` events to the system's publishers, the
 * operations dashboard with the composite "orders are not flowing", and every output. Safe to destroy and redeploy: it holds no data beyond what sits in dead-letter
 * queues (and running executions, which a destroy stops).
 *
 * Why nested stacks: CloudFormation allows 500 resources in a template, and a context brings about
 * five per function. One deployment still creates, updates or rolls back all of it at once; values
 * cross between the nested stacks as parameters and outputs through this stack, not as exports that
 * would block removing a function; and the API, its URL and its keys stay where they were.
 *
 * The state machines live next to the functions they invoke: the data stack knows nothing of them,
 * so the data and API stacks keep a one-way dependency.
 */
export class ApiStack extends Stack {
  /** The nested stack of each context, and the platform's, by group name (`orders`, `platform`). */
  public readonly contexts: ReadonlyMap<string, ContextStack>;
  /** The functions, by definition name, whichever nested stack holds them. */
  public readonly functions: ReadonlyMap<string, CommerceFunction>;
  /** The REST API with its keys and usage plans. */
  public readonly api: CommerceApi;
  /** The workflows' state machines, by workflow name. */
  public readonly workflows: Workflows;
  /** Bus rules, by rule name, whichever nested stack holds them. */
  public readonly rules: ReadonlyMap<string, events.Rule>;
  /** Schedule rules, by function name. */
  public readonly schedules: ReadonlyMap<string, events.Rule>;
  /** On-failure bucket of each function subscribed to table streams, by function name. */
  public readonly streamFailureBuckets: ReadonlyMap<string, StreamFailureBucket>;
  /** Each work queue's dead-letter queue (its `redriveSource` is the work queue), by queue name. */
  public readonly workQueues: ReadonlyMap<string, DeadLetterQueue>;
  /** Dashboard, dead-letter, workflow and order-intake alarms. */
  public readonly operations: OperationsDashboard;
  /** The web ACL on the stage. */
  public readonly edge: EdgeProtection;
  /** The bus policy statement that keeps `commerce.*` to the functions that put events. */
  public readonly publishers: DomainEventPublishers;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, {
      description:
        'connected-commerce: REST API, dashboard, and a nested stack per context with its functions, workflows, event rules, schedules and stream subscriptions',
      ...props,
    });
    const { settings } = props;
    const { definitions, answered } = gatewayAnswered(props.definitions ?? STATELESS_DEFINITIONS);
    const groups = contextGroups(definitions);
    const cycles = contextGroupCycles(groups);
    if (cycles.length > 0) {
      throw new Error(`The contexts cannot be deployed as nested stacks:\n- ${cycles.join('\n- ')}`);
    }

    // Constructs with no resources of their own keep the nested stacks apart from the API's ids.
    const holder = new Construct(this, 'Contexts');
    const contexts = new Map<string, ContextStack>();
    const built = new Map<string, CommerceFunction>();
    const stackOfWorkflow = new Map<string, ContextStack>();
    for (const group of groups) {
      const context = new ContextStack(holder, {
        group,
        tables: props.tables,
        bus: props.bus,
        auditLog: props.auditLog,
        key: props.key,
        logRetention: settings.logRetentionDays,
      });
      contexts.set(group.name, context);
      for (const [name, fn] of context.functions) built.set(name, fn);
      for (const workflow of group.workflows) stackOfWorkflow.set(workflow.name, context);
    }
    this.contexts = contexts;
    this.functions = built;
    const all = [...built.values()];

    this.workflows = new Workflows(this, 'Workflows', {
      functions: built,
      definitions: definitions.workflows,
      scopeOf: (definition) => stackOfWorkflow.get(definition.name)!.workflowScope,
      key: props.key,
      logRetention: settings.logRetentionDays,
    });
    // One kind of Step Functions rights per way a function uses a workflow.
    const grants: Record<WorkflowUse, (fn: CommerceFunction, workflow: CommerceWorkflow) => void> = {
      startsWorkflows: (fn, workflow) => fn.grantStartWorkflow(workflow),
      stopsWorkflows: (fn, workflow) => fn.grantStopWorkflow(workflow),
      readsWorkflows: (fn, workflow) => fn.grantReadWorkflow(workflow),
      answersWorkflows: (fn, workflow) => fn.grantAnswerWorkflow(workflow),
    };
    for (const fn of all) {
      for (const use of WORKFLOW_USES) {
        for (const name of fn.definition[use] ?? []) {
          grants[use](fn, this.workflows.get(name));
        }
      }
    }
    for (const workflow of this.workflows.stateMachines.values()) {
      new CfnOutput(this, `${workflow.definition.name}StateMachineArn`, {
        value: workflow.stateMachine.stateMachineArn,
        description: `ARN of the ${workflow.definition.name} state machine: ${workflow.definition.description}`,
      });
    }

    const contextOfFunction = new Map(
      groups.flatMap((group) => group.functions.map((fn) => [fn.name, group.name] as const)),
    );
    this.api = new CommerceApi(this, 'CommerceApi', {
      apiName: `connected-commerce-${props.environment}`,
      functions: all,
      contextOf: (name) => contextOfFunction.get(name)!,
      clients: props.clients,
      authorizerFunction: authorizerFunction(all),
      healthRoute: answered.health,
      stageThrottle: settings.apiThrottle,
      expensiveRouteThrottle: settings.expensiveRouteThrottle,
      key: props.key,
      logRetention: settings.logRetentionDays,
      logRemovalPolicy: removalPolicyOf(settings),
    });
    this.edge = new EdgeProtection(this, 'EdgeProtection', {
      stage: this.api.api.deploymentStage,
      rateLimit: settings.wafRateLimit,
    });
    for (const context of contexts.values()) {
      context.useAuthClients({
        clientsJson: props.authClientsJson,
        issuer: props.userPool.userPoolProviderUrl,
        userPoolId: props.userPool.userPoolId,
        tokenUrl: props.tokenUrl,
      });
    }
    this.publishers = new DomainEventPublishers(this, 'DomainEventPublishers', {
      bus: props.bus,
      roles: all.filter((fn) => fn.definition.putsEvents).map((fn) => fn.function.role!),
    });
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the commerce API' });
    for (const [name, { key, principal }] of Object.entries(this.api.apiKeys)) {
      new CfnOutput(this, `ApiKeyId${pascal(name)}`, {
        value: key.keyId,
        description: `API key id of ${name} (${principal}); the value: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }

    const contextStacks = [...contexts.values()];
    this.rules = new Map(contextStacks.flatMap((c) => [...c.eventRules.rules]));
    this.schedules = new Map(contextStacks.flatMap((c) => [...c.eventRules.schedules]));
    this.streamFailureBuckets = new Map(contextStacks.flatMap((c) => [...c.streams.failureBuckets]));
    this.workQueues = new Map(contextStacks.flatMap((c) => [...c.eventRules.workQueues]));

    const deadLetterQueues = this.node
      .findAll()
      .filter((c): c is DeadLetterQueue => c instanceof DeadLetterQueue);
    // The dashboard lives here, next to the API it shows, and reads every nested stack's metrics
    // through their outputs; each alarm lives next to the queue or state machine it watches.
    const intakeRoute = this.api.routeAlarms.get(routeKey(ORDER_INTAKE.route));
    const placeOrder = built.get(ORDER_INTAKE.function);
    const publisher = all.find(
      (fn) =>
        fn.definition.trigger.kind === 'stream' && fn.definition.trigger.tables.includes(ORDER_INTAKE.table),
    );
    if (!intakeRoute || !placeOrder || !publisher) {
      throw new Error(
        `The order intake (${routeKey(ORDER_INTAKE.route)}, ${ORDER_INTAKE.function}, the ${ORDER_INTAKE.table} stream's publisher) is not in the definitions`,
      );
    }
    const streamAlarms = contextStacks.flatMap((c) => [
      ...c.streams.iteratorAgeAlarms.values(),
      ...[...c.streams.failureAlarms.values()].flat(),
    ]);
    this.operations = new OperationsDashboard(this, 'Operations', {
      api: this.api.api,
      functions: all,
      deadLetterQueues,
      workflows: [...this.workflows.stateMachines.values()],
      orderIntake: {
        intakeServerErrors: intakeRoute.serverErrors,
        placeOrderErrors: placeOrder.errorsAlarm,
        ordersStreamIteratorAge: contexts
          .get(contextOfFunction.get(publisher.definition.name)!)!
          .streams.iteratorAgeAlarms.get(publisher.definition.name)!,
        ordersExpectedHourly: settings.ordersExpectedHourly,
      },
      alarms: [...contextStacks.flatMap((c) => c.eventRules.alarms), ...streamAlarms],
      rules: contextStacks.flatMap((c) => c.eventRules.metricDimensions),
    });
    new CfnOutput(this, 'DeadLetterQueueUrls', {
      value: this.toJsonString(
        Object.fromEntries(deadLetterQueues.map((queue) => [queue.label, queue.queueUrl])),
      ),
      description: 'URL of every dead-letter and failure queue, by label (docs/operations.md)',
    });
    new CfnOutput(this, 'StreamFailureBuckets', {
      value: this.toJsonString(
        Object.fromEntries(
          [...this.streamFailureBuckets].map(([name, failures]) => [name, failures.bucket.bucketName]),
        ),
      ),
      description:
        'Bucket of the stream batches each publisher gave up on, by function (npm run replay-stream-failures -- --bucket)',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.operations.dashboard.dashboardName,
      description: 'CloudWatch dashboard for operations (docs/operations.md)',
    });
  }
}

/** The one function whose trigger is `authorizer`: API Gateway's TOKEN authorizer. */
function authorizerFunction(functions: readonly CommerceFunction[]): lambda.IFunction {
  const found = functions.filter((fn) => fn.definition.trigger.kind === 'authorizer');
  if (found.length !== 1) {
    throw new Error(`Expected exactly one function with an authorizer trigger, found ${found.length}`);
  }
  return found[0]!.function;
}
