import { createHash, randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { describeError, type LocalLogger, silentLogger } from '../log';
import { lintStateMachine } from './lint';
import type { ExecutionRecord, ExecutionStatus, WaitRecord, WorkflowStore } from './store';

/**
 * The local Step Functions engine: `aws-local-stepfunctions` interprets the states, and this adds
 * what a durable engine has (see the design, "The local workflow runner"):
 * - every execution, its checkpoint (the top-level state it is in, with that state's input), its
 *   history, its task tokens and its timers are in DynamoDB Local before the runner acts on them;
 * - `.waitForTaskToken` tasks get a token of their own, wait for SendTaskSuccess/SendTaskFailure,
 *   and fail with `States.Timeout` / `States.HeartbeatTimeout` at deadlines that are absolute;
 * - Wait states are timers with absolute deadlines, so neither survives a restart as "start again";
 * - `start()` resumes every running execution at its checkpoint: a task waiting for its callback
 *   keeps the same token and deadline; a resumed state is run again, so tasks must be idempotent
 *   (they are: the same holds on AWS, which retries them).
 * Durations can be scaled (`timeScale`) to shorten waits and SLAs for tests and demos.
 */

type Json = unknown;
interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition;
  Branches?: AslDefinition[];
  [field: string]: unknown;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: unknown;
}

export interface StateMachineSpec {
  arn: string;
  name: string;
  definition: AslDefinition;
}

/** How the runner calls a Task's service (a function, a bus) with the state's parameters. */
export type CallService = (
  resource: string,
  parameters: Json,
  context: { executionArn: string; state: string },
) => Promise<Json>;

export interface WorkflowRunnerOptions {
  store: WorkflowStore;
  stateMachines: StateMachineSpec[];
  callService: CallService;
  /** Multiplies Wait durations, task timeouts and heartbeats: below 1 shortens them. Default 1. */
  timeScale?: number;
  region?: string;
  accountId?: string;
  log?: LocalLogger;
}

/** An error as the Step Functions API answers it (the endpoint turns it into a 400). */
export class StatesError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** A task failure as a state machine's Retry and Catch see it: `Error` and `Cause`. */
class TaskFailed extends Error {
  constructor(error: string, cause?: string) {
    super(cause ?? error);
    this.name = error;
  }
}

/** Thrown into a run that is being put away (the runner stops): the execution stays RUNNING. */
class RunParked extends Error {}

const TOKEN_PLACEHOLDER = '__LOCAL_TASK_TOKEN__';
/** The interpreter's own limit on a task is set this high; the runner enforces the real deadlines. */
const INTERPRETER_TASK_LIMIT_SECONDS = 20 * 24 * 3600;
/** Node timers overflow past 2^31 − 1 ms: long sleeps are taken in slices. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface TaskSpec {
  kind: 'callback' | 'task' | 'wait';
  resource: string;
  timeoutSeconds?: number;
  timeoutSecondsPath?: string;
  heartbeatSeconds?: number;
  wait?: Pick<AslState, 'Seconds' | 'SecondsPath' | 'Timestamp' | 'TimestampPath'>;
}

interface Run {
  abort(): void;
  /** The runner is stopping: the execution stays RUNNING and resumes on the next start. */
  parked: boolean;
  /** StopExecution, or the run ended: nothing it started may go on. */
  stopped: boolean;
  /** The state the run starts at: its first checkpoint step keeps the recorded transition. */
  resumeAt?: string;
  /** The transition the run is in (moves at every top-level state): part of every wait's key. */
  seq: number;
  /** Entries of a state with one input in this transition: a second one is a retry and waits anew. */
  attempts: Map<string, number>;
  sleepers: Set<(reason: Error) => void>;
  tokens: Set<string>;
  inflight: Set<Promise<unknown>>;
}

const hash = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 24);

/** `$.a.b` against a document (the paths Wait and timeout fields use). */
function readPath(document: Json, path: string): Json {
  if (path === '$') return document;
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .reduce<Json>(
      (value, key) => (value && typeof value === 'object' ? (value as Record<string, Json>)[key] : undefined),
      document,
    );
}

