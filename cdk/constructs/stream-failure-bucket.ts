import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from './nag';

/** Properties of {@link StreamFailureBucket}. */
export interface StreamFailureBucketProps {
  /** Short name on the dashboard and in alarms. */
  readonly label: string;
  /** The environment's customer-data key: failed batches carry table images (orders, customers). */
  readonly key: kms.IKey;
}

/** How long a failed batch is kept: long enough to fix the cause and replay it. */
export const STREAM_FAILURE_RETENTION = Duration.days(90);

/** The S3 request-metrics filter whose PutRequests count the batches written (one object each). */
export const FAILED_BATCHES_METRICS_ID = 'FailedBatches';

/**
 * Where a stream event source mapping writes a batch it gave up on: Lambda's S3 on-failure
 * destination, which (unlike an SQS or SNS one) keeps the whole invocation payload, the records
 * themselves, beside the failure's metadata, one object per failed invocation under
 * `aws/lambda/<mapping uuid>/<shard id>/…`. So a batch can be replayed after the stream has trimmed it
 * (`npm run replay-stream-failures`).
 *
 * Encrypted with the customer-data key, private, TLS only, kept {@link STREAM_FAILURE_RETENTION} and
 * retained with its stack; its server access logs go to a bucket of their own. Request metrics on
 * every object count the writes, for the alarm.
 */
export class StreamFailureBucket extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly label: string;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: StreamFailureBucketProps) {
    super(scope, id);
    this.label = props.label;
    this.key = props.key;
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers to SSE-S3 buckets only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: STREAM_FAILURE_RETENTION }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: STREAM_FAILURE_RETENTION }],
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'stream-failures/',
      metrics: [{ id: FAILED_BATCHES_METRICS_ID }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This is the failure bucket's server access-log target; logging the log bucket in turn would need a third bucket, and its own reads and writes are S3's log delivery and operations reading logs.",
    });
  }

  /**
   * The event source mapping's on-failure destination: the consumer's role may put objects in this
   * bucket (and list it, which Lambda checks) and encrypt with the key, nothing else; the `*` is
   * the object key, which Lambda chooses.
   */
  public destination(): lambda.IEventSourceDlq {
    const { bucket, key } = this;
    return {
      bind: (_target, handler) => {
        handler.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }),
        );
        handler.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
        );
        key.grant(handler, 'kms:GenerateDataKey', 'kms:Decrypt');
        if (handler.role) {
          acknowledgeWildcardResource(
            handler.role,
            bucket.arnForObjects('*'),
            `Lambda names each failed batch's object itself (aws/lambda/<mapping>/<shard>/<time>-<uuid>); the role may only put objects into ${this.label}'s bucket, which holds nothing else.`,
          );
        }
        return { destination: bucket.bucketArn };
      },
    };
  }
}
