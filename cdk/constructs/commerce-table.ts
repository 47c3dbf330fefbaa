import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { TableDefinition } from '../../shared/platform/definitions';

/**
 * A DynamoDB table built from its entry in `tables` (`shared/platform/definitions.ts`).
 *
 * The settings are the same for every context: on-demand capacity, point-in-time recovery, a
 * NEW_AND_OLD_IMAGES stream (the outbox the publisher reads), TTL on `ttl`, AWS-managed encryption,
 * deletion protection and RETAIN, because an order or a stock position lost to a stack update
 * cannot be rebuilt from anywhere else.
 */
export class CommerceTable extends dynamodb.Table {
  /** The definition this table was built from; grants and env vars are derived from it. */
  public readonly definition: TableDefinition;

  constructor(scope: Construct, definition: TableDefinition) {
    super(scope, definition.id, {
      partitionKey: { name: definition.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: definition.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: definition.ttlAttribute,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
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
  }

  /** ARNs of the table and of each of its indexes, named one by one (no `/index/*` wildcard). */
  public get dataArns(): string[] {
    return [
      this.tableArn,
      ...this.definition.indexes.map((index) => `${this.tableArn}/index/${index.indexName}`),
    ];
  }
}
