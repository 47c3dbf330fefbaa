import { Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Properties of a {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** Short name on the dashboard, in alarms and in the `DeadLetterQueueUrls` output. */
  readonly label: string;
  /** What ends up in this queue; in the alarm description. */
  readonly purpose: string;
  /** The environment's customer-data key: dead-lettered events carry order and customer details. */
  readonly key: kms.IKey;
  /**
   * When this is the dead-letter queue of a work queue (a function consumes it): that queue, built
   * here as the redrive source, so a redrive puts messages back where they are processed. Without
   * it, the redrive source is a parking queue nothing reads.
   */
  readonly workQueue?: WorkQueueSettings;
}

/** A work queue's settings, as its definition and consumer give them. */
export interface WorkQueueSettings {
  /** The queue's name suffix (its definition name). */
  readonly name: string;
  /** At least six times the consumer's timeout, as Lambda asks of a queue it polls. */
  readonly visibilityTimeout: Duration;
  /** Receives after which a message moves here. */
  readonly maxReceiveCount: number;
  /** A message older than this in the work queue means its consumer is not keeping up: an alarm. */
  readonly ageAlarmThreshold: Duration;
}

/** Receives of a redriven message before SQS returns it to the dead-letter queue. */
const REDRIVE_MAX_RECEIVE_COUNT = 5;

/**
 * An SQS queue that receives what a consumer could not process: encrypted with the customer-data
 * key, reachable only over TLS, keeping messages for the SQS maximum of 14 days so operations has
 * time to redrive, and retained when its stack is deleted, since its messages exist nowhere else.
 *
 * SQS only redrives (console "Start DLQ redrive", `StartMessageMoveTask`) from a queue that is the
 * dead-letter queue of another SQS queue, and EventBridge targets, Lambda destinations and stream
 * on-failure destinations are not queues. So each dead-letter queue has a {@link redriveSource}:
 * an SQS queue whose redrive policy names this one, and the only queue this one's redrive allow
 * policy admits. Redriving moves the messages there for inspection and replay; a message received
 * there five times without being deleted comes back here.
 */
export class DeadLetterQueue extends sqs.Queue {
  /** Short name on the dashboard and in alarms. */
  public readonly label: string;
  /** What ends up in this queue. */
  public readonly purpose: string;
  /** The queue this one is the dead-letter queue of: where "Start DLQ redrive" moves messages. */
  public readonly redriveSource: sqs.Queue;
  /** Set when the redrive source is a work queue a function consumes (not a parking queue). */
  public readonly workQueue?: WorkQueueSettings;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.label = props.label;
    this.purpose = props.purpose;
    this.key = props.key;
    // The source's redrive policy names this queue, and this queue's allow policy names the source:
    // the source gets a name fixed at synth time, so its ARN is built without a reference, which
    // would make the two queues need each other.
    this.workQueue = props.workQueue;
    // A parking queue keeps the name it always had; a work queue's ends in its definition's name.
    const sourceName = props.workQueue
      ? `${Names.uniqueResourceName(this, { maxLength: 79 - props.workQueue.name.length })}-${props.workQueue.name}`
      : `${Names.uniqueResourceName(this, { maxLength: 72 })}-redrive`;
    this.redriveSource = new sqs.Queue(this, props.workQueue ? 'WorkQueue' : 'RedriveSource', {
      queueName: sourceName,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.workQueue ? { visibilityTimeout: props.workQueue.visibilityTimeout } : {}),
      deadLetterQueue: {
        queue: this,
        maxReceiveCount: props.workQueue?.maxReceiveCount ?? REDRIVE_MAX_RECEIVE_COUNT,
      },
    });
    (this.node.defaultChild as sqs.CfnQueue).redriveAllowPolicy = {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueueArns: [Stack.of(this).formatArn({ service: 'sqs', resource: sourceName })],
    };
  }

  /**
   * What a producer (a function's failure destination, a stream's on-failure destination) needs to
   * send here, and no more: SQS's send actions on this queue, and the two key actions SQS documents
   * for a producer to an SSE-KMS queue (GenerateDataKey, Decrypt) on the customer-data key, where
   * `Queue.grantSendMessages` would grant `kms:ReEncrypt*` and `kms:GenerateDataKey*` too.
   */
  public override grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      resourceArns: [this.queueArn],
      resource: this,
    });
    this.key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
    return grant;
  }
}
