import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type TableKey, tables } from '../../shared/platform/definitions';
import { CommerceTable } from '../constructs/commerce-table';

/**
 * The stateful half: one table per context, the event bus with an archive of every event, and the
 * audit log group. Nothing here depends on the API stack, so functions and routes can be replaced,
 * or the API stack destroyed and redeployed, without touching a byte of data.
 */
export class DataStack extends Stack {
  /** The tables, by their key in `tables`. */
  public readonly tables: Record<TableKey, CommerceTable>;
  /** The `commerce` bus: domain events out, marketplace events in. */
  public readonly bus: events.EventBus;
  /** Every domain event, as written by the `CommerceAudit` rule. */
  public readonly auditLog: logs.LogGroup;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, {
      description: 'connected-commerce: tables, event bus, event archive and audit log (stateful)',
      ...props,
    });

    const built = {} as Record<TableKey, CommerceTable>;
    for (const definition of Object.values(tables)) {
      built[definition.key] = new CommerceTable(this, definition);
    }
    this.tables = built;

    // No eventBusName: CloudFormation generates a unique one, so two deployments never collide.
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'connected-commerce domain events (commerce.*) and marketplace events (marketplace.*)',
    });
    this.bus.archive('Archive', {
      description: 'Every event on the commerce bus, for replay after a consumer bug or outage',
      // An archive needs a pattern; every event on this bus comes from this account.
      eventPattern: { account: [this.account] },
      retention: Duration.days(90),
    });

    this.auditLog = new logs.LogGroup(this, 'AuditLog', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A native resource policy, rather than the custom resource the CloudWatchLogGroup target adds,
    // so EventBridge may write to the log group without a Lambda-backed custom resource.
    this.auditLog.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.auditLog.logGroupArn],
      }),
    );

    new CfnOutput(this, 'EventBusName', {
      value: this.bus.eventBusName,
      description: 'Name of the commerce bus',
    });
    new CfnOutput(this, 'EventBusArn', {
      value: this.bus.eventBusArn,
      description: 'ARN of the commerce bus',
    });
    for (const table of Object.values(this.tables)) {
      new CfnOutput(this, `${table.definition.id}TableName`, {
        value: table.tableName,
        description: `Name of the ${table.definition.key} table`,
      });
    }
    new CfnOutput(this, 'AuditLogGroupName', {
      value: this.auditLog.logGroupName,
      description: 'Log group holding every commerce.* event',
    });
  }
}
