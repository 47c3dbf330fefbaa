import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { scopedOperations } from '../shared/platform/authorizer';
import {
  BUS_NAME,
  busRules,
  contexts,
  ENV,
  type FunctionDefinition,
  functions,
  LOCAL_API_KEYS,
  type QueueDefinition,
  queues as queueDefinitions,
  workflows as sharedWorkflows,
  type TableKey,
  tables,
  type WorkflowDefinition,
} from '../shared/platform/definitions';
import { setTableAccessPolicy, TABLE_ACCESS_ENV } from '../shared/platform/table-access';
import { acquireDataDir, type DataDirLock } from './data-dir-lock';
import { DeadLetterQueue } from './dead-letters';
import { FileDeliveryJournal } from './delivery-journal';
import {
  createTables,
  type DynamoDbLocal,
  freePort,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoDbLocal,
  tableNames as tableNamesFor,
} from './dynamodb';
import { allowRequireOfImportOnlyPackages } from './esm-interop';
import { EVENTBRIDGE_PATH, LocalEventBus, type RetryPolicy } from './event-bus';
import { type ApiServer, createApiServer, httpRoutes } from './http-server';
import { LOCAL_ACCOUNT_ID, type LocalHandler } from './lambda';
import { lambdaEndpoints } from './lambda-endpoint';
import { consoleLogger, type LocalLogger } from './log';
import {
  COGNITO_PATH,
  declaredScopes,
  JWKS_PATH,
  LOCAL_USER_POOL_ID,
  localDevClients,
  OAuthIssuer,
  TOKEN_PATH,
} from './oauth-issuer';
import { LocalQueue } from './queue';
import { type Scheduler, scheduledJobs, startScheduler } from './scheduler';
import { seedDemoNetwork } from './seed';
import { LocalStreamFailureStore, streamFailureRecord } from './stream-failures';
import { StreamPoller } from './stream-poller';
import { STATES_PATH, statesEndpoints } from './workflows/endpoint';
import { substitute } from './workflows/lint';
import { type AslDefinition, type StateMachineSpec, WorkflowRunner } from './workflows/runner';
import { localFunctionArn, localServices } from './workflows/services';
import { WorkflowStore } from './workflows/store';

/** The project root: function entries in the definitions are relative to it. */
export const PROJECT_ROOT = resolve(__dirname, '..');

/** Where persistent data goes when `npm start` is not told otherwise. */
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.data');

/**
 * The path prefix under which the runtime's own callers (the seed, the handlers' SDK clients) reach
 * the API while it still answers 503 STARTING to everyone else. One per process: handler modules
 * read their endpoint once, so a second stack in this process must see the same one.
 */
const INTERNAL_PREFIX = `/_runtime/${randomUUID()}`;

/**
 * How long a message its consumer failed on waits locally before it is received again: short, so a
 * demo's five failures take seconds, not AWS's six function timeouts each.
 */
export const LOCAL_QUEUE_VISIBILITY_TIMEOUT_MS = 2_000;

/** The function API Gateway invokes as the TOKEN authorizer (its definition's trigger is `authorizer`). */
const AUTHORIZER = functions.find((f) => f.trigger.kind === 'authorizer')?.name;

