import { Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Properties of a {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** Short name on the dashboard, in alarms and in the `DeadLetterQueueUrls` output. */
  readonly label: string;
  /** What ends up in this queue; in the alarm description and the nag acknowledgement. */
  readonly purpose: string;
}

/**
 * An SQS queue that receives what a consumer could not process: encrypted (SSE-SQS), reachable only
 * over TLS, and keeping messages for the SQS maximum of 14 days so operations has time to redrive.
 */
export class DeadLetterQueue extends sqs.Queue {
  /** Short name on the dashboard and in alarms. */
  public readonly label: string;
  /** What ends up in this queue. */
  public readonly purpose: string;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.label = props.label;
    this.purpose = props.purpose;
    // AwsSolutions-SQS3 only recognises a queue as a DLQ when another queue's redrive policy or a
    // function's DeadLetterConfig points at it; EventBridge target DLQs and event source mapping
    // on-failure destinations are invisible to it.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself a dead-letter queue (${props.purpose}); a DLQ of a DLQ would only move the problem.`,
    });
  }
}
