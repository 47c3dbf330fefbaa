import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  BUS_TARGET_RETRY,
  type BusRule,
  busRules,
  queues as definedQueues,
  type EventPattern,
  FUNCTION_DEFAULTS,
  type QueueDefinition,
} from '../../shared/platform/definitions';
import type { AsyncRetry, CommerceFunction } from './commerce-function';
import { DeadLetterQueue } from './dead-letter-queue';

/**
 * Delivery retries of a bus rule's target by EventBridge; what is still undelivered goes to the
 * rule's DLQ. A marketplace order is worth hours of retries.
 */
export const DELIVERY_RETRY: AsyncRetry = {
  retryAttempts: BUS_TARGET_RETRY.deliveryRetryAttempts,
  maxEventAge: Duration.seconds(BUS_TARGET_RETRY.maxEventAgeSeconds),
};

/**
 * Retries by Lambda of a bus event the handler failed on; what still fails goes to the function's
 * asynchronous failure queue.
 */
export const HANDLER_RETRY: AsyncRetry = {
  retryAttempts: BUS_TARGET_RETRY.handlerRetryAttempts,
  maxEventAge: Duration.seconds(BUS_TARGET_RETRY.maxEventAgeSeconds),
};

/**
 * A scheduled run is stale once the next one is due: retry briefly, never retry in the handler (the
 * next run does the same work), and still keep failures in a queue where an alarm sees them.
 */
export const SCHEDULE_RETRY: AsyncRetry = { retryAttempts: 2, maxEventAge: Duration.minutes(5) };
const SCHEDULE_HANDLER_RETRY: AsyncRetry = { retryAttempts: 0, maxEventAge: Duration.minutes(5) };

/** Properties of {@link EventRules}. */
export interface EventRulesProps {
  /** The bus the `busRules` listen on. */
  readonly bus: events.IEventBus;
  /**
   * The functions, by definition name: every rule's target function is one of them, and each with a
   * `schedule` trigger gets its schedule.
   */
  readonly functions: ReadonlyMap<string, CommerceFunction>;
  /** The bus rules to build. @default every entry of `busRules` in the definitions */
  readonly rules?: readonly BusRule[];
  /** Target of rules whose target is `{ auditLog: true }`. */
  readonly auditLog: logs.ILogGroup;
  /** The environment's customer-data key, for the dead-letter queues. */
  readonly key: kms.IKey;
  /** The queues a rule may target. @default every queue of the definitions */
  readonly queues?: readonly QueueDefinition[];
}

/**
 * A work queue's visibility timeout, per consumer timeout: Lambda requires at least the function's
 * timeout and recommends six times it, so a batch retried by the poller is not received again while
 * it still runs.
 */
export const VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT = 6;

/** A message this old in a work queue means its consumer is not keeping up: an alarm. */
export const WORK_QUEUE_AGE_ALARM = Duration.minutes(15);

/**
 * What EventBridge says about a rule's deliveries that the dead-letter queues do not: invocations
 * that failed for good, and those it could not even put in the dead-letter queue (lost events).
 */
const RULE_FAILURE_METRICS = [
  { metricName: 'FailedInvocations', what: 'invocations of its target failed for good' },
  {
    metricName: 'InvocationsFailedToBeSentToDlq',
    what: 'failed invocations could not be sent to its dead-letter queue: events are lost',
  },
] as const;

/**
 * EventBridge wiring built from the definitions: one rule per bus rule on the commerce bus, and one
 * schedule rule (default bus) per function with a `schedule` trigger. Every target has
 * an explicit retry policy and its own dead-letter queue; a function target also sends invocations
 * that fail in the handler to its asynchronous failure queue.
 */
export class EventRules extends Construct {
  /** The bus rules, by rule name. */
  public readonly rules: ReadonlyMap<string, events.Rule>;
  /** The schedule rules, by function name. */
  public readonly schedules: ReadonlyMap<string, events.Rule>;
  /** The work queues rules target, by queue name: each is its dead-letter queue's redrive source. */
  public readonly workQueues: ReadonlyMap<string, DeadLetterQueue>;
  /** Per rule (bus rules and schedules) an alarm on FailedInvocations and one on InvocationsFailedToBeSentToDlq. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** Every rule by name, with the dimensions EventBridge reports its metrics under. */
  public readonly metricDimensions: ReadonlyArray<{ name: string; dimensions: Record<string, string> }>;