export interface LocalStackOptions {
  /** HTTP port on 127.0.0.1; `0` picks a free one. Default 3000. */
  port?: number;
  /** Persist DynamoDB data and stream checkpoints here. Without it (or with `inMemory`) the run is throwaway. */
  dataDir?: string;
  /** Ignore `dataDir`: everything in memory. */
  inMemory?: boolean;
  /** Seed the demo network through the API (throws if the API refuses it). Default false. */
  seed?: boolean;
  /** Rates of scheduled functions by name, in ms; default each schedule's `localEverySeconds`. */
  scheduleIntervalsMs?: Record<string, number>;
  /** Only warnings and errors on the console. */
  quiet?: boolean;
  /** Physical table names are `<prefix><Id>`; default `commerce-`. */
  tablePrefix?: string;
  /** Reuse a running DynamoDB Local (tests) instead of starting one. */
  dynamodbEndpoint?: string;
  /** How a function's handler is obtained; default: import its `entry` module. Tests pass fakes. */
  loadHandler?: (definition: FunctionDefinition) => LocalHandler | Promise<LocalHandler>;
  /** Where the runtime reports; default the console (honouring `quiet`). */
  log?: LocalLogger;
  /** Bus delivery retries; default the CDK's counts (from the definitions), 100 ms doubling. */
  busRetry?: Partial<RetryPolicy>;
  /**
   * The work queues' visibility timeout: how long a message a consumer failed on waits before it is
   * received again (default {@link LOCAL_QUEUE_VISIBILITY_TIMEOUT_MS}; on AWS six times the
   * consumer's timeout).
   */
  queueVisibilityTimeoutMs?: number;
  /** The stream poller's retries of a failing batch (default: the definitions' 10, from 100 ms). */
  streamRetry?: { maxRetries?: number; retryDelayMs?: number };
  /**
   * Runs once everything behind the API runs and before the API opens (`npm start` seeds here), with
   * the URL under which the API already answers to the runtime itself.
   */
  beforeOpen?: (context: { internalUrl: string; dataDir?: string }) => Promise<void>;
  /**
   * Multiplies the workflows' durations (Wait states, task timeouts such as a location's SLA,
   * heartbeats): below 1 shortens them, for demos and tests. Default 1.
   */
  workflowTimeScale?: number;
  /**
   * The state machines to run; default every context's (`workflows` of the definitions). Tests pass
   * fixtures whose Tasks name the same functions (their `file` may be absolute).
   */
  workflows?: readonly WorkflowDefinition[];
}

/** Milliseconds from the start of {@link startLocalStack}; DynamoDB Local boots while the handlers load. */
export interface StartupTimings {
  /** Until DynamoDB Local answered (0 when an endpoint was given). */
  dynamodbMs: number;
  handlersMs: number;
  tablesMs: number;
  seedMs?: number;
  totalMs: number;
}

/** A running embedded system. */
export interface LocalStack {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The same API for the runtime's own callers: open while starting and stopping (see `beforeOpen`). */
  internalUrl: string;
  port: number;
  /** The EventBridge endpoint the handlers use (`EVENTBRIDGE_ENDPOINT`). */
  eventBridgeEndpoint: string;
  /**
   * The Step Functions endpoint for outside callers (`@aws-sdk/client-sfn`, the AWS CLI's
   * `--endpoint-url`); the handlers use the same one under {@link internalUrl}.
   */
  stepFunctionsEndpoint: string;
  /** Each workflow's local state machine ARN, by workflow name. */
  stateMachineArns: Record<string, string>;
  /** The durable workflow runner behind the Step Functions endpoint: executions, task tokens, timers. */
  workflows: WorkflowRunner;
  dynamodbEndpoint: string;
  tableNames: Record<TableKey, string>;
  /** The local `commerce` bus: `events()`, `whenIdle()`, `putEvents()`. */
  bus: LocalEventBus;
  /** The OAuth issuer of the API's access tokens (`POST /_local/oauth2/token`): keys and clients. */
  oauth: OAuthIssuer;
  /** The work queues by name, each with its dead-letter queue (`GET /_local/queues/<name>`). */
  queues: ReadonlyMap<string, { queue: LocalQueue; deadLetters: LocalQueue }>;
  /** Failed bus deliveries and stream batches (`GET /_local/dlq`). */
  deadLetters: DeadLetterQueue;
  /** The data directory in use, if the run persists. */
  dataDir?: string;
  /** The environment given to the handlers. */
  env: Record<string, string>;
  /** Where the startup time went. */
  timings: StartupTimings;
  /** Stops everything it started and restores `process.env`; the API answers 503 STOPPING meanwhile. */
  stop(): Promise<void>;
}

