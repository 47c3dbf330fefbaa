import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * What an environment's account and Region hold once, whatever is deployed in them: the role API
 * Gateway writes execution and access logs with, set on the account (`AWS::ApiGateway::Account`).
 *
 * That setting is one per account and Region. Created by the API stack (`cloudWatchRole: true`), it
 * would be overwritten by the next deployment that does the same, and removed with whichever stack
 * created it; here it has a stack of its own that the API stack depends on and no other deployment
 * of this app touches. Both are retained on deletion: other APIs in the account may log through them.
 */
export class BaselineStack extends Stack {
  /** The role API Gateway assumes to write to CloudWatch Logs. */
  public readonly apiGatewayLogsRole: iam.Role;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, {
      description: 'connected-commerce: account-wide settings (API Gateway CloudWatch Logs role)',
      ...props,
    });
    this.apiGatewayLogsRole = new iam.Role(this, 'ApiGatewayLogsRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description:
        'API Gateway writes execution and access logs of every REST API in this account and Region',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    this.apiGatewayLogsRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new apigw.CfnAccount(this, 'ApiGatewayAccount', {
      cloudWatchRoleArn: this.apiGatewayLogsRole.roleArn,
    });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);

    Validations.of(this.apiGatewayLogsRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-level API Gateway logging role needs exactly this AWS-managed policy; API Gateway documents it as the role to use.',
    });
  }
}
