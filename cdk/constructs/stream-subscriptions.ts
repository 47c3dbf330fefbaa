import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { STREAM_RETRY, type TableKey } from '../../shared/platform/definitions';
import type { CommerceFunction } from './commerce-function';
import type { CommerceTable } from './commerce-table';
import { DeadLetterQueue } from './dead-letter-queue';

/** Properties of {@link StreamSubscriptions}. */
export interface StreamSubscriptionsProps {
  /** Every function; those with a `stream` trigger are subscribed. */
  readonly functions: Iterable<CommerceFunction>;
  /** The tables, by key. */
  readonly tables: Readonly<Record<TableKey, CommerceTable>>;
  /** The environment's customer-data key, for the on-failure queues. */
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
 * the failing batch is split in two to isolate it, and then its position (not the record itself)
 * goes to an on-failure queue so the shard moves on.
 */
export class StreamSubscriptions extends Construct {
  /** On-failure destination of each subscribed function, by function name. */
  public readonly failureQueues: ReadonlyMap<string, DeadLetterQueue>;
  /**
   * Iterator age of each subscribed function, by function name. Lambda reports IteratorAge per
   * function, not per event source mapping: one alarm covers every table the function reads.
   */
  public readonly iteratorAgeAlarms: ReadonlyMap<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: StreamSubscriptionsProps) {
    super(scope, id);
    const failureQueues = new Map<string, DeadLetterQueue>();
    const iteratorAgeAlarms = new Map<string, cloudwatch.Alarm>();
    for (const fn of props.functions) {
      const { trigger } = fn.definition;
      if (trigger.kind !== 'stream') {
        continue;
      }
      const queue = new DeadLetterQueue(this, `${fn.definition.name}StreamFailures`, {
        label: `${fn.definition.name} stream failures`,
        purpose: `stream batches ${fn.definition.name} could not process (shard, sequence numbers)`,
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
            onFailure: new sources.SqsDlq(queue),
          }),
        );
      }
      failureQueues.set(fn.definition.name, queue);
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
    this.failureQueues = failureQueues;
    this.iteratorAgeAlarms = iteratorAgeAlarms;
  }
}