/**
 * Starts the whole system on this machine from the shared definitions: DynamoDB Local with the
 * tables, the API (HTTP → API Gateway proxy events), the `commerce` bus, the stream poller feeding
 * the publisher, the scheduled functions, and the workflows (the same ASL files, run by the durable
 * local runner behind a Step Functions endpoint) — all running the same handler modules as AWS.
 *
 * Handlers read their configuration from `process.env` when their module loads, so this sets the
 * environment first and imports them after. One stack per process: modules load once.
 *
 * The API listens from the start (the handlers need its URL) but answers 503 STARTING, with
 * `Retry-After`, until the engine answers, the tables exist, the handlers are loaded, the stream
 * poller, the scheduler and the bus's resumed deliveries run and `seed`/`beforeOpen` are done: from
 * then on a request gets what it would get on AWS. A data directory is held by one runtime at a time
 * (see `data-dir-lock.ts`).
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = Date.now();
  const log = options.log ?? consoleLogger({ quiet: options.quiet });
  const region = LOCAL_REGION;
  const prefix = options.tablePrefix ?? 'commerce-';
  const persistDir = options.inMemory || !options.dataDir ? undefined : resolve(options.dataDir);
  const timings: StartupTimings = { dynamodbMs: 0, handlersMs: 0, tablesMs: 0, totalMs: 0 };
  const timeScale = options.workflowTimeScale ?? 1;
  if (!(Number.isFinite(timeScale) && timeScale > 0)) {
    throw new Error(`workflowTimeScale must be a positive number, not ${timeScale}`);
  }
  // Read and filled before anything starts: a definition that cannot run fails the start at once.
  const workflowDefinitions = options.workflows ?? sharedWorkflows;
  const stateMachines = localStateMachines(workflowDefinitions, functions, region);
  const stateMachineArns = Object.fromEntries(stateMachines.map((m) => [m.name, m.arn]));
  const cleanups: (() => Promise<void> | void)[] = [];
  let api: ApiServer | undefined;
  const stopAll = async () => {
    api?.setState('stopping');
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.error('local stack: failure while stopping', error);
      }
    }
    cleanups.length = 0;
  };

  try {
    // First, before anything touches the directory: one runtime per data dir.
    let lock: DataDirLock | undefined;
    if (persistDir) {
      const held = await acquireDataDir(persistDir, log);
      lock = held;
      cleanups.push(() => held.release());
    }

    // DynamoDB Local (a JVM, the slowest step) boots while the API listens and the handlers load.
    let engine: Promise<DynamoDbLocal> | undefined;
    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (dynamodbEndpoint) assertLoopback(dynamodbEndpoint);
    else {
      const enginePort = await freePort();
      dynamodbEndpoint = `http://127.0.0.1:${enginePort}`;
      engine = startDynamoDbLocal({
        port: enginePort,
        dataDir: persistDir,
        onSpawn: (pid) => lock?.setEngine(pid),
      }).then((running) => {
        timings.dynamodbMs = Date.now() - started;
        return running;
      });
      const booting = engine;
      // Handled here so a boot failure is not an unhandled rejection before `await engine` rethrows it.
      // The engine kills itself if this process exits without stop(); see startDynamoDbLocal.
      booting.catch(() => undefined);
      // Registered at once, so a failure in a later step still stops the JVM.
      cleanups.push(async () => {
        await (await booting.catch(() => undefined))?.stop();
      });
    }
    const clientConfig = { endpoint: dynamodbEndpoint, region, credentials: LOCAL_CREDENTIALS };
    const dynamodb = new DynamoDBClient(clientConfig);
    cleanups.push(() => dynamodb.destroy());
    const tableNames = tableNamesFor(prefix);

    // The API listens before the handlers load: they need the bus URL, which needs the port.
    const handlers = new Map<string, LocalHandler>();
    const deadLetters = new DeadLetterQueue();
    // The work queues (a rule's target, a function's trigger), each with its dead-letter queue; with
    // a data directory both keep their messages on disk, named after the prefix.
    const queues = new Map<
      string,
      { definition: QueueDefinition; queue: LocalQueue; deadLetters: LocalQueue }
    >();
    for (const definition of queueDefinitions) {
      const directory = (name: string) =>
        persistDir ? join(persistDir, `queue-${prefix}${name}`) : undefined;
      const dlq = new LocalQueue({
        name: `${definition.name}-dlq`,
        directory: directory(`${definition.name}-dlq`),
        region,
        log,
      });
      const queue = new LocalQueue({
        name: definition.name,
        directory: directory(definition.name),
        visibilityTimeoutMs: options.queueVisibilityTimeoutMs ?? LOCAL_QUEUE_VISIBILITY_TIMEOUT_MS,
        maxReceiveCount: definition.maxReceiveCount,
        deadLetterQueue: dlq,
        region,
        log,
      });
      queues.set(definition.name, { definition, queue, deadLetters: dlq });
    }
    const bus = new LocalEventBus({
      rules: busRules,
      queues: new Map([...queues].map(([name, { queue }]) => [name, queue])),
      functions,
      handlers,
      region,
      name: BUS_NAME,
      deadLetters,
      retry: options.busRetry,
      log,
      // Accepted deliveries survive a crash; named after the prefix like the stream checkpoints.
      journal: persistDir
        ? new FileDeliveryJournal(join(persistDir, `bus-deliveries-${prefix}`), log)
        : undefined,
    });
    cleanups.push(() => bus.stop());
    // Built before the API so its endpoint is mounted from the start (503 to outside callers until
    // the stack opens); it runs nothing until start(), once the tables exist and the handlers load.
    const runner = new WorkflowRunner({
      store: new WorkflowStore(dynamodb, `${prefix}Workflows`),
      stateMachines,
      callService: localServices({ functions, handlers, region }),
      timeScale,
      region,
      accountId: LOCAL_ACCOUNT_ID,
      log,
    });
    // The OAuth issuer the API's authorizer trusts: the dev clients, and keys that persist with the data.
    let issuerUrl = '';
    const oauth = new OAuthIssuer({
      issuer: () => issuerUrl,
      devClients: localDevClients(contexts),
      knownScopes: declaredScopes(contexts),
      ...(persistDir ? { statePath: join(persistDir, `oauth-${prefix}state.json`) } : {}),
    });
    const server: ApiServer = createApiServer({
      routes: httpRoutes(functions, scopedOperations(contexts)),
      authorizer: AUTHORIZER,
      handlers,
      apiKeys: LOCAL_API_KEYS,
      region,
      endpoints: [
        ...bus.endpoints(),
        ...statesEndpoints(runner),
        ...oauth.endpoints(),
        ...lambdaEndpoints({ functions, handlers, region }),
        ...[...queues.values()].flatMap(({ queue, deadLetters: dlq }) => [
          ...queue.endpoints(),
          ...dlq.endpoints(),
        ]),
      ],
      log,
      initialState: 'starting',
      internalPrefix: INTERNAL_PREFIX,
    });
    api = server;
    const requestedPort = options.port ?? 3000;
    let port: number;
    try {
      port = await server.listen(requestedPort);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`Port ${requestedPort} is already in use on 127.0.0.1; set PORT to another port.`);
      }
      throw error;
    }
    cleanups.push(() => server.close());
    lock?.setPort(port);
    const url = `http://127.0.0.1:${port}`;
    const internalUrl = `${url}${INTERNAL_PREFIX}`;
    issuerUrl = `${url}/_local/oauth2`;
    const eventBridgeEndpoint = `${url}${EVENTBRIDGE_PATH}`;
    const stepFunctionsEndpoint = `${url}${STATES_PATH}`;

    // The handlers' environment, then the handlers.
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.values(tables).map((t) => [t.envVar, `${prefix}${t.id}`])),
      [ENV.eventBusName]: BUS_NAME,
      [ENV.authIssuer]: issuerUrl,
      // Fetched through the runtime's own door: the authorizer verifies while outside callers wait.
      [ENV.authJwksUri]: `${internalUrl}${JWKS_PATH}`,
      [ENV.authClients]: JSON.stringify(
        Object.fromEntries(localDevClients(contexts).map((c) => [c.clientId, c.principal])),
      ),
      // The user pool whose clients the system issues (a location's) and the authorizer looks up.
      [ENV.authUserPoolId]: LOCAL_USER_POOL_ID,
      [ENV.authTokenUrl]: `${url}${TOKEN_PATH}`,
      [ENV.cognitoEndpoint]: `${internalUrl}${COGNITO_PATH}`,
      [ENV.dynamodbEndpoint]: dynamodbEndpoint,
      // The publisher puts events while the API still holds outside callers off (startup, shutdown).
      [ENV.eventBridgeEndpoint]: `${internalUrl}${EVENTBRIDGE_PATH}`,
      // Likewise the handlers that start executions and answer task tokens.
      [ENV.stepFunctionsEndpoint]: `${internalUrl}${STATES_PATH}`,
      ...Object.fromEntries(workflowDefinitions.map((w) => [w.envVar, stateMachineArns[w.name] ?? ''])),
      // Each function may call only the table actions its definition declares, as IAM allows on AWS
      // (`COMMERCE_TABLE_ACCESS=off` in the runtime's own environment turns the check off).
      [TABLE_ACCESS_ENV]: process.env[TABLE_ACCESS_ENV] === 'off' ? 'off' : 'enforce',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
    // A JSON log line per request from every handler would swamp the console; the user's setting wins.
    if (process.env.POWERTOOLS_LOG_LEVEL === undefined)
      env.POWERTOOLS_LOG_LEVEL = options.quiet ? 'ERROR' : 'WARN';
    // Likewise a metric line per order (CloudWatch reads them on AWS; nothing does here).
    if (process.env.POWERTOOLS_METRICS_DISABLED === undefined) env.POWERTOOLS_METRICS_DISABLED = 'true';
    cleanups.push(setEnvironment(env));
    setTableAccessPolicy({
      tableKeys: Object.fromEntries(Object.values(tables).map((t) => [`${prefix}${t.id}`, t.key])),
      functions,
    });
    cleanups.push(() => setTableAccessPolicy(undefined));
    if (!options.loadHandler) guardModuleEnvironment(env);
    const load = options.loadHandler ?? importHandler;
    const handlersStarted = Date.now();
    for (const definition of functions) handlers.set(definition.name, await load(definition));
    timings.handlersMs = Date.now() - handlersStarted;

    await engine;
    const tablesStarted = Date.now();
    await createTables(dynamodb, prefix);
    timings.tablesMs = Date.now() - tablesStarted;

    // Workflows, resumed where the last run left them. Started before the stream poller and the bus's
    // resumed deliveries, not after: both can reach handlers that start executions (a new order's
    // fulfilment), which need the runner's table and a running runner. Its tasks need only the
    // handlers and the tables, which are there; their events reach the bus, which is up.
    const resumed = await runner.start();
    cleanups.push(() => runner.stop());
    if (resumed > 0) log.info(`local stack: resumed ${resumed} running workflow execution(s)`);

    // Streams → publisher.
    const failureStore = persistDir
      ? new LocalStreamFailureStore(join(persistDir, `stream-failures-${prefix}`))
      : undefined;
    const streamFunction = functions.find((fn) => fn.trigger.kind === 'stream');
    if (streamFunction && streamFunction.trigger.kind === 'stream') {
      const streams = new DynamoDBStreamsClient(clientConfig);
      cleanups.push(() => streams.destroy());
      const poller = new StreamPoller({
        dynamodb,
        streams,
        tableNames: streamFunction.trigger.tables.map((key) => `${prefix}${tables[key]?.id}`),
        functionName: streamFunction.name,
        handlers,
        timeoutSeconds: streamFunction.timeoutSeconds,
        memoryMb: streamFunction.memoryMb,
        region,
        // Named after the prefix: two stacks sharing a data dir keep separate progress.
        checkpointFile: persistDir ? join(persistDir, `stream-checkpoints-${prefix}.json`) : undefined,
        deadLetters,
        ...options.streamRetry,
        // A batch given up on is kept whole, as Lambda's S3 on-failure destination keeps it.
        ...(failureStore
          ? {
              onFailure: async (event, info) => {
                await failureStore.write(
                  streamFailureRecord({
                    event,
                    functionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${streamFunction.name}`,
                    condition: 'RetryAttemptsExhausted',
                    attempts: info.attempts,
                    error: info.error,
                    shardId: info.shardId,
                  }),
                  `local-${streamFunction.name}`,
                );
              },
            }
          : {}),
        log,
      });
      await poller.start();
      cleanups.push(() => poller.stop());
    }

    // Deliveries an earlier run accepted and did not settle (a crash, a stop between retries).
    await bus.resume();

    // Each work queue's consumer polls it, picking up what an earlier run left (a crash, a stop).
    for (const { definition, queue } of queues.values()) {
      const consumer = functions.find((fn) => fn.name === definition.consumer);
      if (!consumer) throw new Error(`Queue ${definition.name}: no function ${definition.consumer}`);
      queue.consume(
        {
          name: consumer.name,
          // Looked up per batch, as the bus looks up its targets.
          handler: (event, context) => {
            const handler = handlers.get(consumer.name);
            if (!handler) throw new Error(`${consumer.name} is not loaded`);
            return handler(event, context);
          },
          timeoutSeconds: consumer.timeoutSeconds,
          memoryMb: consumer.memoryMb,
          region,
        },
        { batchSize: definition.batchSize },
      );
      queue.start();
      cleanups.push(() => queue.stop());
    }

    // Schedules at their local rates (`localEverySeconds`), unless a caller overrides one.
    const scheduler: Scheduler = startScheduler({
      jobs: scheduledJobs(functions, options.scheduleIntervalsMs ?? {}),
      handlers,
      region,
      log,
    });
    cleanups.push(() => scheduler.stop());

    if (options.seed) {
      const seedStarted = Date.now();
      await seedDemoNetwork(internalUrl);
      timings.seedMs = Date.now() - seedStarted;
    }
    await options.beforeOpen?.({ internalUrl, dataDir: persistDir });
    server.setState('ready');
    timings.totalMs = Date.now() - started;

    return {
      url,
      internalUrl,
      port,
      eventBridgeEndpoint,
      stepFunctionsEndpoint,
      stateMachineArns,
      workflows: runner,
      dynamodbEndpoint,
      tableNames,
      bus,
      oauth,
      queues: new Map(
        [...queues].map(([name, { queue, deadLetters: dlq }]) => [name, { queue, deadLetters: dlq }]),
      ),
      deadLetters,
      dataDir: persistDir,
      env,
      timings,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The ARN a workflow's state machine has locally (its name, the local account and region). */
