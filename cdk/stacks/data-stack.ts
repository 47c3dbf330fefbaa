import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type ContextDefinition, type TableKey, tables } from '../../shared/platform/definitions';
import type { ApiClient, EnvironmentSettings } from '../config';
import { AlarmTopic } from '../constructs/alarm-topic';
import { type Marketplace, MarketplaceAccess } from '../constructs/bus-access';
import { pascal } from '../constructs/commerce-api';
import { CommerceAuth } from '../constructs/commerce-auth';
import { CommerceTable } from '../constructs/commerce-table';
import { CustomerDataKey } from '../constructs/customer-data-key';

/** What the data stack is built from. */
export interface DataStackProps extends StackProps {
  /** The environment's name (`dev`), in the Cognito domain. */
  readonly environment: string;
  /** The environment's settings. */
  readonly settings: EnvironmentSettings;
  /** The contexts whose routes' scopes the user pool's resource servers declare. */
  readonly contexts: readonly ContextDefinition[];
  /** The API clients: one app client each. */
  readonly clients: readonly ApiClient[];
  /** The marketplaces that put events on the bus, with their accounts. */
  readonly marketplaces: readonly Marketplace[];
}

/** CloudFormation's removal policy for the environment's setting. */
export const removalPolicyOf = (settings: EnvironmentSettings): RemovalPolicy =>
  settings.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

/**
 * The stateful half: the customer-data key, one table per context, the event bus with an archive of
 * every event and the statements of its policy that let each marketplace put its own events only,
 * the audit log group, the user pool with the API clients' credentials, and the alarm topic. Nothing
 * here depends on the API stack, so functions and routes can be replaced, or the API stack destroyed
 * and redeployed, without touching a byte of data or a client's secret.
 */
export class DataStack extends Stack {
  /** Encrypts the tables, queues, archive, logs and alarm topic of the environment. */
  public readonly key: CustomerDataKey;
  /** Every alarm of the environment notifies it. */
  public readonly alarms: AlarmTopic;
  /** The tables, by their key in `tables`. */
  public readonly tables: Record<TableKey, CommerceTable>;
  /** The `commerce` bus: domain events out, marketplace events in. */
  public readonly bus: events.EventBus;
  /** Every event on the bus, for replay. */
  public readonly archive: events.Archive;
  /** Every domain event, as written by the `CommerceAudit` rule. */
  public readonly auditLog: logs.LogGroup;
  /** The user pool, its token endpoint and the API clients' app clients. */
  public readonly auth: CommerceAuth;
  /** The marketplaces' roles and bus policy statements. */
  public readonly marketplaceAccess: MarketplaceAccess;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, {
      description:
        'connected-commerce: key, tables, event bus, event archive, audit log, user pool and alarm topic (stateful)',
      ...props,
    });
    const { settings } = props;
    const removalPolicy = removalPolicyOf(settings);

    this.key = new CustomerDataKey(this, 'CustomerDataKey');
    this.alarms = new AlarmTopic(this, 'Alarms', { key: this.key, emails: settings.alarmEmails });

    const built = {} as Record<TableKey, CommerceTable>;
    for (const definition of Object.values(tables)) {
      built[definition.key] = new CommerceTable(this, definition, { key: this.key, removalPolicy });
    }
    this.tables = built;

    // No eventBusName: CloudFormation generates a unique one, so two deployments never collide.
    this.bus = new events.EventBus(this, 'Bus', {
      description: 'connected-commerce domain events (commerce.*) and marketplace events (marketplace.*)',
    });
    // Built in the bus's scope, where `bus.archive()` would put it: the same logical id as before.
    this.archive = new events.Archive(this.bus, 'Archive', {
      sourceEventBus: this.bus,
      description: "The system's own events (commerce.*), for replay after a consumer bug or outage",
      // The system's events only: they carry references, never contact details. A marketplace's order
      // carries its buyer's email, phone and address as the marketplace sent them, which 90 days of
      // archive would keep beyond reach of erasure; a failed one waits in its rule's dead-letter queue.
      eventPattern: { source: events.Match.prefix('commerce.') },
      retention: Duration.days(90),
      kmsKey: this.key,
    });
    this.marketplaceAccess = new MarketplaceAccess(this, 'Marketplaces', {
      bus: this.bus,
      marketplaces: props.marketplaces,
    });

    this.auditLog = new logs.LogGroup(this, 'AuditLog', {
      retention: settings.logRetentionDays,
      removalPolicy,
      encryptionKey: this.key,
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

    this.auth = new CommerceAuth(this, 'Auth', {
      contexts: props.contexts,
      clients: props.clients,
      removalPolicy,
      domainPrefix: `connected-commerce-${props.environment}-${this.account}`,
    });

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
    new CfnOutput(this, 'TokenEndpoint', {
      value: this.auth.tokenEndpoint,
      description: 'OAuth 2.0 token endpoint: client-credentials grant with an app client id and secret',
    });
    new CfnOutput(this, 'UserPoolId', {
      value: this.auth.userPool.userPoolId,
      description:
        "The user pool of the API clients; a client's secret: aws cognito-idp describe-user-pool-client",
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarms.topic.topicArn,
      description: 'SNS topic every alarm notifies; subscribe a pager or chat integration here',
    });
    for (const [name, role] of this.marketplaceAccess.roles) {
      new CfnOutput(this, `MarketplaceRoleArn${pascal(name)}`, {
        value: role.roleArn,
        description: `Role marketplace ${name} assumes to put marketplace.${name} events on the bus`,
      });
    }
  }
}