const replaceToken = (value: Json, token: string): Json => {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replaceToken(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceToken(v, token)]));
  }
  return value;
};

export class WorkflowRunner {
  private readonly machines: Map<string, StateMachineSpec>;
  private readonly specs = new Map<string, Map<string, TaskSpec>>();
  private readonly runs = new Map<string, Run>();
  private readonly waiters = new Map<string, { resolve(output: Json): void; reject(error: Error): void }>();
  private readonly settled = new Set<Promise<unknown>>();
  private readonly log: LocalLogger;
  private readonly scale: number;
  private readonly region: string;
  private readonly accountId: string;
  private stopping = false;

  constructor(private readonly options: WorkflowRunnerOptions) {
    for (const machine of options.stateMachines) {
      const problems = lintStateMachine(machine.definition);
      if (problems.length > 0) {
        throw new Error(
          `${machine.name} cannot run locally: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        );
      }
    }
    this.machines = new Map(options.stateMachines.map((m) => [m.arn, m]));
    for (const machine of options.stateMachines)
      this.specs.set(machine.arn, collectSpecs(machine.definition));
    this.log = options.log ?? silentLogger;
    this.scale = options.timeScale ?? 1;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
  }

  /** Resumes every execution that was running when the runner last stopped (or was killed). */
  async start(): Promise<number> {
    this.stopping = false;
    await this.options.store.ensureTable();
    const running = (await this.options.store.listExecutions()).filter((e) => e.status === 'RUNNING');
    for (const execution of running) {
      if (!this.machines.has(execution.stateMachineArn)) continue;
      await this.options.store.appendHistory(execution.executionArn, 'ExecutionResumed', {
        state: execution.checkpoint.state,
      });
      this.launch(execution);
    }
    return running.length;
  }

  /** Puts every run away without ending it: they resume on the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    const runs = [...this.runs.values()];
    for (const run of runs) this.halt(run, 'parked');
    await Promise.allSettled([...runs.flatMap((r) => [...r.inflight]), ...this.settled]);
  }

  /** Wakes and refuses everything a run waits on, so nothing it started goes on. */
  private halt(run: Run, how: 'parked' | 'stopped'): void {
    run[how] = true;
    run.abort();
    for (const wake of [...run.sleepers]) wake(new RunParked());
    for (const token of run.tokens) this.waiters.get(token)?.reject(new RunParked());
  }

  executionArn(stateMachineArn: string, name: string): string {
    const machine = this.machines.get(stateMachineArn);
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${machine?.name ?? 'unknown'}:${name}`;
  }

  /**
   * StartExecution: idempotent by name, as on AWS for a running execution with the same input; the
   * same name with another input, or of an execution that has ended, is ExecutionAlreadyExists.
   */
  async startExecution(request: { stateMachineArn: string; name?: string; input?: string }) {
    const machine = this.machines.get(request.stateMachineArn);
    if (!machine)
      throw new StatesError(
        'StateMachineDoesNotExist',
        `State machine does not exist: ${request.stateMachineArn}`,
      );
    const name = request.name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
      throw new StatesError('InvalidName', `Invalid execution name: ${name}`);
    const input = request.input ?? '{}';
    try {
      JSON.parse(input);
    } catch {
      throw new StatesError('InvalidExecutionInput', 'Input is not valid JSON');
    }
    const executionArn = this.executionArn(machine.arn, name);
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      input,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      checkpoint: { state: machine.definition.StartAt, input },
    };
    if (!(await this.options.store.createExecution(record))) {
      const existing = await this.options.store.getExecution(executionArn);
      if (existing && existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new StatesError('ExecutionAlreadyExists', `Execution already exists: ${executionArn}`);
    }
    await this.options.store.appendHistory(executionArn, 'ExecutionStarted', { input });
    if (!this.stopping) this.launch(record);
    return { executionArn, startDate: record.startDate };
  }

  async describeExecution(executionArn: string): Promise<ExecutionRecord> {
    const execution = await this.options.store.getExecution(executionArn);
    if (!execution)
      throw new StatesError('ExecutionDoesNotExist', `Execution does not exist: ${executionArn}`);
    return execution;
  }

  async listExecutions(stateMachineArn: string, status?: ExecutionStatus): Promise<ExecutionRecord[]> {
    if (!this.machines.has(stateMachineArn)) {
      throw new StatesError('StateMachineDoesNotExist', `State machine does not exist: ${stateMachineArn}`);
    }
    return (await this.options.store.listExecutions())
      .filter((e) => e.stateMachineArn === stateMachineArn && (!status || e.status === status))
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
  }

  async getExecutionHistory(executionArn: string) {
    await this.describeExecution(executionArn);
    return this.options.store.history(executionArn);
  }

  /** StopExecution: the execution ends ABORTED; what it waits on is settled as failed. */
  async stopExecution(executionArn: string, error?: string, cause?: string) {
    await this.describeExecution(executionArn);
    const stopDate = new Date().toISOString();
    if (
      await this.options.store.finishExecution(executionArn, { status: 'ABORTED', stopDate, error, cause })
    ) {
      await this.options.store.appendHistory(executionArn, 'ExecutionAborted', { error, cause });
      const run = this.runs.get(executionArn);
      if (run) this.halt(run, 'stopped');
      await this.settleOpenWaits(executionArn);
    }
    return { stopDate };
  }

  /** After an execution ended, its open waits can no longer be answered. */
  private async settleOpenWaits(executionArn: string): Promise<void> {
    for (const wait of await this.options.store.executionWaits(executionArn)) {
      if (wait.status === 'WAITING') {
        await this.options.store.settleWait(wait.id, { status: 'FAILED', error: 'States.ExecutionEnded' });
      }
    }
  }

  async sendTaskSuccess(token: string, output: string): Promise<void> {
    const parsed = parseJson(output, 'InvalidOutput');
    await this.settle(token, { status: 'SUCCEEDED', output }, (w) => w.resolve(parsed));
  }

  async sendTaskFailure(token: string, error = 'States.TaskFailed', cause?: string): Promise<void> {
    await this.settle(token, { status: 'FAILED', error, cause }, (w) =>
      w.reject(new TaskFailed(error, cause)),
    );
  }

  async sendTaskHeartbeat(token: string): Promise<void> {
    const wait = await this.waitingCallback(token);
    if (!wait.heartbeatSeconds) return;
    const deadline = new Date(Date.now() + wait.heartbeatSeconds * 1000 * this.scale).toISOString();
    if (!(await this.options.store.setHeartbeatDeadline(token, deadline))) {
      throw new StatesError('TaskTimedOut', 'Task timed out');
    }
  }

  private async waitingCallback(token: string): Promise<WaitRecord> {
    const wait = await this.options.store.getWait(token);
    if (wait?.kind !== 'callback') throw new StatesError('TaskDoesNotExist', 'Task does not exist');
    if (wait.status !== 'WAITING') throw new StatesError('TaskTimedOut', 'Task timed out');
    const execution = await this.options.store.getExecution(wait.executionArn);
    if (execution?.status !== 'RUNNING') throw new StatesError('TaskTimedOut', 'The execution has ended');
    return wait;
  }

  private async settle(
    token: string,
    outcome: Pick<WaitRecord, 'status' | 'output' | 'error' | 'cause'>,
    wake: (waiter: { resolve(output: Json): void; reject(error: Error): void }) => void,
  ): Promise<void> {
    const wait = await this.waitingCallback(token);
    if (!(await this.options.store.settleWait(token, outcome)))
      throw new StatesError('TaskTimedOut', 'Task timed out');
    await this.options.store.appendHistory(
      wait.executionArn,
      outcome.status === 'SUCCEEDED' ? 'TaskSucceeded' : 'TaskFailed',
      {
        state: wait.state,
        ...(outcome.output ? { output: outcome.output } : {}),
        ...(outcome.error ? { error: outcome.error, cause: outcome.cause } : {}),
      },
    );
    const waiter = this.waiters.get(token);
    if (waiter) wake(waiter);
  }

  /** Runs an execution from its checkpoint until it ends, is stopped, or the runner stops. */
  private launch(execution: ExecutionRecord): void {
    const machine = this.machines.get(execution.stateMachineArn);
    if (!machine || this.runs.has(execution.executionArn)) return;
    const specs = this.specs.get(machine.arn) ?? new Map();
    const definition = interpretable(machine.definition, execution.checkpoint.state);
    const run: Run = {
      abort: () => {},
      parked: false,
      stopped: false,
      resumeAt: execution.checkpoint.state,
      seq: execution.seq ?? 0,
      attempts: new Map(),
      sleepers: new Set(),
      tokens: new Set(),
      inflight: new Set(),
    };
    const track = <T>(work: Promise<T>): Promise<T> => {
      run.inflight.add(work);
      work.then(
        () => run.inflight.delete(work),
        () => run.inflight.delete(work),
      );
      return work;
    };
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    for (const [state, spec] of specs) {
      handlers[state] = (input) => track(this.runTask(execution, state, spec, input, run));
    }
    // Before each top-level state, its checkpoint: the state's own input, written before it runs.
    for (const state of Object.keys(machine.definition.States)) {
      handlers[checkpointOf(state)] = (input) =>
        track(
          (async () => {
            if (run.parked || run.stopped) throw new RunParked();
            if (run.resumeAt === state) {
              run.resumeAt = undefined; // the recorded entry itself: same transition, same waits
              return {};
            }
            run.resumeAt = undefined;
            run.seq = await this.options.store.setCheckpoint(execution.executionArn, {
              state,
              input: JSON.stringify(input ?? null),
            });
            run.attempts.clear();
            return {};
          })(),
        );
    }
    const started = new StateMachine(definition as never, { validationOptions: { noValidate: true } }).run(
      JSON.parse(execution.checkpoint.input) as never,
      {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: {
          Task: { Token: TOKEN_PLACEHOLDER },
          Execution: { Id: execution.executionArn, Name: execution.name },
        },
        noThrowOnAbort: true,
      },
    );
    run.abort = started.abort;
    this.runs.set(execution.executionArn, run);
    let failure: { Error: string; Cause: unknown } | undefined;
    const topLevel = (name: string) => machine.definition.States[name] !== undefined;
    const logs = (async () => {
      for await (const event of started.eventLogs) {
        if (event.type === 'ExecutionFailed') failure = { Error: event.Error, Cause: event.Cause };
        if ((event.type === 'StateEntered' || event.type === 'StateExited') && event.index === undefined) {
          if (topLevel(event.state.name)) {
            await this.options.store.appendHistory(execution.executionArn, event.type, {
              name: event.state.name,
            });
          }
        }
      }
    })();
    const finish = async (end: Parameters<WorkflowStore['finishExecution']>[1], type: string) => {
      if (await this.options.store.finishExecution(execution.executionArn, end)) {
        await this.options.store.appendHistory(execution.executionArn, type, {
          ...(end.output ? { output: end.output } : {}),
          ...(end.error ? { error: end.error, cause: end.cause } : {}),
        });
      }
    };
    const done = started.result
      .then(
        async (output) => {
          await logs.catch(() => {});
          if (run.parked || run.stopped) return;
          await finish(
            {
              status: 'SUCCEEDED',
              stopDate: new Date().toISOString(),
              output: JSON.stringify(output ?? null),
            },
            'ExecutionSucceeded',
          );
        },
        async (error: Error) => {
          await logs.catch(() => {});
          if (run.parked || run.stopped) return;
          await finish(
            {
              status: 'FAILED',
              stopDate: new Date().toISOString(),
              error: failure?.Error ?? error.name,
              cause: typeof failure?.Cause === 'string' ? failure.Cause : error.message,
            },
            'ExecutionFailed',
          );
        },
      )
      .then(async () => {
        if (run.parked) return;
        // The run is over: whatever a branch still waits on (an aborted Parallel, a stop) ends with it.
        this.halt(run, 'stopped');
        await this.settleOpenWaits(execution.executionArn);
      })
      .catch((error: unknown) =>
        this.log.error(`workflow ${execution.executionArn}: ${describeError(error)}`),
      )
      .finally(() => {
        if (this.runs.get(execution.executionArn) === run) this.runs.delete(execution.executionArn);
        this.settled.delete(done);
      });
    this.settled.add(done);
  }

  private async runTask(
    execution: ExecutionRecord,
    state: string,
    spec: TaskSpec,
    input: Json,
    run: Run,
  ): Promise<Json> {
    if (run.parked || run.stopped) throw new RunParked();
    if (spec.kind === 'task') {
      return this.options.callService(spec.resource, input, { executionArn: execution.executionArn, state });
    }
    const entryKey = this.entryKey(run, state, input);
    if (spec.kind === 'wait') {
      const { wait } = await this.options.store.waitFor({
        id: randomUUID(),
        kind: 'timer',
        executionArn: execution.executionArn,
        state,
        entryKey,
        status: 'WAITING',
        deadline: this.waitDeadline(spec, input),
        createdAt: new Date().toISOString(),
      });
      await this.sleepUntil(wait.deadline ?? new Date().toISOString(), run);
      await this.options.store.settleWait(wait.id, { status: 'SUCCEEDED' });
      return input;
    }
    return this.callback(execution, state, spec, input, entryKey, run);
  }

  /**
   * Which wait an entry of a state is: the transition, the state, its input and the attempt within
   * the transition. A run resumed in the same transition finds the waits it had (attempt 0 first:
   * its recorded outcome comes back, a Retry then finds the next attempt's), a loop that comes back
   * to the state is a new transition and waits anew.
   */
  private entryKey(run: Run, state: string, input: Json): string {
    const base = `${run.seq}:${state}:${hash(input)}`;
    const attempt = run.attempts.get(base) ?? 0;
    run.attempts.set(base, attempt + 1);
    return `${base}:${attempt}`;
  }

  private async callback(
    execution: ExecutionRecord,
    state: string,
    spec: TaskSpec,
    input: Json,
    entryKey: string,
    run: Run,
  ): Promise<Json> {
    const now = Date.now();
    const timeoutSeconds = spec.timeoutSecondsPath
      ? Number(readPath(input, spec.timeoutSecondsPath))
      : spec.timeoutSeconds;
    if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
      throw new TaskFailed('States.Runtime', `${state}: TimeoutSecondsPath gives no positive number`);
    }
    const { wait } = await this.options.store.waitFor({
      id: `${randomUUID()}${randomUUID()}`.replace(/-/g, ''),
      kind: 'callback',
      executionArn: execution.executionArn,
      state,
      entryKey,
      status: 'WAITING',
      ...(timeoutSeconds
        ? { deadline: new Date(now + timeoutSeconds * 1000 * this.scale).toISOString() }
        : {}),
      ...(spec.heartbeatSeconds
        ? {
            heartbeatSeconds: spec.heartbeatSeconds,
            heartbeatDeadline: new Date(now + spec.heartbeatSeconds * 1000 * this.scale).toISOString(),
          }
        : {}),
      createdAt: new Date(now).toISOString(),
    });
    if (run.parked || run.stopped) throw new RunParked();
    const answered = new Promise<Json>((resolve, reject) => this.waiters.set(wait.id, { resolve, reject }));
    answered.catch(() => {});
    run.tokens.add(wait.id);
    try {
      if (wait.status === 'WAITING' && !wait.submitted) {
        // Asked once the token is recorded; asked again (same token) if a crash came between the two.
        await this.options.store.appendHistory(execution.executionArn, 'TaskSubmitted', {
          state,
          resource: spec.resource,
        });
        const service = spec.resource.replace(/\.waitForTaskToken$/, '');
        try {
          await this.options.callService(service, replaceToken(input, wait.id), {
            executionArn: execution.executionArn,
            state,
          });
        } catch (error) {
          await this.options.store.settleWait(wait.id, { status: 'FAILED', error: (error as Error).name });
          throw error;
        }
        await this.options.store.markSubmitted(wait.id);
      }
      if (run.parked || run.stopped) throw new RunParked();
      return await Promise.race([answered, this.outcome(wait.id, run)]);
    } finally {
      run.tokens.delete(wait.id);
      this.waiters.delete(wait.id);
    }
  }

  /**
   * The wait's recorded outcome, or the timeout or heartbeat failure when its deadline passes (read
   * again after each heartbeat). An answer recorded elsewhere (another process) is found here too.
   */
  private async outcome(token: string, run: Run): Promise<Json> {
    for (;;) {
      const wait = await this.options.store.getWait(token);
      if (!wait) throw new TaskFailed('States.Runtime', 'the task token is gone');
      if (wait.status === 'SUCCEEDED') return JSON.parse(wait.output ?? 'null');
      if (wait.status === 'FAILED') throw new TaskFailed(wait.error ?? 'States.TaskFailed', wait.cause);
      const candidates = [wait.deadline, wait.heartbeatDeadline].filter((d): d is string => d !== undefined);
      const next = candidates.sort()[0];
      await this.sleepUntil(next ?? new Date(Date.now() + MAX_TIMER_MS).toISOString(), run);
      if (!next) continue;
      const now = new Date().toISOString();
      const after = await this.options.store.getWait(token);
      if (after?.status !== 'WAITING') continue;
      const error =
        after.deadline && after.deadline <= now
          ? 'States.Timeout'
          : after.heartbeatDeadline && after.heartbeatDeadline <= now
            ? 'States.HeartbeatTimeout'
            : undefined;
      if (!error) continue; // a heartbeat moved its deadline
      if (await this.options.store.settleWait(token, { status: 'FAILED', error })) {
        await this.options.store.appendHistory(after.executionArn, 'TaskTimedOut', {
          state: after.state,
          error,
        });
      }
    }
  }

  private waitDeadline(spec: TaskSpec, input: Json): string {
    const now = Date.now();
    const wait = spec.wait ?? {};
    const seconds = wait.SecondsPath ? Number(readPath(input, wait.SecondsPath)) : wait.Seconds;
    if (seconds !== undefined && Number.isFinite(seconds)) {
      return new Date(now + Math.max(0, seconds) * 1000 * this.scale).toISOString();
    }
    const timestamp = wait.TimestampPath ? String(readPath(input, wait.TimestampPath)) : wait.Timestamp;
    const at = Date.parse(timestamp ?? '');
    return new Date(Number.isNaN(at) ? now : now + Math.max(0, at - now) * this.scale).toISOString();
  }

  /** Sleeps until an absolute time, in slices (no timer overflow); refused at once for a halted run. */
  private sleepUntil(deadline: string, run: Run): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (run.parked || run.stopped) {
        reject(new RunParked());
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const wake = (reason: Error) => {
        clearTimeout(timer);
        run.sleepers.delete(wake);
        reject(reason);
      };
      const tick = () => {
        const left = Date.parse(deadline) - Date.now();
        if (left <= 0) {
          run.sleepers.delete(wake);
          resolve();
          return;
        }
        timer = setTimeout(tick, Math.min(left, MAX_TIMER_MS));
      };
      run.sleepers.add(wake);
      tick();
    });
  }
}