export const localStateMachineArn = (region: string, name: string): string =>
  `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:${name}`;

/**
 * The state machines of the workflow definitions as the local runner runs them: each ASL file with
 * its `${Placeholder}`s filled as CDK's `definitionSubstitutions` fill them on AWS — a function
 * placeholder with the function's local ARN, a workflow placeholder with the state machine's local
 * ARN. A placeholder the definition does not declare, or a declared function or workflow that does
 * not exist, is an error naming it (CDK would deploy a machine that fails at run time).
 */
export function localStateMachines(
  workflows: readonly WorkflowDefinition[],
  functionDefinitions: readonly FunctionDefinition[],
  region: string,
): StateMachineSpec[] {
  const functionNames = new Set(functionDefinitions.map((fn) => fn.name));
  const workflowNames = new Set<string>();
  for (const workflow of workflows) {
    if (workflowNames.has(workflow.name)) throw new Error(`Two workflows are named ${workflow.name}`);
    workflowNames.add(workflow.name);
  }
  return workflows.map((workflow) => {
    const declared = `workflow ${workflow.name} (${workflow.file})`;
    for (const [placeholder, name] of Object.entries(workflow.functions)) {
      if (!functionNames.has(name)) {
        throw new Error(`${declared}: \${${placeholder}} names function ${name}, which is not defined`);
      }
    }
    for (const [placeholder, name] of Object.entries(workflow.workflows ?? {})) {
      if (!workflowNames.has(name)) {
        throw new Error(`${declared}: \${${placeholder}} names workflow ${name}, which is not defined`);
      }
    }
    const undeclared = new Set<string>();
    const text = substitute(readFileSync(resolve(PROJECT_ROOT, workflow.file), 'utf8'), (placeholder) => {
      // Own properties only: a placeholder such as `${constructor}` is not declared by any object.
      if (Object.hasOwn(workflow.functions, placeholder)) {
        return localFunctionArn(region, workflow.functions[placeholder] as string);
      }
      if (workflow.workflows && Object.hasOwn(workflow.workflows, placeholder)) {
        return localStateMachineArn(region, workflow.workflows[placeholder] as string);
      }
      undeclared.add(placeholder);
      return '';
    });
    if (undeclared.size > 0) {
      const names = [...undeclared].map((p) => `\${${p}}`).join(', ');
      throw new Error(
        `${declared} uses ${names}, which its definition declares neither in functions nor in workflows`,
      );
    }
    let definition: AslDefinition;
    try {
      definition = JSON.parse(text) as AslDefinition;
    } catch (error) {
      throw new Error(`${declared} is not valid JSON: ${(error as Error).message}`);
    }
    return { arn: localStateMachineArn(region, workflow.name), name: workflow.name, definition };
  });
}

