import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CommerceFunction } from './commerce-function';
import type { DeadLetterQueue } from './dead-letter-queue';
import type { CommerceWorkflow } from './workflows';

/** Properties of an {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** The commerce REST API. */
  readonly api: apigw.RestApi;
  /** Every function. */
  readonly functions: readonly CommerceFunction[];
  /** Every dead-letter and failure queue; each gets an alarm. */
  readonly deadLetterQueues: readonly DeadLetterQueue[];
  /** Every workflow; each gets an alarm on failed and one on timed-out executions. */
  readonly workflows?: readonly CommerceWorkflow[];
}

const PERIOD = Duration.minutes(1);

/**
 * The operations view in the CloudWatch console: API traffic, errors and latency, function errors,
 * throttles and the publisher's stream lag, dead-letter queue depth, workflow executions, an alarm per
 * dead-letter queue that fires as soon as one message is waiting there, and per workflow an alarm as
 * soon as one execution failed or timed out (no SNS topic: the alarm state is what the console shows;
 * add actions per deployment).
 *
 * Aborted executions raise no alarm: cancelling an order stops its executions by design.
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** One alarm per dead-letter queue. */
  public readonly deadLetterAlarms: readonly cloudwatch.Alarm[];
  /** Per workflow, an alarm on failed and one on timed-out executions. */
  public readonly workflowAlarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { api } = props;

    this.deadLetterAlarms = props.deadLetterQueues.map((queue) =>
      queue
        .metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(queue, 'DepthAlarm', {
          alarmDescription: `${queue.label}: messages waiting, ${queue.purpose}. Runbook: docs/operations.md.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );

    const workflows = props.workflows ?? [];
    this.workflowAlarms = workflows.flatMap((workflow) =>
      [
        { id: 'FailedAlarm', metric: workflow.stateMachine.metricFailed(), what: 'failed' },
        { id: 'TimedOutAlarm', metric: workflow.stateMachine.metricTimedOut(), what: 'timed out' },
      ].map(({ id, metric, what }) =>
        metric.with({ period: PERIOD, statistic: cloudwatch.Stats.SUM }).createAlarm(workflow, id, {
          alarmDescription: `${workflow.definition.name}: an execution ${what}. Find it in the Step Functions console: this state machine, Executions, filtered by that status; executions are named after their business id (an order id, a group id). Runbook: docs/deploy.md.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ),
    );
    const byWorkflow = (what: string, metric: (machine: sfn.StateMachine) => cloudwatch.Metric) =>
      workflows.map((workflow) =>
        metric(workflow.stateMachine).with({
          period: PERIOD,
          statistic: cloudwatch.Stats.SUM,
          label: `${workflow.definition.name} ${what}`,
        }),
      );

    const byFunction = (metric: (fn: CommerceFunction) => cloudwatch.IMetric): cloudwatch.IMetric[] =>
      props.functions.map(metric);
    const streamConsumers = props.functions.filter((fn) => fn.definition.trigger.kind === 'stream');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown:
              '# connected-commerce operations\nAPI, functions, dead-letter queues and workflows. Runbook: `docs/operations.md`; workflows: `docs/deploy.md`.',
            width: 24,
            height: 2,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and errors',
            left: [
              api.metricCount({ period: PERIOD, label: 'requests' }),
              api.metricClientError({ period: PERIOD, label: '4xx' }),
              api.metricServerError({ period: PERIOD, label: '5xx' }),
            ],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency (ms)',
            left: [
              api.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
              api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
              api.metricIntegrationLatency({ period: PERIOD, statistic: 'p99', label: 'integration p99' }),
            ],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Function errors',
            left: byFunction((fn) =>
              fn.function.metricErrors({ period: PERIOD, label: fn.definition.name, statistic: 'Sum' }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles',
            left: byFunction((fn) =>
              fn.function.metricThrottles({ period: PERIOD, label: fn.definition.name, statistic: 'Sum' }),
            ),
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'Stream publisher lag (IteratorAge, ms)',
            left: streamConsumers.map((fn) =>
              fn.function.metric('IteratorAge', {
                period: PERIOD,
                statistic: cloudwatch.Stats.MAXIMUM,
                label: fn.definition.name,
              }),
            ),
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Dead-letter queue depth',
            left: props.deadLetterQueues.map((queue) =>
              queue.metricApproximateNumberOfMessagesVisible({
                period: PERIOD,
                statistic: cloudwatch.Stats.MAXIMUM,
                label: queue.label,
              }),
            ),
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Dead-letter alarms',
            alarms: [...this.deadLetterAlarms],
            width: 12,
          }),
        ],
        ...(workflows.length === 0
          ? []
          : [
              [
                new cloudwatch.GraphWidget({
                  title: 'Workflow executions',
                  left: [
                    ...byWorkflow('started', (m) => m.metricStarted()),
                    ...byWorkflow('succeeded', (m) => m.metricSucceeded()),
                    ...byWorkflow('aborted (cancelled)', (m) => m.metricAborted()),
                  ],
                  right: [
                    ...byWorkflow('failed', (m) => m.metricFailed()),
                    ...byWorkflow('timed out', (m) => m.metricTimedOut()),
                  ],
                  width: 12,
                }),
                new cloudwatch.AlarmStatusWidget({
                  title: 'Workflow alarms',
                  alarms: [...this.workflowAlarms],
                  width: 12,
                }),
              ],
            ]),
      ],
    });
  }
}