function parseJson(text: string, code: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    throw new StatesError(code, 'Output is not valid JSON');
  }
}

/** Every Task and Wait state of a definition, nested ones included, by name. */
function collectSpecs(definition: AslDefinition, specs = new Map<string, TaskSpec>()): Map<string, TaskSpec> {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') {
      const resource = String(state.Resource ?? '');
      specs.set(name, {
        kind: resource.endsWith('.waitForTaskToken') ? 'callback' : 'task',
        resource,
        ...(state.TimeoutSeconds !== undefined ? { timeoutSeconds: state.TimeoutSeconds } : {}),
        ...(state.TimeoutSecondsPath ? { timeoutSecondsPath: state.TimeoutSecondsPath } : {}),
        ...(state.HeartbeatSeconds !== undefined ? { heartbeatSeconds: state.HeartbeatSeconds } : {}),
      });
    }
    if (state.Type === 'Wait') {
      specs.set(name, {
        kind: 'wait',
        resource: 'arn:aws:states:::local:wait',
        wait: {
          Seconds: state.Seconds,
          SecondsPath: state.SecondsPath,
          Timestamp: state.Timestamp,
          TimestampPath: state.TimestampPath,
        },
      });
    }
    for (const inner of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
      if (inner) collectSpecs(inner, specs);
    }
  }
  return specs;
}

