import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  type DynamoAction,
  ENV,
  FUNCTION_DEFAULTS,
  type FunctionDefinition,
  isWriteAction,
} from '../../shared/platform/definitions';
import type { CommerceTable } from './commerce-table';
import { DeadLetterQueue } from './dead-letter-queue';
import { acknowledgeWildcardResource } from './nag';
import type { CommerceWorkflow } from './workflows';

/** The repository root: `entry` paths in the definitions are relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Service name Powertools writes into every log line and trace. */
export const SERVICE_NAME = 'connected-commerce';

/**
 * The IAM statements for a function's declared actions on one table: the table's ARN with the
 * actions on the table itself, and each index's ARN with the Query/Scan declared on it
 * (`Query:GSI1`). TransactWriteItems is authorised per item through PutItem, UpdateItem,
 * DeleteItem and ConditionCheckItem, TransactGetItems through GetItem, which is what a definition
 * declares for them.
 */
export function tableStatements(
  table: { tableArn: string; key: string; indexNames: readonly string[] },
  actions: readonly DynamoAction[],
): { actions: string[]; resourceArns: string[] }[] {
  const byResource = new Map<string, Set<string>>();
  for (const declared of actions) {
    const [action, index] = declared.split(':') as [string, string | undefined];
    if (index !== undefined && !table.indexNames.includes(index)) {
      throw new Error(`${declared} on table ${table.key}, which has no index ${index}`);
    }
    const arn = index === undefined ? table.tableArn : `${table.tableArn}/index/${index}`;
    byResource.set(arn, (byResource.get(arn) ?? new Set()).add(`dynamodb:${action}`));
  }
  return [...byResource].map(([arn, set]) => ({ actions: [...set].sort(), resourceArns: [arn] }));
}

/** How often and for how long a failed asynchronous invocation is retried. */
export interface AsyncRetry {
  /** Retries after the first attempt (0 to 2 for Lambda, up to 185 for EventBridge). */
  readonly retryAttempts: number;
  /** Age after which an event is no longer retried. */
  readonly maxEventAge: Duration;
}

/** Names of the variables through which the API's authorizer learns the issuer and the clients. */
export const AUTH_ENV = {
  /** JSON object mapping a Cognito app client id to its principal. */
  clients: ENV.authClients,
  /** The user pool's issuer URL, the `iss` of its tokens. */
  issuer: ENV.authIssuer,
} as const;

/**
 * What CloudWatch Logs masks in every function's log group: e-mail addresses and the phone numbers
 * of the markets sold in, which customer resolution handles and a log line may carry by mistake. The
 * logs keep the masked form; only a principal with `logs:Unmask` sees the values.
 */
export const MASKED_IDENTIFIERS: readonly logs.DataIdentifier[] = [
  logs.DataIdentifier.EMAILADDRESS,
  logs.DataIdentifier.PHONENUMBER_GB,
  logs.DataIdentifier.PHONENUMBER_US,
  logs.DataIdentifier.PHONENUMBER_DE,
  logs.DataIdentifier.PHONENUMBER_FR,
  logs.DataIdentifier.PHONENUMBER_ES,
  logs.DataIdentifier.PHONENUMBER_IT,
];

/** Properties of a {@link CommerceFunction}. */
export interface CommerceFunctionProps {
  /** The entry of `functions` this Lambda function runs. */
  readonly definition: FunctionDefinition;
  /** The environment's customer-data key: its log group and its failure queue are encrypted with it. */
  readonly key: kms.IKey;
  /** How long its log group keeps the logs. @default one month */
  readonly logRetention?: logs.RetentionDays;
}

const ALARM_PERIOD = Duration.minutes(5);

/**
 * The one way this project defines a Lambda function: Node.js 22 on ARM64, X-Ray tracing, its own log
 * group with a retention, a minified esbuild bundle with source maps, and a role that may write to
 * that log group and nothing else until a `grant*` method adds a need from the definition.
 *
 * The AWS SDK is bundled (not taken from the runtime) so the deployed code runs the exact SDK
 * versions pinned in `package-lock.json` that the tests ran against.
 */
