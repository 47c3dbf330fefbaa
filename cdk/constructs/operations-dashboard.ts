import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BUSINESS_METRICS as METRIC, METRICS_NAMESPACE } from '../../shared/platform/metrics';
import { type CommerceFunction, SERVICE_NAME } from './commerce-function';
import type { DeadLetterQueue } from './dead-letter-queue';
import type { CommerceWorkflow } from './workflows';

/** Where the handlers' business metrics are (Powertools Metrics): namespace and the `service` dimension. */
export const BUSINESS_METRICS = { namespace: METRICS_NAMESPACE, service: SERVICE_NAME } as const;

/** The signals of the order intake the composite "orders are not flowing" alarm combines. */
export interface OrderIntakeSignals {
  /** 5xx responses of POST /orders. */
  readonly intakeServerErrors: cloudwatch.IAlarm;
  /** Errors of the PlaceOrder function. */
  readonly placeOrderErrors: cloudwatch.IAlarm;
  /** Iterator age of the publisher reading the orders table's stream. */
  readonly ordersStreamIteratorAge: cloudwatch.IAlarm;
  /**
   * Orders are expected every hour, so an hour without `OrdersPlaced` breaches (prod); elsewhere a
   * missing datapoint is not an incident.
   */
  readonly ordersExpectedHourly: boolean;
}

/** Messages older than this in a dead-letter queue mean nobody has looked: two days, well within its 14. */
export const DEAD_LETTER_AGE_THRESHOLD = Duration.days(2);

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
  /** The order intake's alarms, combined into "orders are not flowing". */
  readonly orderIntake: OrderIntakeSignals;
  /** Rule and stream alarms the dashboard shows the state of, next to the dead-letter alarms. */
  readonly alarms?: readonly cloudwatch.IAlarm[];
  /** Every rule (bus rules and schedules), by name, with the dimensions EventBridge reports it under. */
  readonly rules?: ReadonlyArray<{ name: string; dimensions: Record<string, string> }>;
}

const PERIOD = Duration.minutes(1);