  constructor(scope: Construct, id: string, props: EventRulesProps) {
    super(scope, id);
    const { key } = props;
    const rules = new Map<string, events.Rule>();
    const workQueues = new Map<string, DeadLetterQueue>();
    for (const definition of props.rules ?? busRules) {
      assertTriggerMatches(definition, props.functions, props.queues ?? definedQueues);
      const rule = new events.Rule(this, definition.name, {
        eventBus: props.bus,
        description: definition.description,
        eventPattern: toCdkEventPattern(definition.eventPattern),
      });
      const dlq = new DeadLetterQueue(this, `${definition.name}DeadLetterQueue`, {
        label: `${definition.name} delivery`,
        purpose: `events of rule ${definition.name} EventBridge could not deliver`,
        key,
      });
      if ('function' in definition.target) {
        const fn = lookup(props.functions, definition.target.function);
        fn.asyncFailureQueue(HANDLER_RETRY);
        rule.addTarget(new targets.LambdaFunction(fn.function, { deadLetterQueue: dlq, ...DELIVERY_RETRY }));
      } else if ('queue' in definition.target) {
        const queue = this.workQueue(
          lookupQueue(props.queues ?? definedQueues, definition.target.queue),
          props.functions,
          key,
        );
        workQueues.set(definition.target.queue, queue);
        rule.addTarget(
          new targets.SqsQueue(queue.redriveSource, { deadLetterQueue: dlq, ...DELIVERY_RETRY }),
        );
      } else {
        rule.addTarget(new AuditLogTarget(props.auditLog, dlq));
      }
      rules.set(definition.name, rule);
    }
    this.rules = rules;
    this.workQueues = workQueues;

    const schedules = new Map<string, events.Rule>();
    for (const fn of props.functions.values()) {
      const { trigger } = fn.definition;
      if (trigger.kind !== 'schedule') {
        continue;
      }
      const rule = new events.Rule(this, `${fn.definition.name}Schedule`, {
        description: `Runs ${fn.definition.name} every ${trigger.everySeconds} seconds`,
        schedule: events.Schedule.rate(Duration.seconds(trigger.everySeconds)),
      });
      const dlq = new DeadLetterQueue(this, `${fn.definition.name}ScheduleDeadLetterQueue`, {
        label: `${fn.definition.name} schedule delivery`,
        purpose: `scheduled runs of ${fn.definition.name} EventBridge could not deliver`,
        key,
      });
      fn.asyncFailureQueue(SCHEDULE_HANDLER_RETRY);
      rule.addTarget(new targets.LambdaFunction(fn.function, { deadLetterQueue: dlq, ...SCHEDULE_RETRY }));
      schedules.set(fn.definition.name, rule);
    }
    this.schedules = schedules;

    // A rule on a custom bus reports under its bus and rule name, a schedule (default bus) under its
    // rule name alone.
    const watched = [
      ...[...rules.values()].map((rule) => ({
        rule,
        dimensions: { EventBusName: props.bus.eventBusName, RuleName: rule.ruleName },
      })),
      ...[...schedules.values()].map((rule) => ({ rule, dimensions: { RuleName: rule.ruleName } })),
    ];
    this.metricDimensions = watched.map(({ rule, dimensions }) => ({ name: rule.node.id, dimensions }));
    this.alarms = watched.flatMap(({ rule, dimensions }) =>
      RULE_FAILURE_METRICS.map(({ metricName, what }) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName,
          dimensionsMap: dimensions,
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.SUM,
        }).createAlarm(rule, `${metricName}Alarm`, {
          alarmDescription: `Rule ${rule.node.id}: ${what}. Runbook: docs/operations.md.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ),
    );
  }

  /**
   * A queue between a rule and its consumer: the consumer's dead-letter queue with the work queue as
   * its redrive source (so the console's "Start DLQ redrive" puts messages back where they are
   * processed), polled by the consumer in batches with partial batch responses.
   */
  private workQueue(
    definition: QueueDefinition,
    functions: ReadonlyMap<string, CommerceFunction>,
    key: kms.IKey,
  ): DeadLetterQueue {
    const consumer = lookup(functions, definition.consumer);
    const timeout = consumer.definition.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds;
    const dlq = new DeadLetterQueue(this, `${definition.name}DeadLetterQueue`, {
      label: definition.name,
      purpose: `messages ${definition.consumer} failed on ${definition.maxReceiveCount} times (${definition.description})`,
      key,
      workQueue: {
        name: definition.name,
        visibilityTimeout: Duration.seconds(timeout * VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT),
        maxReceiveCount: definition.maxReceiveCount,
        ageAlarmThreshold: WORK_QUEUE_AGE_ALARM,
      },
    });
    // Its failure queue from when the rule invoked it directly stays (same queue, same alarms): events
    // Lambda still retries from before the queue, and any delivered during the deployment, end there.
    consumer.asyncFailureQueue(HANDLER_RETRY);
    consumer.function.addEventSource(
      new SqsEventSource(dlq.redriveSource, {
        batchSize: definition.batchSize,
        reportBatchItemFailures: true,
      }),
    );
    return dlq;
  }
}

/**
 * The definitions write patterns in EventBridge's own JSON; the CDK type spells `detail-type` as
 * `detailType` and types values as strings, though it renders content filters such as
 * `{ prefix: 'marketplace.' }` unchanged.
 */
export function toCdkEventPattern(pattern: EventPattern): events.EventPattern {
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    converted[key === 'detail-type' ? 'detailType' : key] = value;
  }
  return converted as events.EventPattern;
}

function lookup(functions: ReadonlyMap<string, CommerceFunction>, name: string): CommerceFunction {
  const fn = functions.get(name);
  if (fn === undefined) {
    throw new Error(`Bus rule target ${name} is not a function in the definitions`);
  }
  return fn;
}

function lookupQueue(queues: readonly QueueDefinition[], name: string): QueueDefinition {
  const queue = queues.find((q) => q.name === name);
  if (queue === undefined) throw new Error(`Bus rule target queue ${name} is not in the definitions`);
  return queue;
}

/**
 * A function with an `event` trigger names the rule that targets it, a queue's consumer has a
 * `queue` trigger naming that queue; each pair must agree.
 */
function assertTriggerMatches(
  rule: BusRule,
  functions: ReadonlyMap<string, CommerceFunction>,
  queues: readonly QueueDefinition[],
): void {
  if ('queue' in rule.target) {
    const queue = lookupQueue(queues, rule.target.queue);
    const { trigger } = lookup(functions, queue.consumer).definition;
    if (trigger.kind !== 'queue' || trigger.queue !== queue.name) {
      throw new Error(`Queue ${queue.name} is consumed by ${queue.consumer}, whose trigger does not name it`);
    }
    return;
  }
  if (!('function' in rule.target)) {
    return;
  }
  const { trigger } = lookup(functions, rule.target.function).definition;
  if (trigger.kind !== 'event' || trigger.rule !== rule.name) {
    throw new Error(
      `Rule ${rule.name} targets ${rule.target.function}, whose trigger does not name that rule`,
    );
  }
}

/**
 * A CloudWatch Logs log group as a rule target, with a retry policy and a DLQ. Unlike
 * `targets.CloudWatchLogGroup`, it adds no Lambda-backed custom resource: the log group's resource
 * policy is a native `AWS::Logs::ResourcePolicy` created next to the log group (`DataStack`).
 */
class AuditLogTarget implements events.IRuleTarget {
  constructor(
    private readonly logGroup: logs.ILogGroup,
    private readonly deadLetterQueue: DeadLetterQueue,
  ) {}

  public bind(rule: events.IRule): events.RuleTargetConfig {
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    return {
      // EventBridge wants the log group ARN without the `:*` suffix of its Arn attribute.
      arn: Stack.of(rule).formatArn({
        service: 'logs',
        resource: 'log-group',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: this.logGroup.logGroupName,
      }),
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: DELIVERY_RETRY.retryAttempts,
        maximumEventAgeInSeconds: DELIVERY_RETRY.maxEventAge.toSeconds(),
      },
      targetResource: this.logGroup,
    };
  }
}
