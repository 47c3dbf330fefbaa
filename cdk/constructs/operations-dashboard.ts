import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { CommerceFunction } from './commerce-function';
import type { DeadLetterQueue } from './dead-letter-queue';

/** Properties of an {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** The commerce REST API. */
  readonly api: apigw.RestApi;
  /** Every function. */
  readonly functions: readonly CommerceFunction[];
  /** Every dead-letter and failure queue; each gets an alarm. */
  readonly deadLetterQueues: readonly DeadLetterQueue[];
}

const PERIOD = Duration.minutes(1);

/**
 * The operations view in the CloudWatch console: API traffic, errors and latency, function errors,
 * throttles and the publisher's stream lag, dead-letter queue depth, and an alarm per dead-letter
 * queue that fires as soon as one message is waiting there (no SNS topic: the alarm state is
 * what the console shows; add actions per deployment).
 */
export class OperationsDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** One alarm per dead-letter queue. */
  public readonly deadLetterAlarms: readonly cloudwatch.Alarm[];

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

    const byFunction = (metric: (fn: CommerceFunction) => cloudwatch.IMetric): cloudwatch.IMetric[] =>
      props.functions.map(metric);
    const streamConsumers = props.functions.filter((fn) => fn.definition.trigger.kind === 'stream');

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown:
              '# connected-commerce operations\nAPI, functions and dead-letter queues. Runbook: `docs/operations.md`.',
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
      ],
    });
  }
}