/**
 * The copy the interpreter runs: from `startAt`, with a checkpoint step before every top-level state
 * (its override records the state and its raw input before the state runs); Wait states become tasks (the runner's durable
 * timers); callback tasks lose their timeouts and heartbeats (the runner enforces them, from
 * absolute deadlines); every task gets a limit far above any real one, so the interpreter's own
 * 60-second default never fires.
 */
function interpretable(definition: AslDefinition, startAt: string): AslDefinition {
  const converted = convert(definition);
  const redirect = (state: AslState): AslState => {
    const next = (target: unknown) => (typeof target === 'string' ? checkpointOf(target) : target);
    return {
      ...state,
      ...(state.Next ? { Next: next(state.Next) } : {}),
      ...(state.Default ? { Default: next(state.Default) } : {}),
      ...(Array.isArray(state.Catch)
        ? { Catch: (state.Catch as { Next: string }[]).map((c) => ({ ...c, Next: next(c.Next) })) }
        : {}),
      ...(Array.isArray(state.Choices)
        ? { Choices: (state.Choices as { Next: string }[]).map((c) => ({ ...c, Next: next(c.Next) })) }
        : {}),
    };
  };
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(converted.States)) {
    states[checkpointOf(name)] = {
      Type: 'Task',
      Resource: 'arn:aws:states:::local:checkpoint',
      ResultPath: null,
      TimeoutSeconds: INTERPRETER_TASK_LIMIT_SECONDS,
      Next: name,
    };
    states[name] = redirect(state);
  }
  return { ...converted, StartAt: checkpointOf(startAt), States: states };
}

