import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { TableDefinition } from '../../shared/platform/definitions';

/** Properties of a {@link CommerceTable}. */
export interface CommerceTableProps {
  /** The environment's customer-data key. */
  readonly key: kms.IKey;
  /** The environment's: `retain` also turns on deletion protection. */
  readonly removalPolicy: RemovalPolicy;
}

/** The operations the functions call, each reporting its own SystemErrors (an alarm takes at most 10 metrics). */
const OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.BATCH_GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.SCAN,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
  dynamodb.Operation.TRANSACT_GET_ITEMS,
];

const ALARM_PERIOD = Duration.minutes(5);

/**
 * A DynamoDB table built from its entry in `tables` (`shared/platform/definitions.ts`).
 *
 * The settings are the same for every context: on-demand capacity, point-in-time recovery, a
 * NEW_AND_OLD_IMAGES stream (the outbox the publisher reads), TTL on `ttl`, encryption with the
 * environment's customer-managed key, and the environment's removal policy: in prod RETAIN with
 * deletion protection, because an order or a stock position lost to a stack update cannot be
 * rebuilt from anywhere else.
 *
 * Two alarms: throttled reads or writes (on-demand tables throttle too, past their previous peak or a
 * hot partition), and DynamoDB's own errors.
 */
export class CommerceTable extends dynamodb.Table {
  /** The definition this table was built from; grants and env vars are derived from it. */
  public readonly definition: TableDefinition;
  /** Read or write throttle events in five minutes. */
  public readonly throttlesAlarm: cloudwatch.Alarm;
  /** SystemErrors (HTTP 500 from DynamoDB) on any operation in five minutes. */
  public readonly systemErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, definition: TableDefinition, props: CommerceTableProps) {
    super(scope, definition.id, {
      partitionKey: { name: definition.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: definition.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: definition.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: props.removalPolicy,
    });
    this.definition = definition;
    for (const index of definition.indexes) {
      this.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    const throttleEvents = (metricName: string) =>
      this.metric(metricName, { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM });
    this.throttlesAlarm = new cloudwatch.MathExpression({
      expression: 'reads + writes',
      usingMetrics: {
        reads: throttleEvents('ReadThrottleEvents'),
        writes: throttleEvents('WriteThrottleEvents'),
      },
      period: ALARM_PERIOD,
      label: `${definition.key} throttle events`,
    }).createAlarm(this, 'ThrottlesAlarm', {
      alarmDescription: `Table ${definition.key}: requests were throttled. Runbook: docs/operations.md.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.systemErrorsAlarm = new cloudwatch.Alarm(this, 'SystemErrorsAlarm', {
      metric: this.metricSystemErrorsForOperations({ operations: OPERATIONS, period: ALARM_PERIOD }),
      alarmDescription: `Table ${definition.key}: DynamoDB answered with internal errors. Runbook: docs/operations.md.`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** ARNs of the table and of each of its indexes, named one by one (no `/index/*` wildcard). */
  public get dataArns(): string[] {
    return [
      this.tableArn,
      ...this.definition.indexes.map((index) => `${this.tableArn}/index/${index.indexName}`),
    ];
  }
}
