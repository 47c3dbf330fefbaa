import type { z } from 'zod';
import type { StreamEventSource } from './events/stream';

/**
 * The vocabulary in which every context declares its shape: tables, functions with their triggers,
 * bus rules. `definitions.ts` collects the contexts' declarations; the CDK app and the embedded
 * runtime both build from that one collection.
 */

/** A table by its key (the owning context's name for it, e.g. `inventory`). */
export type TableKey = string;

export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

/** A DynamoDB table: string keys `PK`/`SK`, TTL on `ttl`, a NEW_AND_OLD_IMAGES stream. */
export interface TableDefinition {
  key: TableKey;
  /** Logical id in CDK and suffix of the local table name. */
  id: string;
  /** The variable through which a function that may use the table learns its name. */
  envVar: string;
  partitionKey: 'PK';
  sortKey: 'SK';
  ttlAttribute: 'ttl';
  indexes: IndexDefinition[];
}

/**
 * A context's table in the shape every context uses: string keys `PK`/`SK`, TTL on `ttl`, and one
 * overloaded index GSI1 (`GSI1PK`/`GSI1SK`) for the context's listings.
 */
export const contextTable = (key: TableKey, id: string, envVar: string): TableDefinition => ({
  key,
  id,
  envVar,
  partitionKey: 'PK',
  sortKey: 'SK',
  ttlAttribute: 'ttl',
  indexes: [{ indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' }],
});

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * Who may call an operation: anyone (with no rights), a sales channel, operations, a channel or
 * operations (`any`), or a location's own systems.
 */
export type ApiAccess = 'public' | 'channel' | 'ops' | 'any' | 'location';

/**
 * What an HTTP operation accepts, as zod schemas: the handler validates with them, API Gateway's
 * request models and the OpenAPI document are generated from them.
 */
export interface RouteSpec {
  method: HttpMethod;
  path: string;
  access: ApiAccess;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** Header name (as documented, e.g. `Idempotency-Key`) → schema; matched case-insensitively. */
  headers?: z.ZodObject;
  /** Success status and what it returns, for the API document. */
  responses?: Record<number, { description: string; schema?: z.ZodType }>;
}

export type Trigger =
  | ({ kind: 'http' } & RouteSpec)
  | { kind: 'event'; rule: string }
  | { kind: 'stream'; tables: TableKey[] }
  /** `localEverySeconds`: the embedded runtime's rate, where waiting a minute would only slow a demo. */
  | { kind: 'schedule'; everySeconds: number; localEverySeconds?: number }
  /** A Task of a workflow (by its name): the state machine invokes it, with the state's parameters as event. */
  | { kind: 'workflow'; workflow: string }
  /** The API's token authorizer: API Gateway invokes it before every operation that requires a scope. */
  | { kind: 'authorizer' }
  /** The consumer of a queue (by its name): batches of messages, each failed one reported back. */
  | { kind: 'queue'; queue: string };

/**
 * A DynamoDB action as IAM knows it (without the `dynamodb:` prefix), or a Query/Scan on one of the
 * table's indexes (`Query:GSI1`), which IAM checks against the index's ARN. A transaction is
 * authorised per item: TransactWriteItems through PutItem, UpdateItem, DeleteItem and
 * ConditionCheckItem, TransactGetItems through GetItem.
 */
export type DynamoAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem'
  | 'DescribeTable'
  | `Query:${string}`
  | `Scan:${string}`;

/** A Cognito action on the user pool's app clients, as IAM knows it (without `cognito-idp:`). */
export type OAuthClientAction =
  | 'CreateUserPoolClient'
  | 'DescribeUserPoolClient'
  | 'ListUserPoolClients'
  | 'DeleteUserPoolClient';

/** Per table, the actions a function calls on it: exactly what CDK grants, and the local runtime allows. */
export type TableActions = Partial<Record<TableKey, readonly DynamoAction[]>>;

/**
 * What a function may touch; CDK turns it into grants, the local runtime enforces the table actions
 * (`shared/platform/table-access.ts`).
 */
export interface FunctionDefinition {
  /** Logical name, PascalCase. */
  name: string;
  /** Handler module relative to the project root; it exports `handler`. */
  entry: string;
  description: string;
  trigger: Trigger;
  /**
   * The tables it reads and writes: it learns their names (env vars) and gets their KMS rights. What
   * it may do on each is `dynamodb`; a table listed here with no actions there gets its name only.
   */
  reads: TableKey[];
  writes: TableKey[];
  /**
   * Per table, exactly the DynamoDB actions it calls (derived from what the functions did under the
   * local and end-to-end suites, recorded by `table-access.ts`, plus the paths they do not reach, read
   * from the code). Every table here is in `reads` or `writes`.
   */
  dynamodb?: TableActions;
  putsEvents: boolean;
  /** Needs the API key id → principal map. */
  apiKeys?: boolean;
  /**
   * What it does with the user pool's app clients (`shared/platform/oauth-clients.ts`): exactly
   * these Cognito actions on the environment's pool; it learns the pool's id (`AUTH_USER_POOL_ID`)
   * and the token endpoint (`AUTH_TOKEN_URL`).
   */
  oauthClients?: readonly OAuthClientAction[];
  // What it does with workflows (by name), each use with its own rights, scoped by CDK to that state
  // machine or its executions ({@link WORKFLOW_USES}). For every workflow it uses in any way it gets
  // the state machine's ARN in the workflow's `envVar`, which its handler requires at cold start.
  /** Starts executions: StartExecution on the state machine, DescribeExecution on its executions. */
  startsWorkflows?: string[];
  /** Stops executions: StopExecution on the state machine's executions. */
  stopsWorkflows?: string[];
  /**
   * Reads executions: ListExecutions on the state machine, DescribeExecution and GetExecutionHistory
   * on its executions.
   */
  readsWorkflows?: string[];
  /** Answers waiting tasks: SendTaskSuccess/Failure/Heartbeat on the state machine. */
  answersWorkflows?: string[];
  /** Defaults: {@link FUNCTION_DEFAULTS}. */
  timeoutSeconds?: number;
  memoryMb?: number;
  /**
   * Concurrent executions reserved for the function, which are also its most: 1 for a job two runs
   * of which must not overlap (a sweeper over the same items). Unset, it shares the account's pool.
   */
  reservedConcurrency?: number;
}

/** The fields of a {@link FunctionDefinition} that say what it does with workflows. */
export const WORKFLOW_USES = [
  'startsWorkflows',
  'stopsWorkflows',
  'readsWorkflows',
  'answersWorkflows',
] as const;

/** What a function does with a workflow: one kind of Step Functions rights. */
export type WorkflowUse = (typeof WORKFLOW_USES)[number];

/** Every workflow (by name) a function uses in any way: it gets the ARN of each. */
export const workflowsUsedBy = (fn: FunctionDefinition): string[] => [
  ...new Set(WORKFLOW_USES.flatMap((use) => fn[use] ?? [])),
];

/** What a function gets when its definition says nothing: the same on AWS and locally. */
export const FUNCTION_DEFAULTS = { timeoutSeconds: 10, memoryMb: 512 } as const;

/**
 * A bus rule's function target, on AWS and locally: EventBridge retries a delivery it could not hand
 * to Lambda `deliveryRetryAttempts` times; Lambda's asynchronous invocation then retries a handler
 * that failed `handlerRetryAttempts` times before the event goes to the failure queue. A marketplace
 * order is worth hours of retries.
 */
export const BUS_TARGET_RETRY = {
  deliveryRetryAttempts: 8,
  handlerRetryAttempts: 2,
  maxEventAgeSeconds: 6 * 3600,
} as const;

/**
 * The stream event source mapping, on AWS and locally. A batch still failing after its retries, or
 * older than `maxRecordAgeSeconds`, goes whole (records included) to the on-failure bucket, and the
 * shard moves on. The age is well under the stream's 24-hour retention, so a stuck batch is set
 * aside while its records can still be read, and a replay has the records themselves.
 */
export const STREAM_RETRY = { retryAttempts: 10, maxRecordAgeSeconds: 6 * 3600 } as const;

/** API Gateway's REST integration timeout: a Lambda running longer gets the caller a 504. */
export const API_INTEGRATION_TIMEOUT_MS = 29_000;

export type EventPattern = Record<string, unknown>;

/** An EventBridge rule on the `commerce` bus. */
export interface BusRule {
  name: string;
  description: string;
  eventPattern: EventPattern;
  /** A function by its definition name, a queue by its name, or the audit log. */
  target: { function: string } | { queue: string } | { auditLog: true };
}

/**
 * An SQS standard queue between a bus rule and the function that consumes it, on AWS and locally:
 * the rule's target is the queue, the function reads it in batches and reports the messages it
 * could not process (partial batch responses), which come back after the visibility timeout; a
 * message received `maxReceiveCount` times without success moves to the queue's dead-letter queue,
 * from which a redrive puts it back. For work worth more than Lambda's asynchronous retries.
 */
export interface QueueDefinition {
  /** PascalCase: the construct id in CDK and the local queue's name (`<name>-dlq` for its DLQ). */
  name: string;
  description: string;
  /** The function that consumes it (its trigger is `{ kind: 'queue', queue: name }`). */
  consumer: string;
  /** Receives after which a message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /** Messages per invocation. */
  batchSize: number;
}

/**
 * How a context's table stream becomes events: the stream publisher loads `load()` (a dynamic
 * import, so the CDK app and the local runtime do not load adapters to read the definitions) and
 * needs the tables listed for its follow-up work.
 */
export interface EventSourceDefinition {
  table: TableKey;
  reads: TableKey[];
  writes: TableKey[];
  /** Per table, the DynamoDB actions its follow-up work calls (the publisher gets them). */
  dynamodb?: TableActions;
  load(): Promise<StreamEventSource>;
}

/** An event from outside the system that a context takes in through one of its bus rules. */
export interface InboundEvent {
  /** The source senders set; `<name>` stands for their own part, e.g. `marketplace.<name>`. */
  source: string;
  detailType: string;
  /** What it is, for the event catalogue. */
  description: string;
  /** The event's `detail`, as a sender puts it on the bus. */
  detail: z.ZodType;
}

/**
 * A Step Functions state machine (Standard, JSONPath ASL) from a file under `statemachines/`. The
 * file's `${Placeholder}`s are filled with function ARNs (`functions`) and state machine ARNs
 * (`workflows`): by CDK's `definitionSubstitutions` on AWS, by the local runner at home. Every Task
 * function it names has a `workflow` trigger naming it back.
 */
export interface WorkflowDefinition {
  /** Logical name, PascalCase: the construct id in CDK and the state machine name locally. */
  name: string;
  /** The ASL file, relative to the project root. */
  file: string;
  description: string;
  /** Placeholder → the function (by definition name) whose ARN fills it. */
  functions: Record<string, string>;
  /** Placeholder → the state machine (by workflow name) whose ARN fills it. */
  workflows?: Record<string, string>;
  /** The variable through which a function that uses it (starts, stops, reads, answers) learns its ARN. */
  envVar: string;
  /** Starts child executions of these workflows (`states:startExecution.sync:2`). */
  startsWorkflows?: string[];
}

/** One bounded context's declaration. */
export interface ContextDefinition {
  name: string;
  tables: TableDefinition[];
  functions: FunctionDefinition[];
  busRules: BusRule[];
  /** What the context publishes (its source, one schema per detail-type, and when each is emitted). */
  events?: { source: string; events: Record<string, z.ZodType>; descriptions?: Record<string, string> };
  /** What it takes in from outside the system, for the event catalogue. */
  inboundEvents?: InboundEvent[];
  /** Present when the context's records become domain events. */
  eventSource?: EventSourceDefinition;
  /** The state machines it runs. */
  workflows?: WorkflowDefinition[];
  /** The queues in front of its functions. */
  queues?: QueueDefinition[];
}

/** Declares a route, keeping its schemas' types for the handler that serves it. */
export const defineRoute = <const S extends RouteSpec>(spec: S): S => spec;

/** An HTTP trigger from its route spec. */
export const http = (spec: RouteSpec): Trigger => ({ kind: 'http', ...spec });

/** The union of table actions, each table's list sorted, so that declarations read alike. */
export const mergeTableActions = (...parts: TableActions[]): TableActions => {
  const merged = new Map<TableKey, Set<DynamoAction>>();
  for (const part of parts) {
    for (const [table, actions] of Object.entries(part)) {
      const set = merged.get(table) ?? new Set<DynamoAction>();
      for (const action of actions ?? []) set.add(action);
      merged.set(table, set);
    }
  }
  return Object.fromEntries([...merged].map(([table, set]) => [table, [...set].sort()]));
};

/** The actions that change a table (the rest read it, or check a condition on it). */
const WRITE_ACTIONS: ReadonlySet<DynamoAction> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
]);