const CHECKPOINT_PREFIX = '__checkpoint__';
const checkpointOf = (state: string) => `${CHECKPOINT_PREFIX}${state}`;

function convert(machine: AslDefinition): AslDefinition {
  return {
    ...machine,
    States: Object.fromEntries(
      Object.entries(machine.States).map(([name, state]) => {
        if (state.Type === 'Wait') {
          const { Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
          return [
            name,
            {
              ...rest,
              Type: 'Task',
              Resource: 'arn:aws:states:::local:wait',
              TimeoutSeconds: INTERPRETER_TASK_LIMIT_SECONDS,
            },
          ];
        }
        if (state.Type === 'Task') {
          const callback = String(state.Resource ?? '').endsWith('.waitForTaskToken');
          const { TimeoutSecondsPath: _tp, HeartbeatSeconds: _h, HeartbeatSecondsPath: _hp, ...rest } = state;
          return [
            name,
            {
              ...rest,
              TimeoutSeconds:
                callback || state.TimeoutSeconds === undefined
                  ? INTERPRETER_TASK_LIMIT_SECONDS
                  : Math.min(state.TimeoutSeconds, INTERPRETER_TASK_LIMIT_SECONDS),
            },
          ];
        }
        const nested: Partial<AslState> = {};
        if (state.Iterator) nested.Iterator = convert(state.Iterator);
        if (state.ItemProcessor) nested.ItemProcessor = convert(state.ItemProcessor);
        if (state.Branches) nested.Branches = state.Branches.map((b) => convert(b));
        return [name, { ...state, ...nested }];
      }),
    ),
  };
}
