import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { callerHeaders } from '../../local/dev-credentials';

/**
 * The system as a user starts it: `npm start` in a child process of its own, and nothing but public
 * signals to watch it (HTTP, the process table). Shared by the end-to-end suites.
 */

const ROOT = resolve(__dirname, '../..');
/**
 * One call to the system at `baseUrl` as a client would make it: the dev client's token and API key
 * for `key` (a location's key as is; nothing for `undefined`), a JSON body (a string is sent as is),
 * and the answer's status, headers and parsed body.
 */
export async function callAs(
  baseUrl: string,
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(key ? await callerHeaders(baseUrl, key) : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A wait that does not keep Jest alive once the test is over (for races against a process exit). */
export const unrefSleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

export interface Run {
  child: ChildProcess;
  port: number;
  spawnedAt: number;
  output: () => string;
  exited: Promise<number | null>;
}

interface Row {
  pid: number;
  ppid: number;
  pgid: number;
  stat: string;
  comm: string;
}

/** The process table, as `ps` shows it to anyone on the machine. */
export function processes(): Row[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,stat=,comm='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 5)
    .map(([pid, ppid, pgid, stat, comm]) => ({
      pid: Number(pid),
      ppid: Number(ppid),
      pgid: Number(pgid),
      stat: stat!,
      comm: comm!,
    }));
}

/** Still there and not a zombie (a killed process its dead parent's init has not reaped yet). */
export function alive(pid: number): boolean {
  return processes().some((row) => row.pid === pid && !row.stat.startsWith('Z'));
}

/** `npm start` exactly as the README says, with PORT and the given flags. */
export function npmStart(port: number, args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of ['NODE_ENV', 'JEST_WORKER_ID', 'TEST_DYNAMODB_ENDPOINT']) delete env[name];
  const child = spawn('npm', ['start', '--', ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    child,
    port,
    spawnedAt: Date.now(),
    output: () => output,
    exited: new Promise((done) => child.once('exit', (code) => done(code))),
  };
}

/** The server's node processes (npm → sh → tsx → node share the group `npm start` leads). */
export function nodeProcesses(run: Run): number[] {
  return processes()
    .filter((row) => row.pgid === run.child.pid && row.comm === 'node')
    .map((row) => row.pid);
}

/** DynamoDB Local JVMs whose parent is one of the server's node processes. */
export function enginesOf(run: Run): number[] {
  const servers = new Set(nodeProcesses(run));
  return processes()
    .filter((row) => row.comm === 'java' && servers.has(row.ppid))
    .map((row) => row.pid);
}

export interface Answer {
  status: number;
  body: unknown;
  retryAfter: string | null;
}

/** One HTTP request to the system on `port`, its body parsed when it is JSON. */
export async function request(
  port: number,
  path: string,
  options: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: options.method ?? 'GET',
    headers: {
      ...(options.key ? await callerHeaders(`http://127.0.0.1:${port}`, options.key) : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the failure message
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}

/**
 * Sends GET /health and an API key'd GET /locations from before the port listens until both answer
 * 200; returns every answer in order and when the first connection was accepted.
 */
export async function probeUntilReady(run: Run, timeoutMs = 90_000) {
  const answers: Answer[] = [];
  let firstAnswerAt: number | undefined;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() > deadline) {
      throw new Error(`npm start did not become ready within ${timeoutMs} ms:\n${run.output()}`);
    }
    const round = await Promise.all([
      request(run.port, '/health').catch(() => undefined),
      request(run.port, '/locations', { key: 'local-ops' }).catch(() => undefined),
    ]);
    for (const answer of round) {
      if (!answer) continue;
      firstAnswerAt ??= Date.now();
      answers.push(answer);
    }
    if (round.every((answer) => answer?.status === 200)) {
      return { answers, firstAnswerAt: firstAnswerAt!, readyAt: Date.now() };
    }
    await sleep(25);
  }
}

/** Kills every process a run started (its group) and waits a little for it to go. */
export async function killRun(run: Run): Promise<void> {
  try {
    process.kill(-run.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  await Promise.race([run.exited, unrefSleep(5_000)]);
}