/**
 * The operations view in the CloudWatch console, in the order an operator asks: are orders flowing,
 * per channel (`OrdersPlaced`, and the composite alarm "orders are not flowing")? Is stock short
 * (`InsufficientStockRefusals`)? Are events stuck (publisher lag, dead-letter queues, failed rule
 * invocations)? Then API traffic, errors and latency, function errors and throttles, workflows.
 *
 * The alarms here: per dead-letter queue one as soon as a message waits and one when the oldest has
 * waited two days; per workflow one as soon as an execution failed or timed out; the business alarm
 * on `OrdersPlaced`; and the composite. Like every alarm, they notify the environment's topic.
 * Aborted executions raise no alarm: cancelling an order stops its executions by design.
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** One alarm per dead-letter queue. */
  public readonly deadLetterAlarms: readonly cloudwatch.Alarm[];
  /** One alarm per dead-letter queue on the age of its oldest message. */
  public readonly deadLetterAgeAlarms: readonly cloudwatch.Alarm[];
  /** One alarm per redrive source queue on the age of its oldest message. */
  public readonly redriveAgeAlarms: readonly cloudwatch.Alarm[];
  /** Per workflow, an alarm on failed and one on timed-out executions. */
  public readonly workflowAlarms: readonly cloudwatch.Alarm[];
  /** No order placed in an hour, from the handlers' `OrdersPlaced` metric. */
  public readonly noOrdersAlarm: cloudwatch.Alarm;
  /** "Orders are not flowing": any signal of the order intake. */
  public readonly ordersNotFlowing: cloudwatch.CompositeAlarm;

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

    this.deadLetterAgeAlarms = props.deadLetterQueues.map((queue) =>
      queue
        .metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(queue, 'AgeAlarm', {
          alarmDescription: `${queue.label}: a message has waited over ${DEAD_LETTER_AGE_THRESHOLD.toDays()} days, ${queue.purpose}; it is deleted after 14. Runbook: docs/operations.md.`,
          threshold: DEAD_LETTER_AGE_THRESHOLD.toSeconds(),
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );

    // A redrive parks messages in the source queue for an operator to replay by hand; nothing reads
    // it, and after 14 days SQS deletes what is left. A message forgotten there for two days alarms.
    // A work queue's source is read by its function: a message older than its threshold there means
    // the function is not keeping up (or its event source mapping is off).
    this.redriveAgeAlarms = props.deadLetterQueues.map((queue) =>
      queue.redriveSource
        .metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(queue.redriveSource, 'AgeAlarm', {
          alarmDescription: queue.workQueue
            ? `${queue.workQueue.name}: a message has waited over ${queue.workQueue.ageAlarmThreshold.toMinutes()} minutes to be processed: the consumer fails or its trigger is off. Runbook: docs/operations.md (2.7).`
            : `${queue.label}, redriven: a message has waited over ${DEAD_LETTER_AGE_THRESHOLD.toDays()} days to be replayed; it is deleted after 14. Runbook: docs/operations.md (3.1).`,
          threshold: (queue.workQueue?.ageAlarmThreshold ?? DEAD_LETTER_AGE_THRESHOLD).toSeconds(),
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
    );

    const business = (metricName: string, label: string, period = PERIOD) =>
      new cloudwatch.Metric({
        namespace: BUSINESS_METRICS.namespace,
        metricName,
        dimensionsMap: { service: BUSINESS_METRICS.service },
        statistic: cloudwatch.Stats.SUM,
        period,
        label,
      });
    /** The metric per channel, whichever channels the handlers emit it for (a `channel` dimension). */
    const perChannel = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${BUSINESS_METRICS.namespace},channel,service} MetricName="${metricName}" service="${BUSINESS_METRICS.service}"', 'Sum', 300)`,
        label: '',
        period: Duration.minutes(5),
      });

    const { orderIntake } = props;
    // Powertools writes no datapoint for a metric no invocation added: an hour without orders is an
    // hour without data, so where orders are expected every hour, missing data is the signal.
    this.noOrdersAlarm = business(METRIC.ordersPlaced, 'orders placed', Duration.hours(1)).createAlarm(
      this,
      'NoOrdersAlarm',
      {
        alarmDescription:
          'No order was placed in the last hour (OrdersPlaced, every channel). Check the intake: POST /orders, PlaceOrder, the marketplace intake. Runbook: docs/operations.md.',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: orderIntake.ordersExpectedHourly
          ? cloudwatch.TreatMissingData.BREACHING
          : cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    this.ordersNotFlowing = new cloudwatch.CompositeAlarm(this, 'OrdersNotFlowing', {
      compositeAlarmName: `${Stack.of(this).stackName}-orders-are-not-flowing`,
      alarmDescription:
        'Orders are not flowing: POST /orders answers 5xx, PlaceOrder fails, the orders stream is not being published, or no order was placed in an hour. The member alarm in ALARM says which. Runbook: docs/operations.md.',
      alarmRule: cloudwatch.AlarmRule.anyOf(
        orderIntake.intakeServerErrors,
        orderIntake.placeOrderErrors,
        orderIntake.ordersStreamIteratorAge,
        this.noOrdersAlarm,
      ),
    });

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
            title: 'Are orders flowing? Orders placed per channel (5 min)',
            left: [perChannel(METRIC.ordersPlaced), business(METRIC.ordersPlaced, 'all channels')],
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Order intake',
            alarms: [
              this.ordersNotFlowing,
              orderIntake.intakeServerErrors,
              orderIntake.placeOrderErrors,
              orderIntake.ordersStreamIteratorAge,
              this.noOrdersAlarm,
            ],
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Is stock short? Orders refused for insufficient stock, per channel (5 min)',
            left: [perChannel(METRIC.insufficientStock), business(METRIC.insufficientStock, 'all channels')],
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Are events stuck? Publisher lag (IteratorAge, ms)',
            left: streamConsumers.map((fn) =>
              fn.function.metric('IteratorAge', {
                period: PERIOD,
                statistic: cloudwatch.Stats.MAXIMUM,
                label: fn.definition.name,
              }),
            ),
            width: 12,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Are events stuck? Rule invocations failed for good',
            left: (props.rules ?? []).map(
              ({ name, dimensions }) =>
                new cloudwatch.Metric({
                  namespace: 'AWS/Events',
                  metricName: 'FailedInvocations',
                  dimensionsMap: dimensions,
                  period: PERIOD,
                  statistic: cloudwatch.Stats.SUM,
                  label: name,
                }),
            ),
            width: 12,
          }),
          new cloudwatch.AlarmStatusWidget({
            title: 'Events: dead-letter and rule alarms',
            alarms: [
              ...this.deadLetterAlarms,
              ...this.deadLetterAgeAlarms,
              ...this.redriveAgeAlarms,
              ...(props.alarms ?? []),
            ],
            width: 12,
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
            width: 12,
          }),
          new cloudwatch.GraphWidget({
            title: 'Function throttles',
            left: byFunction((fn) =>
              fn.function.metricThrottles({ period: PERIOD, label: fn.definition.name, statistic: 'Sum' }),
            ),
            width: 12,
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
            width: 24,
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
