import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { functions, type TableKey, WORKFLOW_USES, type WorkflowUse } from '../../shared/platform/definitions';
import { apiClientsOf } from '../config';
import { CommerceApi, pascal } from '../constructs/commerce-api';
import { CommerceFunction } from '../constructs/commerce-function';
import type { CommerceTable } from '../constructs/commerce-table';
import { DeadLetterQueue } from '../constructs/dead-letter-queue';
import { EventRules } from '../constructs/event-rules';
import { OperationsDashboard } from '../constructs/operations-dashboard';
import { StreamSubscriptions } from '../constructs/stream-subscriptions';
import { type CommerceWorkflow, Workflows } from '../constructs/workflows';

/** What the API stack takes from the data stack. */
export interface ApiStackProps extends StackProps {
  /** The tables, by key. */
  readonly tables: Readonly<Record<TableKey, CommerceTable>>;
  /** The commerce bus. */
  readonly bus: events.IEventBus;
  /** Target of the audit rule. */
  readonly auditLog: logs.ILogGroup;
}

/**
 * The stateless half: one Lambda function per entry of `functions`, with grants from its `reads`,
 * `writes`, `putsEvents` and what it does with workflows (`startsWorkflows`, `stopsWorkflows`,
 * `readsWorkflows`, `answersWorkflows`); one state machine per entry of `workflows`; the REST API
 * with per-channel keys; the bus rules, the schedule and the stream subscriptions of the outbox
 * publisher, each with a dead-letter queue; and the operations dashboard with an alarm per
 * dead-letter queue and per workflow. Safe to destroy and redeploy: it holds no data beyond what sits
 * in dead-letter queues (and running executions, which a destroy stops).
 *
 * The state machines live here, next to the functions they invoke and that use them: the data
 * stack knows nothing of either, so the two stacks keep a one-way dependency.
 */
export class ApiStack extends Stack {
  /** The functions, by definition name. */
  public readonly functions: ReadonlyMap<string, CommerceFunction>;
  /** The REST API with its keys and usage plans. */
  public readonly api: CommerceApi;
  /** Bus rules and schedules. */
  public readonly eventRules: EventRules;
  /** Stream subscriptions of the outbox publisher. */
  public readonly streams: StreamSubscriptions;
  /** The workflows' state machines. */
  public readonly workflows: Workflows;
  /** Dashboard, dead-letter and workflow alarms. */
  public readonly operations: OperationsDashboard;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, {
      description:
        'connected-commerce: functions, workflows, REST API, event rules, schedule, stream publisher, dashboard',
      ...props,
    });

    const built = new Map<string, CommerceFunction>();
    for (const definition of functions) {
      const fn = new CommerceFunction(this, definition.name, { definition });
      const tableKeys = new Set<TableKey>([...definition.reads, ...definition.writes]);
      for (const key of tableKeys) {
        const table = props.tables[key];
        if (!table) throw new Error(`${definition.name} uses table ${key}, which is not defined`);
        fn.grantTable(table, {
          read: definition.reads.includes(key),
          write: definition.writes.includes(key),
        });
      }
      if (definition.putsEvents) {
        fn.grantPutEvents(props.bus);
      }
      built.set(definition.name, fn);
    }
    this.functions = built;
    const all = [...built.values()];

    this.workflows = new Workflows(this, 'Workflows', { functions: built });
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

    this.api = new CommerceApi(this, 'CommerceApi', { functions: all, clients: apiClientsOf(this) });
    new CfnOutput(this, 'ApiUrl', { value: this.api.api.url, description: 'Base URL of the commerce API' });
    for (const [name, { key, principal }] of Object.entries(this.api.apiKeys)) {
      new CfnOutput(this, `ApiKeyId${pascal(name)}`, {
        value: key.keyId,
        description: `API key id of ${name} (${principal}); the value: aws apigateway get-api-key --include-value --api-key <id>`,
      });
    }
    this.eventRules = new EventRules(this, 'EventRules', {
      bus: props.bus,
      functions: built,
      auditLog: props.auditLog,
    });
    this.streams = new StreamSubscriptions(this, 'StreamSubscriptions', {
      functions: all,
      tables: props.tables,
    });

    const deadLetterQueues = this.node
      .findAll()
      .filter((c): c is DeadLetterQueue => c instanceof DeadLetterQueue);
    this.operations = new OperationsDashboard(this, 'Operations', {
      api: this.api.api,
      functions: all,
      deadLetterQueues,
      workflows: [...this.workflows.stateMachines.values()],
    });
    new CfnOutput(this, 'DeadLetterQueueUrls', {
      value: this.toJsonString(
        Object.fromEntries(deadLetterQueues.map((queue) => [queue.label, queue.queueUrl])),
      ),
      description: 'URL of every dead-letter and failure queue, by label (docs/operations.md)',
    });
    new CfnOutput(this, 'DashboardName', {
      value: this.operations.dashboard.dashboardName,
      description: 'CloudWatch dashboard for operations (docs/operations.md)',
    });
  }
}
