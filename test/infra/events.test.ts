import { Match } from 'aws-cdk-lib/assertions';
import { DeadLetterQueue } from '../../cdk/constructs/dead-letter-queue';
import {
  busRules,
  queues as definedQueues,
  FUNCTION_DEFAULTS,
  functions,
  STREAM_RETRY,
} from '../../shared/platform/definitions';
import { idOf, policyStatementsOf, propertiesOf, resourcesOf, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();
const rules = Object.values(resourcesOf(api, 'AWS::Events::Rule'));
type Target = {
  Arn: unknown;
  RetryPolicy?: unknown;
  DeadLetterConfig?: { Arn: { 'Fn::GetAtt': [string, string] } };
};

function ruleFor(description: string): Record<string, unknown> {
  const rule = rules.find((r) => r.Properties.Description === description);
  if (rule === undefined) {
    throw new Error(`no rule described as ${description}`);
  }
  return rule.Properties;
}

describe('bus rules', () => {
  it.each(busRules)('listens for the $name pattern on the commerce bus', (definition) => {
    const rule = ruleFor(definition.description);

    expect(rule.EventPattern).toEqual(definition.eventPattern);
    expect(JSON.stringify(rule.EventBusName)).toContain(idOf(stacks.data.bus));
  });

  it.each(busRules)('delivers $name to the target its definition names', (definition) => {
    const [target] = ruleFor(definition.description).Targets as Target[];

    if ('function' in definition.target) {
      const fn = stacks.api.functions.get(definition.target.function)!;
      expect(target?.Arn).toEqual({ 'Fn::GetAtt': [idOf(fn.function), 'Arn'] });
    } else if ('queue' in definition.target) {
      const queue = stacks.api.workQueues.get(definition.target.queue)!;
      expect(target?.Arn).toEqual({ 'Fn::GetAtt': [idOf(queue.redriveSource), 'Arn'] });
    } else {
      expect(JSON.stringify(target?.Arn)).toContain(':log-group:');
      expect(JSON.stringify(target?.Arn)).toContain(idOf(stacks.data.auditLog));
    }
  });

  it('gives every rule target a dead-letter queue and a retry policy', () => {
    const targets = rules.flatMap((rule) => rule.Properties.Targets as Target[]);

    expect(targets.length).toBeGreaterThanOrEqual(busRules.length);
    for (const target of targets) {
      expect(target).toMatchObject({
        RetryPolicy: {
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
      });
    }
  });

  it('lets EventBridge send to a rule dead-letter queue only for that rule', () => {
    const allRules = [...stacks.api.rules.values(), ...stacks.api.schedules.values()];

    for (const rule of allRules) {
      const [target] = propertiesOf(api, 'AWS::Events::Rule', rule).Targets as Target[];
      const queue = target?.DeadLetterConfig?.Arn['Fn::GetAtt'][0];
      api.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [idOf(rule), 'Arn'] } } },
            }),
          ]),
        }),
      });
    }
  });

  it('sends handler failures of event-driven functions to a failure queue instead of dropping them', () => {
    // A queue's consumer keeps the failure queue it had as a rule's target (events from before it).
    const asyncFunctions = functions.filter(
      (f) => f.trigger.kind === 'event' || f.trigger.kind === 'schedule' || f.trigger.kind === 'queue',
    );
    api.resourceCountIs('AWS::Lambda::EventInvokeConfig', asyncFunctions.length);
    for (const definition of asyncFunctions) {
      api.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: idOf(stacks.api.functions.get(definition.name)!.function) },
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      });
    }
  });
});

describe('schedule', () => {
  const scheduled = functions.flatMap((definition) =>
    definition.trigger.kind === 'schedule'
      ? [{ definition, everySeconds: definition.trigger.everySeconds }]
      : [],
  );

  it.each(scheduled)(
    'runs $definition.name at its rate, with retries and a dead-letter queue',
    ({ definition, everySeconds }) => {
      const fn = stacks.api.functions.get(definition.name)!;
      const minutes = everySeconds / 60;

      api.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [idOf(fn.function), 'Arn'] },
            RetryPolicy: Match.anyValue(),
            DeadLetterConfig: Match.anyValue(),
          }),
        ],
      });
    },
  );
});

