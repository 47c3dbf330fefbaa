import { CfnParameter, NestedStack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TableKey } from '../../shared/platform/definitions';
import { AUTH_ENV, CommerceFunction } from '../constructs/commerce-function';
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
  /** The environment's customer-data key: log groups and dead-letter queues. */
  readonly key: kms.IKey;
  /** How long the functions' log groups keep their logs (the environment's). */
  readonly logRetention: logs.RetentionDays;
}

/** Names of the parameters through which a context's stack receives what its routes need. */
const PARAMETERS = {
  authClients: { name: 'AuthClients', description: 'Cognito app client id → principal, a JSON object' },
  issuer: { name: 'AuthIssuer', description: "The user pool's issuer URL (the tokens' iss)" },
  userPoolId: {
    name: 'AuthUserPoolId',
    description: 'The user pool whose app clients the functions issue and look up',
  },
  tokenUrl: { name: 'AuthTokenUrl', description: "The user pool's token endpoint" },
} as const;

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
  private readonly routeParameters = new Map<string, CfnParameter>();

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
      const fn = new CommerceFunction(this, definition.name, {
        definition,
        key: props.key,
        logRetention: props.logRetention,
      });
      const declared = definition.dynamodb ?? {};
      const tableKeys = new Set<TableKey>([
        ...definition.reads,
        ...definition.writes,
        ...Object.keys(declared),
      ]);
      for (const key of tableKeys) {
        const table = props.tables[key];
        if (!table) throw new Error(`${definition.name} uses table ${key}, which is not defined`);
        // Exactly the actions the definition declares on the table, nothing by default.
        fn.grantTable(table, declared[key] ?? []);
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
      key: props.key,
    });
    this.streams = new StreamSubscriptions(this, 'StreamSubscriptions', {
      functions: built.values(),
      tables: props.tables,
      key: props.key,
    });
  }

  /**
   * Gives the API's authorizer function, if this stack holds it, the app client id → principal map
   * (`AUTH_CLIENTS`) and the user pool's issuer URL (`AUTH_ISSUER`); and every function whose
   * definition declares `oauthClients` (the authorizer, the location credential routes) its rights
   * on the pool's app clients with the pool's id and token endpoint. Each value is one parameter of
   * this stack. Route functions need none of it: they take the principal the authorizer hands over,
   * so a new client changes the authorizer's configuration only.
   */
  public useAuthClients(auth: {
    clientsJson: string;
    issuer: string;
    userPoolId: string;
    tokenUrl: string;
  }): void {
    const functions = [...this.functions.values()];
    const authorizers = functions.filter((fn) => fn.definition.trigger.kind === 'authorizer');
    if (authorizers.length > 0) {
      const clients = this.parameter(PARAMETERS.authClients, auth.clientsJson);
      const issuer = this.parameter(PARAMETERS.issuer, auth.issuer);
      for (const fn of authorizers) {
        fn.function.addEnvironment(AUTH_ENV.clients, clients);
        fn.function.addEnvironment(AUTH_ENV.issuer, issuer);
      }
    }
    const managers = functions.filter((fn) => (fn.definition.oauthClients ?? []).length > 0);
    if (managers.length > 0) {
      const userPoolId = this.parameter(PARAMETERS.userPoolId, auth.userPoolId);
      const tokenUrl = this.parameter(PARAMETERS.tokenUrl, auth.tokenUrl);
      const userPoolArn = this.formatArn({
        service: 'cognito-idp',
        resource: 'userpool',
        resourceName: userPoolId,
      });
      for (const fn of managers) fn.grantOAuthClients({ userPoolId, userPoolArn, tokenUrl });
    }
  }

  /** A parameter of this stack, given `value` by the parent; its value inside this stack. */
  private parameter(spec: { name: string; description: string }, value: string): string {
    let parameter = this.routeParameters.get(spec.name);
    if (parameter === undefined) {
      parameter = new CfnParameter(this, spec.name, { type: 'String', description: spec.description });
      parameter.overrideLogicalId(spec.name);
      this.routeParameters.set(spec.name, parameter);
    }
    this.setParameter(spec.name, value);
    return parameter.valueAsString;
  }
}
