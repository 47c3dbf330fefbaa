import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { STREAM_RETRY, type TableKey } from '../../shared/platform/definitions';
import type { CommerceFunction } from './commerce-function';
import type { CommerceTable } from './commerce-table';
import { FAILED_BATCHES_METRICS_ID, StreamFailureBucket } from './stream-failure-bucket';

/** Properties of {@link StreamSubscriptions}. */
export interface StreamSubscriptionsProps {
  /** Every function; those with a `stream` trigger are subscribed. */
  readonly functions: Iterable<CommerceFunction>;
  /** The tables, by key. */
  readonly tables: Readonly<Record<TableKey, CommerceTable>>;
  /** The environment's customer-data key, for the on-failure buckets. */
  readonly key: kms.IKey;
}

/**
 * Age of the newest record a subscribed function has read, past which events are stuck: the
 * publisher normally keeps up within seconds, and records are dropped to the failure queue at the
 * stream's retention of 24 hours.
 */
export const ITERATOR_AGE_THRESHOLD = Duration.minutes(5);

/**
 * Subscribes each function with a `stream` trigger (the outbox publisher) to the streams of the
 * tables it lists. A record the function keeps failing on is retried a bounded number of times,
 * the failing batch is split in two to isolate it, and then the batch, records included, goes to an
 * on-failure bucket so the shard moves on; `npm run replay-stream-failures` puts it through again.
 * A batch older than the maximum record age (6 hours, the stream keeps 24) goes there too.
 */
export class StreamSubscriptions extends Construct {
  /** On-failure destination of each subscribed function, by function name. */
  public readonly failureBuckets: ReadonlyMap<string, StreamFailureBucket>;
  /**
   * Per subscribed function: a batch was just written to its failure bucket (S3 PutRequests, within
   * minutes), and batches still wait there (S3's daily NumberOfObjects, so the signal lasts until
   * they are replayed and deleted).
   */
  public readonly failureAlarms: ReadonlyMap<string, readonly cloudwatch.Alarm[]>;
  /**
   * Iterator age of each subscribed function, by function name. Lambda reports IteratorAge per
   * function, not per event source mapping: one alarm covers every table the function reads.
   */
  public readonly iteratorAgeAlarms: ReadonlyMap<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: StreamSubscriptionsProps) {
    super(scope, id);
    const failureBuckets = new Map<string, StreamFailureBucket>();
    const iteratorAgeAlarms = new Map<string, cloudwatch.Alarm>();
    const failureAlarms = new Map<string, cloudwatch.Alarm[]>();
    for (const fn of props.functions) {
      const { trigger } = fn.definition;
      if (trigger.kind !== 'stream') {
        continue;
      }
      const failures = new StreamFailureBucket(this, `${fn.definition.name}StreamFailureBucket`, {
        label: `${fn.definition.name} stream failures`,
        key: props.key,
      });
      for (const key of trigger.tables) {
        const table = props.tables[key];
        if (!table) throw new Error(`${fn.definition.name} subscribes to table ${key}, which is not defined`);
        // The publisher tells records apart by the table in the stream ARN: it needs every name.
        fn.function.addEnvironment(table.definition.envVar, table.tableName);
        fn.function.addEventSource(
          new sources.DynamoEventSource(table, {
            // Start from the oldest record still in the stream: an outbox must not skip events.
            startingPosition: lambda.StartingPosition.TRIM_HORIZON,
            batchSize: 100,
            maxBatchingWindow: Duration.seconds(1),
            reportBatchItemFailures: true,
            bisectBatchOnError: true,
            retryAttempts: STREAM_RETRY.retryAttempts,
            maxRecordAge: Duration.seconds(STREAM_RETRY.maxRecordAgeSeconds),
            onFailure: failures.destination(),
          }),
        );
      }
      failureBuckets.set(fn.definition.name, failures);
      failureAlarms.set(fn.definition.name, [
        new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName: 'PutRequests',
          dimensionsMap: { BucketName: failures.bucket.bucketName, FilterId: FAILED_BATCHES_METRICS_ID },
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }).createAlarm(failures, 'FailedBatchAlarm', {
          alarmDescription: `${fn.definition.name} gave up on a stream batch: its events are not published until it is replayed (npm run replay-stream-failures). Runbook: docs/operations.md (3.3).`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        // S3 reports the object count once a day: this one stays in alarm while a batch waits.
        new cloudwatch.Metric({
          namespace: 'AWS/S3',
          metricName: 'NumberOfObjects',
          dimensionsMap: { BucketName: failures.bucket.bucketName, StorageType: 'AllStorageTypes' },
          period: Duration.days(1),
          statistic: cloudwatch.Stats.AVERAGE,
        }).createAlarm(failures, 'WaitingBatchesAlarm', {
          alarmDescription: `${fn.definition.name}: stream batches still wait in its failure bucket, unpublished; replay them (npm run replay-stream-failures --delete). Runbook: docs/operations.md (3.3).`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ]);
      iteratorAgeAlarms.set(
        fn.definition.name,
        fn.function
          .metric('IteratorAge', { period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM })
          .createAlarm(fn, 'IteratorAgeAlarm', {
            alarmDescription: `${fn.definition.name} is behind on the streams of ${trigger.tables.join(', ')}: events are stuck (IteratorAge over ${ITERATOR_AGE_THRESHOLD.toMinutes()} minutes). Runbook: docs/operations.md.`,
            threshold: ITERATOR_AGE_THRESHOLD.toMilliseconds(),
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
      );
    }
    this.failureBuckets = failureBuckets;
    this.failureAlarms = failureAlarms;
    this.iteratorAgeAlarms = iteratorAgeAlarms;
  }
}