describe('stream publisher', () => {
  const subscriptions = functions.flatMap((definition) =>
    definition.trigger.kind === 'stream'
      ? definition.trigger.tables.map((table) => ({ name: definition.name, table }))
      : [],
  );

  it('subscribes to the stream of every table its definition lists (and nothing else but the work queues)', () => {
    api.resourceCountIs('AWS::Lambda::EventSourceMapping', subscriptions.length + definedQueues.length);
  });

  it.each(subscriptions)(
    'reads the $table stream into $name with partial batch failures and an on-failure bucket, well inside the retention',
    ({ name, table }) => {
      const fn = stacks.api.functions.get(name)!;
      const failures = stacks.api.streamFailureBuckets.get(name)!;

      api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: idOf(fn.function) },
        EventSourceArn: {
          'Fn::ImportValue': Match.stringLikeRegexp(`${idOf(stacks.data.tables[table]!)}StreamArn`),
        },
        StartingPosition: 'TRIM_HORIZON',
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: STREAM_RETRY.retryAttempts,
        MaximumRecordAgeInSeconds: STREAM_RETRY.maxRecordAgeSeconds,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [idOf(failures.bucket), 'Arn'] } } },
      });
      // A stuck batch is set aside while the stream (24 hours) still has its records.
      expect(STREAM_RETRY.maxRecordAgeSeconds).toBeLessThanOrEqual(6 * 3600);
    },
  );

  it.each([...stacks.api.streamFailureBuckets])(
    "keeps %s's failed batches private, encrypted with the key, retained, and alarms on each",
    (name, failures) => {
      const bucket = resourcesOf(api, 'AWS::S3::Bucket')[idOf(failures.bucket)]!;
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(JSON.stringify(bucket.Properties.BucketEncryption)).toContain(`${idOf(stacks.data.key)}Arn`);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.LoggingConfiguration).toBeDefined();
      const bucketName = { Ref: idOf(failures.bucket) };
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/S3',
        MetricName: 'PutRequests',
        Threshold: 1,
        Dimensions: Match.arrayWith([
          { Name: 'BucketName', Value: bucketName },
          { Name: 'FilterId', Value: 'FailedBatches' },
        ]),
      });
      // And one that stays in alarm while batches wait, unpublished.
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/S3',
        MetricName: 'NumberOfObjects',
        Threshold: 1,
        Period: 86_400,
        Dimensions: Match.arrayWith([{ Name: 'BucketName', Value: bucketName }]),
      });
      // The consumer may put objects there and nothing else: no read, no delete.
      const fn = stacks.api.functions.get(name)!;
      const s3Actions = policyStatementsOf(api, fn.function)
        .flatMap((statement) => [statement.Action].flat())
        .filter((action) => String(action).startsWith('s3:'))
        .sort();
      expect(s3Actions).toEqual(['s3:ListBucket', 's3:PutObject']);
    },
  );
});