export class CommerceFunction extends Construct {
  /** The definition this function was built from. */
  public readonly definition: FunctionDefinition;
  /** The Lambda function. */
  public readonly function: nodejs.NodejsFunction;
  /** Where the function logs. */
  public readonly logGroup: logs.LogGroup;
  /** Fires on one error (an exception the handler did not turn into a response) in five minutes. */
  public readonly errorsAlarm: cloudwatch.Alarm;
  /** Fires on one throttled invocation in five minutes: concurrency ran out. */
  public readonly throttlesAlarm: cloudwatch.Alarm;
  private readonly key: kms.IKey;
  /** Invocations that failed after Lambda's own retries, for functions invoked asynchronously. */
  private asyncFailures?: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: CommerceFunctionProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;
    this.key = props.key;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
      encryptionKey: props.key,
      dataProtectionPolicy: new logs.DataProtectionPolicy({
        name: `${definition.name}-mask-contact-details`,
        description: 'Masks e-mail addresses and phone numbers in the log events of this function',
        identifiers: [...MASKED_IDENTIFIERS],
      }),
    });

    // An explicit role instead of the default one, so the function gets write access to its own log
    // group only, rather than the AWSLambdaBasicExecutionRole managed policy (writes to every log group).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${definition.name}: ${definition.description}`,
    });
    this.logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, definition.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: definition.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: definition.memoryMb ?? FUNCTION_DEFAULTS.memoryMb,
      timeout: Duration.seconds(definition.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds),
      reservedConcurrentExecutions: definition.reservedConcurrency,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // Stack traces need file and line, not the original text: keeps the bundle small.
        sourcesContent: false,
        target: 'node22',
        format: nodejs.OutputFormat.CJS,
        bundleAwsSDK: true,
      },
    });

    this.errorsAlarm = this.function
      .metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM })
      .createAlarm(this, 'ErrorsAlarm', {
        alarmDescription: `${definition.name}: the function failed (an exception, a timeout or out of memory). Its log group: ${definition.name} Logs. Runbook: docs/operations.md.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.throttlesAlarm = this.function
      .metricThrottles({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM })
      .createAlarm(this, 'ThrottlesAlarm', {
        alarmDescription: `${definition.name}: invocations were throttled (account or reserved concurrency exhausted). Runbook: docs/operations.md.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22, the version the project builds, tests and runs the embedded runtime on; moving to a newer runtime is a deliberate upgrade of the whole toolchain.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and, for stream consumers, dynamodb:ListStreams support no resource-level permissions; every data action is scoped to named table, index, stream, bus, queue or state machine ARNs.',
    });
  }

  /**
   * Lets the function call exactly `actions` on a table (its definition's `dynamodb` for the table):
   * on the table's ARN, and on an index's ARN only for a Query or Scan declared on that index. Tells
   * it the table name through the table's env var (`INVENTORY_TABLE`, `ORDERS_TABLE`), also when it
   * declares no action there (its ports need the name).
   */
  public grantTable(table: CommerceTable, actions: readonly DynamoAction[]): void {
    this.function.addEnvironment(table.definition.envVar, table.tableName);
    if (actions.length === 0) {
      return;
    }
    const statements = tableStatements(
      {
        tableArn: table.tableArn,
        key: table.definition.key,
        indexNames: table.definition.indexes.map((index) => index.indexName),
      },
      actions,
    );
    for (const statement of statements) {
      iam.Grant.addToPrincipal({ grantee: this.function, ...statement });
    }
    // DynamoDB decrypts what a caller reads, and encrypts what it writes, with the caller's rights.
    table.encryptionKey?.grant(
      this.function,
      ...(actions.some(isWriteAction)
        ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']
        : ['kms:Decrypt']),
      'kms:DescribeKey',
    );
  }

  /**
   * Lets the function do what its definition's `oauthClients` says with the user pool's app clients
   * (exactly those `cognito-idp` actions, on that pool only), and tells it the pool's id
   * (`AUTH_USER_POOL_ID`) and the token endpoint (`AUTH_TOKEN_URL`).
   */
  public grantOAuthClients(pool: { userPoolId: string; userPoolArn: string; tokenUrl: string }): void {
    const actions = this.definition.oauthClients ?? [];
    if (actions.length === 0) return;
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: actions.map((action) => `cognito-idp:${action}`),
        resources: [pool.userPoolArn],
      }),
    );
    this.function.addEnvironment(ENV.authUserPoolId, pool.userPoolId);
    this.function.addEnvironment(ENV.authTokenUrl, pool.tokenUrl);
  }

  /** Lets the function put events on the bus and tells it the bus name (`EVENT_BUS_NAME`). */
  public grantPutEvents(bus: events.IEventBus): void {
    bus.grantPutEventsTo(this.function);
    this.function.addEnvironment(ENV.eventBusName, bus.eventBusName);
  }

  /**
   * For a function EventBridge invokes (a bus rule or a schedule): Lambda retries a failed
   * asynchronous invocation as told, then sends the event with the error to this queue instead of
   * dropping it. The first call configures it; later calls return the same queue.
   */
  public asyncFailureQueue(retry: AsyncRetry): DeadLetterQueue {
    if (this.asyncFailures === undefined) {
      this.asyncFailures = new DeadLetterQueue(this, 'AsyncFailures', {
        label: `${this.definition.name} handler failures`,
        purpose: `asynchronous invocations of ${this.definition.name} that failed after retries`,
        key: this.key,
      });
      this.function.configureAsyncInvoke({
        onFailure: new destinations.SqsDestination(this.asyncFailures),
        retryAttempts: retry.retryAttempts,
        maxEventAge: retry.maxEventAge,
      });
    }
    return this.asyncFailures;
  }

  /**
   * Lets the function start executions of a workflow (StartExecution on the state machine), and
   * tells it the state machine's ARN through the workflow's env var (`FULFILLMENT_STATE_MACHINE_ARN`).
   */
  public grantStartWorkflow(workflow: CommerceWorkflow): void {
    this.grantOnMachine(workflow, ['states:StartExecution']);
  }

  /**
   * Lets the function stop a workflow's executions (StopExecution on its executions), and tells it
   * the state machine's ARN through the workflow's env var; it forms an execution's ARN from it.
   */
  public grantStopWorkflow(workflow: CommerceWorkflow): void {
    this.grantOnExecutions(workflow, ['states:StopExecution'], 'stopping one by its name');
  }

  /**
   * Lets the function read a workflow's executions (ListExecutions on the state machine,
   * DescribeExecution and GetExecutionHistory on its executions), and tells it the state machine's
   * ARN through the workflow's env var.
   */
  public grantReadWorkflow(workflow: CommerceWorkflow): void {
    this.grantOnMachine(workflow, ['states:ListExecutions']);
    this.grantOnExecutions(
      workflow,
      ['states:DescribeExecution', 'states:GetExecutionHistory'],
      'describing one or reading its history by its name',
    );
  }

  /**
   * Lets the function answer a workflow's waiting tasks (SendTaskSuccess, SendTaskFailure,
   * SendTaskHeartbeat) and tells it the state machine's ARN through the workflow's env var.
   *
   * Scoped to the state machine, as CDK's `grantTaskResponse` does: Step Functions authorises a
   * callback against the state machine whose execution issued the token, although the Service
   * Authorization Reference lists no resource type for these actions.
   */
  public grantAnswerWorkflow(workflow: CommerceWorkflow): void {
    this.grantOnMachine(workflow, [
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
    ]);
  }

  /** `actions` on the workflow's state machine itself, and its ARN in the workflow's env var. */
  private grantOnMachine(workflow: CommerceWorkflow, actions: string[]): void {
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions,
      resourceArns: [workflow.stateMachine.stateMachineArn],
    });
    this.useWorkflowArn(workflow);
  }

  /**
   * `actions` on every execution of the workflow's state machine (`execution:<machine>:*`), and its
   * ARN in the workflow's env var; acknowledges cdk-nag's IAM5 finding for exactly that wildcard,
   * saying what the function does with it (`doing`).
   */
  private grantOnExecutions(workflow: CommerceWorkflow, actions: string[], doing: string): void {
    iam.Grant.addToPrincipal({ grantee: this.function, actions, resourceArns: [workflow.executionsArn] });
    this.useWorkflowArn(workflow);
    acknowledgeWildcardResource(
      this,
      workflow.executionsArn,
      `${actions.join(', ')} on executions of ${workflow.definition.name} only: its executions are named at run time after their business id (an order id, a group id), so ${doing} names every execution of that one state machine; nothing wider, and no other action on them.`,
    );
  }

  /** Tells the function a workflow's state machine ARN through the workflow's env var. */
  private useWorkflowArn(workflow: CommerceWorkflow): void {
    this.function.addEnvironment(workflow.definition.envVar, workflow.stateMachine.stateMachineArn);
  }
}
