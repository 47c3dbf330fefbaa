import { CfnParameter, NestedStack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TableKey } from '../../shared/platform/definitions';
import { CommerceFunction } from '../constructs/commerce-function';
import type { CommerceTable } from '../constructs/commerce-table';
import { EventRules } from '../constructs/event-rules';
import { StreamSubscriptions } from '../constructs/stream-subscriptions';
import type { ContextGroup } from './context-groups';

/** What a context's stack takes from the data stack. */
export interface ContextStackProps {
  /** The functions, workflows and bus rules it holds. */
  readonly group: ContextGroup;
  /** The tables, by key. */
  readonly tables: Readonly<Record<TableKey, CommerceTable>>;
  /** The commerce bus. */
  readonly bus: events.IEventBus;
  /** Target of the audit rule. */
  readonly auditLog: logs.ILogGroup;
}

/** Name of the parameter through which a context's stack receives the API key map. */
const API_KEY_CHANNELS_PARAMETER = 'ApiKeyChannels';

/**
 * The stateless part of one bounded context (or of the platform), a nested stack of `CommerceApi`:
 * its functions with the grants of their definitions, its workflows' state machines (built by
 * {@link Workflows} in {@link workflowScope}), the bus rules and schedules that invoke its functions
 * and the stream subscriptions of its functions, each with its dead-letter queue, and the alarms on
 * those queues and state machines. A context that grows adds resources here, not to the other
 * contexts' templates or to the API's.
 *
 * What crosses stacks goes through the parent as nested-stack parameters and outputs (a function
 * ARN to the API's methods, a metric dimension to the dashboard), never as exports, so removing a
 * function or a route is one deployment.
 */
export class ContextStack extends NestedStack {
  /** The group this stack was built from. */
  public readonly group: ContextGroup;
  /** Its functions, by definition name. */
  public readonly functions: ReadonlyMap<string, CommerceFunction>;
  /** The bus rules that invoke its functions, and its functions' schedules. */
  public readonly eventRules: EventRules;
  /** Stream subscriptions of its functions. */
  public readonly streams: StreamSubscriptions;
  /** Where the state machines of its workflows are built. */
  public readonly workflowScope: Construct;
  private apiKeyChannels?: CfnParameter;

  constructor(scope: Construct, props: ContextStackProps) {
    const { group } = props;
    super(scope, group.id, {
      description: `connected-commerce ${group.name}: functions, workflows, bus rules, schedules, stream subscriptions, dead-letter queues and their alarms`,
    });
    this.group = group;
    // The nested stack's name is `<parent>-<this logical id>-<suffix>`, and the names CloudFormation
    // gives the functions start with it: `CommerceApi-Orders-…` reads better than the hashed default.
    this.nestedStackResource?.overrideLogicalId(group.id);

    const built = new Map<string, CommerceFunction>();
    for (const definition of group.functions) {
      const fn = new CommerceFunction(this, definition.name, { definition });
      const tableKeys = new Set<TableKey>([...definition.reads, ...definition.writes]);
      for (const key of tableKeys) {
        const table = props.tables[key];
        if (!table) throw new Error(`${definition.name} uses table ${key}, which is not defined`);
        fn.grantTable(table, {
          read: definition.reads.includes(key),
          write: definition.writes.includes(key),
        });
      }
      if (definition.putsEvents) {
        fn.grantPutEvents(props.bus);
      }
      built.set(definition.name, fn);
    }
    this.functions = built;

    this.workflowScope = new Construct(this, 'Workflows');
    this.eventRules = new EventRules(this, 'EventRules', {
      bus: props.bus,
      functions: built,
      rules: group.busRules,
      auditLog: props.auditLog,
    });
    this.streams = new StreamSubscriptions(this, 'StreamSubscriptions', {
      functions: built.values(),
      tables: props.tables,
    });
  }

  /**
   * Gives the functions that identify their caller by API key (`apiKeys: true`, on an `http` route)
   * the key id → principal map (`API_KEY_CHANNELS`). The map comes in as one parameter of this
   * stack, whatever the number of keys, rather than one parameter per key id.
   */
  public useApiKeyChannels(apiKeyChannelsJson: string): void {
    const users = [...this.functions.values()].filter(
      (fn) => fn.definition.trigger.kind === 'http' && fn.definition.apiKeys === true,
    );
    if (users.length === 0) return;
    if (this.apiKeyChannels === undefined) {
      this.apiKeyChannels = new CfnParameter(this, API_KEY_CHANNELS_PARAMETER, {
        type: 'String',
        description: 'API key id → principal, a JSON object (CommerceApi keys)',
      });
      this.apiKeyChannels.overrideLogicalId(API_KEY_CHANNELS_PARAMETER);
    }
    this.setParameter(API_KEY_CHANNELS_PARAMETER, apiKeyChannelsJson);
    for (const fn of users) fn.useApiKeyChannels(this.apiKeyChannels.valueAsString);
  }
}