describe('dead-letter queues', () => {
  const queues = stacks.api.node.findAll().filter((c): c is DeadLetterQueue => c instanceof DeadLetterQueue);

  it('encrypts every queue with the key, retains it, and refuses requests without TLS', () => {
    for (const queue of queues) {
      const resource = resourcesOf(api, 'AWS::SQS::Queue')[idOf(queue)];
      expect(resource?.DeletionPolicy).toBe('Retain');
      expect(JSON.stringify(resource?.Properties.KmsMasterKeyId)).toContain(`${idOf(stacks.data.key)}Arn`);
      api.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: idOf(queue) }],
        PolicyDocument: Match.objectLike({
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        }),
      });
    }
  });

  it('lets each be redriven from the console: the dead-letter queue of its own redrive source, which alone it admits', () => {
    const all = resourcesOf(api, 'AWS::SQS::Queue');
    for (const queue of queues) {
      const source = all[idOf(queue.redriveSource)]!.Properties;
      expect(source.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [idOf(queue), 'Arn'] },
        maxReceiveCount: expect.any(Number),
      });
      const allow = all[idOf(queue)]!.Properties.RedriveAllowPolicy as {
        redrivePermission: string;
        sourceQueueArns: unknown[];
      };
      expect(allow.redrivePermission).toBe('byQueue');
      expect(JSON.stringify(allow.sourceQueueArns)).toContain(`:${source.QueueName as string}`);
    }
  });

  it('alarms when the oldest message of any of them has waited two days', () => {
    for (const queue of queues) {
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(queue), 'QueueName'] } }],
        Threshold: 2 * 24 * 3600,
      });
    }
  });

  it("alarms when a redriven message has waited two days in a queue's redrive source, 15 minutes in a work queue", () => {
    for (const queue of queues) {
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(queue.redriveSource), 'QueueName'] } },
        ],
        Threshold: queue.workQueue ? 15 * 60 : 2 * 24 * 3600,
      });
    }
  });

  it('raises an alarm as soon as one message waits in any of them', () => {
    const depthAlarms = Object.values(resourcesOf(api, 'AWS::CloudWatch::Alarm')).filter(
      (alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
    );
    expect(depthAlarms).toHaveLength(queues.length);
    for (const queue of queues) {
      api.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf(queue), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('shows API, function and queue metrics on one dashboard', () => {
    const [dashboard] = Object.values(resourcesOf(api, 'AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    for (const metric of [
      '5XXError',
      '4XXError',
      'Latency',
      'Errors',
      'Throttles',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('work queues', () => {
  it.each(definedQueues)(
    '$name: the rule sends to it, its consumer reads it in batches of $batchSize with partial batch responses',
    (definition) => {
      const dlq = stacks.api.workQueues.get(definition.name)!;
      const queue = dlq.redriveSource;
      const consumer = stacks.api.functions.get(definition.consumer)!;
      const timeout = consumer.definition.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds;

      api.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [idOf(queue), 'Arn'] },
        FunctionName: { Ref: idOf(consumer.function) },
        BatchSize: definition.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      api.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: Match.stringLikeRegexp(`-${definition.name}$`),
        VisibilityTimeout: timeout * 6,
        MessageRetentionPeriod: 14 * 24 * 3600,
        KmsMasterKeyId: Match.anyValue(),
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(dlq), 'Arn'] },
          maxReceiveCount: definition.maxReceiveCount,
        },
      });
      // The dead-letter queue admits this queue alone as its redrive source: "Start DLQ redrive"
      // puts messages back where the consumer reads them.
      const redriveAllow = resourcesOf(api, 'AWS::SQS::Queue')[idOf(dlq)]!.Properties.RedriveAllowPolicy as {
        redrivePermission: string;
        sourceQueueArns: unknown[];
      };
      expect(redriveAllow.redrivePermission).toBe('byQueue');
      expect(JSON.stringify(redriveAllow.sourceQueueArns)).toContain(`-${definition.name}`);
      // EventBridge may send to it on behalf of this account's rules only (an encrypted queue's
      // target is scoped by source account, CDK's choice where the rule ARN would need the key).
      const statements = Object.values(resourcesOf(api, 'AWS::SQS::QueuePolicy'))
        .filter((p) => JSON.stringify(p.Properties.Queues).includes(idOf(queue)))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
      const fromEvents = statements.filter(
        (st) => JSON.stringify(st.Principal) === JSON.stringify({ Service: 'events.amazonaws.com' }),
      );
      expect(fromEvents).toHaveLength(1);
      expect(fromEvents[0]).toMatchObject({
        Effect: 'Allow',
        Action: expect.arrayContaining(['sqs:SendMessage']),
        Condition: { StringEquals: { 'aws:SourceAccount': expect.anything() } },
      });
    },
  );
});
