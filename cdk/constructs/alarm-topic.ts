import type { IAspect } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';

/** Properties of an {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** The environment's customer-data key: alarm descriptions name queues, functions and routes. */
  readonly key: kms.IKey;
  /** Who is e-mailed (the environment's `alarmEmails`). */
  readonly emails: readonly string[];
}

/**
 * The environment's one alarm topic: every alarm notifies it when it fires and when it clears
 * ({@link NotifyEveryAlarm}), and it e-mails the environment's alarm addresses. Encrypted with the
 * customer-data key and reachable over TLS only. An e-mail subscription waits for its recipient to
 * confirm it; a pager or chat integration subscribes to the same topic.
 */
export class AlarmTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'connected-commerce alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }
}

/**
 * Gives every alarm and composite alarm under the scope it is applied to the topic as its alarm
 * action and its OK action, so no alarm is added that only the console would show.
 */
export class NotifyEveryAlarm implements IAspect {
  private readonly action: actions.SnsAction;

  constructor(topic: sns.ITopic) {
    this.action = new actions.SnsAction(topic);
  }

  public visit(node: IConstruct): void {
    if (node instanceof cloudwatch.AlarmBase) {
      node.addAlarmAction(this.action);
      node.addOkAction(this.action);
    }
  }
}
