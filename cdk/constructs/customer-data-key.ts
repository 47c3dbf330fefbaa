import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * The customer-managed key of an environment's customer data: tables (orders, customers'
 * identifiers), dead-letter queues (events carry order details), the event archive, every log group
 * and the alarm topic. One key, so one key policy says who may read customer data at rest, one
 * CloudTrail trail shows every use, and disabling it makes all of it unreadable at once.
 *
 * Rotated yearly by KMS, and retained whatever the environment's removal policy: data encrypted
 * under a deleted key is lost, including the retained tables and queues and the archive's events.
 *
 * The key policy trusts the account (IAM policies grant the functions what they use, per table and
 * queue) and lets the services that encrypt on their own behalf use it, each bound to this account's
 * resources by the encryption context or the source account: CloudWatch Logs for the log groups,
 * CloudWatch for alarm notifications to the encrypted topic, EventBridge for dead-letter messages
 * (the archive's statements come with the archive).
 */
export class CustomerDataKey extends kms.Key {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description:
        'connected-commerce customer data: tables, dead-letter queues, event archive, logs, alarm topic',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stack = Stack.of(this);
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgeSendsToEncryptedDeadLetterQueues',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
  }
}