/** The embedded runtime talks to this machine only; a remote endpoint here would be a mistake. */
function assertLoopback(endpoint: string): void {
  const host = new URL(endpoint).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    throw new Error(`dynamodbEndpoint must be on the loopback interface, not ${host}`);
  }
}

/** The environment the real handler modules were first loaded with in this process. */
let moduleEnvironment: Record<string, string> | undefined;

/**
 * Handler modules read their environment once, when first loaded, and stay cached: a second stack in
 * the same process with other tables or endpoints would run handlers pointing at the first one.
 */
function guardModuleEnvironment(env: Record<string, string>): void {
  if (!moduleEnvironment) {
    moduleEnvironment = { ...env };
    return;
  }
  const changed = Object.keys(env).filter((name) => moduleEnvironment?.[name] !== env[name]);
  if (changed.length > 0) {
    throw new Error(
      `The handler modules were already loaded in this process with another ${changed.join(', ')}; ` +
        'run one local stack per process (or reuse the same port, table prefix and DynamoDB endpoint).',
    );
  }
}

/** Imports a function's entry module (after the environment is set) and returns its `handler`. */
export async function importHandler(definition: FunctionDefinition): Promise<LocalHandler> {
  allowRequireOfImportOnlyPackages();
  const module = (await import(join(PROJECT_ROOT, definition.entry))) as {
    handler?: unknown;
    default?: { handler?: unknown };
  };
  const handler = module.handler ?? module.default?.handler;
  if (typeof handler !== 'function') {
    throw new Error(`${definition.entry} does not export a handler function (${definition.name})`);
  }
  return handler as LocalHandler;
}

/** Sets variables and returns how to put the previous values back. */
function setEnvironment(values: Record<string, string>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    previous.set(name, process.env[name]);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
