/**
 * `npm start`: the whole system on this machine (see `docs/` and the README).
 *
 *   npm start                      persistent data in .data/, demo network seeded once
 *   npm start -- --in-memory       throwaway run
 *   npm start -- --no-seed         start empty
 *   npm start -- --data-dir <dir>  keep the data elsewhere
 *   npm start -- --reseed          seed the demo network again (resets its stock counts)
 *   npm start -- --time-scale 0.01 workflow Wait and SLA durations × 0.01 (demos, tests)
 *   PORT=4000 npm start            another port (default 3000)
 *
 * The API answers 503 STARTING until everything behind it runs (and the demo network is seeded);
 * "Ready in" is printed when it opens. A data directory is held by one runtime at a time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { LOCAL_API_KEYS } from '../shared/platform/definitions';
import { assertJava } from './dynamodb';
import { consoleLogger } from './log';
import { demoNetwork, SeedError, seedDemoNetwork } from './seed';
import { DEFAULT_DATA_DIR, PROJECT_ROOT, startLocalStack } from './stack';

interface CliOptions {
  inMemory: boolean;
  seed: boolean;
  reseed: boolean;
  dataDir: string;
  quiet: boolean;
  timeScale: number;
}

const USAGE = `Usage: npm start -- [--in-memory] [--no-seed] [--reseed] [--data-dir <dir>] [--time-scale <x>] [--quiet]
  --in-memory        throwaway run, nothing written to disk
  --no-seed          do not load the demo network
  --reseed           load the demo network again even if this data dir has it
  --data-dir <dir>   where data persists (default .data/ in the project root); one runtime at a time
  --time-scale <x>   workflow Wait and SLA durations × x (e.g. 0.01: a 4-hour SLA in 2.4 minutes)
  --quiet            warnings and errors only
Environment: PORT (default 3000).`;

function parseArgs(argv: string[]): CliOptions {
  const options: CliOptions = {
    inMemory: false,
    seed: true,
    reseed: false,
    dataDir: DEFAULT_DATA_DIR,
    quiet: false,
    timeScale: 1,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--in-memory') options.inMemory = true;
    else if (arg === '--no-seed') options.seed = false;
    else if (arg === '--reseed') options.reseed = true;
    else if (arg === '--quiet') options.quiet = true;
    else if (arg === '--data-dir') {
      const dir = argv[i + 1];
      if (!dir) fail('--data-dir needs a directory');
      options.dataDir = resolve(dir);
      i += 1;
    } else if (arg?.startsWith('--data-dir=')) options.dataDir = resolve(arg.slice('--data-dir='.length));
    else if (arg === '--time-scale') {
      options.timeScale = timeScale(argv[i + 1]);
      i += 1;
    } else if (arg?.startsWith('--time-scale='))
      options.timeScale = timeScale(arg.slice('--time-scale='.length));
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else fail(`Unknown option ${arg}\n${USAGE}`);
  }
  return options;
}

/** A positive factor for workflow durations; anything else ends the start with the usage. */
function timeScale(value: string | undefined): number {
  const scale = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(scale) || scale <= 0) {
    fail(`--time-scale needs a positive number (e.g. 0.01), not ${value ?? 'nothing'}\n${USAGE}`);
  }
  return scale;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** The demo network's fingerprint: seeding a persistent dir again only when the data changed. */
function seedMarker(dataDir: string): { path: string; hash: string; current: boolean } {
  const hash = createHash('sha256').update(JSON.stringify(demoNetwork)).digest('hex').slice(0, 16);
  const path = join(dataDir, 'demo-seeded.json');
  let current = false;
  if (existsSync(path)) {
    try {
      current = (JSON.parse(readFileSync(path, 'utf8')) as { hash?: string }).hash === hash;
    } catch {
      current = false;
    }
  }
  return { path, hash, current };
}

/** Seeds through the API before it opens to anyone else, so "ready" includes the demo network. */
async function seed(internalUrl: string, dataDir: string | undefined, options: CliOptions): Promise<string> {
  if (!options.seed) return 'not seeded (--no-seed)';
  const marker = dataDir ? seedMarker(dataDir) : undefined;
  if (marker?.current && !options.reseed)
    return 'demo network already loaded in this data dir (--reseed to load it again)';
  try {
    const summary = await seedDemoNetwork(internalUrl);
    if (marker && dataDir) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(marker.path, JSON.stringify({ hash: marker.hash, seededAt: new Date().toISOString() }));
    }
    return `seeded ${summary.locations} locations, ${summary.positions} stock positions, ${summary.channelRules} channel rules`;
  } catch (error) {
    const reason = error instanceof SeedError ? error.message : String(error);
    console.error(`\n${reason}\nThe API opens without the demo network.`);
    return 'seeding FAILED (see above)';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseArgs(process.argv.slice(2));
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  if (nodeMajor < 22) {
    fail(
      `Node ${process.versions.node} is too old: the project pins Node 22 in node_modules. ` +
        'Run through `npm start` or `npx tsx local/start.ts`, which use it.',
    );
  }
  try {
    assertJava();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT=${process.env.PORT} is not a port`);

  // Installed before starting: a signal during startup exits at once (the engine dies with this
  // process); once running, the stack is stopped cleanly.
  let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (stopping || !stack) {
      if (stopping) console.error('Forced exit.');
      process.exit(stack ? 1 : 130);
    }
    console.log(`\n${signal}: stopping…`);
    stopping = stack.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  const log = consoleLogger({ quiet: options.quiet });
  let seeded = '';
  let seedMs = 0;
  stack = await startLocalStack({
    port,
    dataDir: options.dataDir,
    inMemory: options.inMemory,
    quiet: options.quiet,
    log,
    workflowTimeScale: options.timeScale,
    beforeOpen: async ({ internalUrl, dataDir }) => {
      const seedStarted = Date.now();
      seeded = await seed(internalUrl, dataDir, options);
      seedMs = Date.now() - seedStarted;
    },
  });

  const keys = Object.entries(LOCAL_API_KEYS)
    .map(([key, channel]) => `    ${key.padEnd(20)} ${channel}`)
    .join('\n');
  const inProject = stack.dataDir?.startsWith(`${PROJECT_ROOT}/`);
  const data = stack.dataDir
    ? inProject
      ? `${relative(PROJECT_ROOT, stack.dataDir)}/`
      : stack.dataDir
    : 'in memory (throwaway)';
  console.log(`
connected-commerce, embedded
  API           ${stack.url}
  API keys      (header x-api-key)
${keys}
  Bus           ${stack.eventBridgeEndpoint}  (EventBridge PutEvents)
  Bus events    ${stack.url}/_local/events?detailType=…&source=…
  Workflows     ${stack.stepFunctionsEndpoint}  (Step Functions: ${Object.keys(stack.stateMachineArns).join(', ')}${
    options.timeScale === 1 ? '' : `; durations × ${options.timeScale}`
  })
  Dead letters  ${stack.url}/_local/dlq
  DynamoDB      ${stack.dynamodbEndpoint}  (tables ${Object.values(stack.tableNames).join(', ')})
  Data          ${data}
  Demo data     ${seeded}
  Startup       DynamoDB Local ${seconds(stack.timings.dynamodbMs)} (alongside handlers ${seconds(
    stack.timings.handlersMs,
  )}), tables ${seconds(stack.timings.tablesMs)}, demo data ${seeded.startsWith('seeded') ? seconds(seedMs) : '-'}

Ready in ${seconds(Date.now() - started)}: ${stack.url}  (Ctrl-C to stop)`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