/** True for an action that changes the table it is called on. */
export const isWriteAction = (action: DynamoAction): boolean => WRITE_ACTIONS.has(action);

/**
 * The tables a function uses, from the actions it calls on each: it reads every table it calls an
 * action on, and writes those it calls a write action on.
 */
export const tablesFor = (
  dynamodb: TableActions,
): { reads: TableKey[]; writes: TableKey[]; dynamodb: TableActions } => {
  const used = Object.entries(dynamodb).filter(([, actions]) => (actions ?? []).length > 0);
  return {
    reads: used.map(([table]) => table),
    writes: used.filter(([, actions]) => (actions ?? []).some(isWriteAction)).map(([table]) => table),
    dynamodb,
  };
};

/**
 * The function that serves a route: `functions/<context>/<file>.ts`, described by the route's
 * summary, with the API key map unless the route is public.
 */
export const routeFunction = (
  context: string,
  name: string,
  file: string,
  spec: RouteSpec,
  tables: { reads: TableKey[]; writes: TableKey[]; dynamodb?: TableActions },
): FunctionDefinition => ({
  name,
  entry: `functions/${context}/${file}.ts`,
  description: spec.summary,
  trigger: http(spec),
  ...tables,
  putsEvents: false,
  // A location's own systems authenticate with their OAuth client only: the gateway's API keys and
  // usage plans are the channels' and operations'; a location's calls are throttled by the WAF's
  // per-token rate rule and the stage's method throttles.
  ...(spec.access === 'public' || spec.access === 'location' ? {} : { apiKeys: true }),
});

/**
 * The route functions of a context whose routes use its own table only, each with the actions it
 * calls on it: it reads the table, and writes it when one of them is a write.
 */
export const ownTableRoutes =
  (context: string, table: TableKey) =>
  (name: string, file: string, spec: RouteSpec, actions: readonly DynamoAction[]) =>
    routeFunction(context, name, file, spec, tablesFor({ [table]: actions }));
