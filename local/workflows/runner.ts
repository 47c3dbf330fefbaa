import { createHash, randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { describeError, type LocalLogger, silentLogger } from '../log';
import { isCallbackResource, isChildExecutionResource, lintStateMachine } from './lint';
import type { ChildExecution, ExecutionRecord, ExecutionStatus, WaitRecord, WorkflowStore } from './store';

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
 *   (they are: the same holds on AWS, which retries them);
 * - `states:startExecution.sync:2` (and `.sync`) tasks start a child execution and wait for it as
 *   for a callback: the wait is recorded before the child is started, the child's record names the
 *   wait, and the child's end settles it (on `start()` too, for a child that ended while the parent
 *   was not told). Stopping a parent stops the children it waits on.
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

type Waiter = { resolve(output: Json): void; reject(error: Error): void };
type WaitOutcome = Pick<WaitRecord, 'status' | 'output' | 'error' | 'cause'>;

const TOKEN_PLACEHOLDER = '__LOCAL_TASK_TOKEN__';
/**
 * AWS reads a task's `TimeoutSecondsPath` from the state's input, but the interpreter hands an
 * override the task's parameters: the converted copy carries the value in its Parameters under this
 * name, and the runner takes it out before the service sees them.
 */
const CARRIED_TIMEOUT = '__localTimeoutSeconds';
/** The interpreter's own limit on a task is set this high; the runner enforces the real deadlines. */
const INTERPRETER_TASK_LIMIT_SECONDS = 20 * 24 * 3600;
/** Node timers overflow past 2^31 − 1 ms: long sleeps are taken in slices. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface TaskSpec {
  kind: 'callback' | 'task' | 'wait' | 'child';
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

/** A task token: long and random, as AWS's are (they are handed to services and people). */
const newToken = (): string => `${randomUUID()}${randomUUID()}`.replace(/-/g, '');

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
  private readonly waiters = new Map<string, Waiter>();
  private readonly settled = new Set<Promise<unknown>>();
  private readonly log: LocalLogger;
  private readonly scale: number;
  private readonly region: string;
  private readonly accountId: string;
  private stopping = false;
  /** Timeouts carried from a state's input (see {@link CARRIED_TIMEOUT}), by the entry they are for. */
  private readonly carried = new Map<string, Json>();

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

  /**
   * Resumes every execution that was running when the runner last stopped (or was killed), after
   * reconciling parents with their children (see {@link reconcileChildren}).
   */
  async start(): Promise<number> {
    this.stopping = false;
    await this.options.store.ensureTable();
    await this.reconcileChildren(await this.options.store.listExecutions());
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

  /**
   * What a crash can leave between a parent and a child, put right before anything resumes: a
   * child that ended before its parent's wait was settled settles it now (so the resumed parent
   * finds its outcome), and a running child whose parent no longer waits on it (the parent was
   * stopped, timed out or ended) is stopped, as it would have been.
   */
  private async reconcileChildren(executions: ExecutionRecord[]): Promise<void> {
    for (const execution of executions) {
      if (!execution.parentWaitId) continue;
      if (execution.status !== 'RUNNING') {
        await this.reportToParent(execution);
        continue;
      }
      const wait = await this.options.store.getWait(execution.parentWaitId);
      if (wait && wait.status !== 'WAITING') await this.stopAbandonedChild(wait);
    }
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
   * `parent` (a `.sync` task's child) links the child to the wait its parent's task is in: the same
   * name started by someone else is ExecutionAlreadyExists too, since its end would reach no one.
   */
  async startExecution(request: {
    stateMachineArn: string;
    name?: string;
    input?: string;
    parent?: { executionArn: string; waitId: string };
  }) {
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
      ...(request.parent
        ? { parentExecutionArn: request.parent.executionArn, parentWaitId: request.parent.waitId }
        : {}),
    };
    if (!(await this.options.store.createExecution(record))) {
      const existing = await this.options.store.getExecution(executionArn);
      if (
        existing &&
        existing.status === 'RUNNING' &&
        existing.input === input &&
        existing.parentWaitId === request.parent?.waitId
      ) {
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

  /**
   * StopExecution: the execution ends ABORTED; what it waits on is settled as failed, the children
   * it waits on are stopped with it (recursively), and a parent waiting on it gets its failure.
   */
  async stopExecution(executionArn: string, error?: string, cause?: string) {
    return this.abort(executionArn, { error, cause });
  }

  /**
   * Ends an execution ABORTED (`stoppedWithParent`: the parent whose end stopped it, recorded in its
   * history). Whether this call or a concurrent one ended it, its children are stopped before this
   * returns, so a stop is over, down the whole tree, when it answers.
   */
  private async abort(
    executionArn: string,
    how: { error?: string; cause?: string; stoppedWithParent?: string },
  ): Promise<{ stopDate: string }> {
    await this.describeExecution(executionArn);
    const stopDate = new Date().toISOString();
    const { error, cause } = how;
    const stopped = await this.options.store.finishExecution(executionArn, {
      status: 'ABORTED',
      stopDate,
      error,
      cause,
    });
    if (stopped) {
      await this.options.store.appendHistory(executionArn, 'ExecutionAborted', {
        error,
        cause,
        ...(how.stoppedWithParent ? { stoppedWithParent: how.stoppedWithParent } : {}),
      });
      const run = this.runs.get(executionArn);
      if (run) this.halt(run, 'stopped');
    }
    await this.settleOpenWaits(executionArn);
    if (stopped) await this.executionEnded(executionArn);
    return { stopDate };
  }

  /**
   * After an execution ended, its open waits can no longer be answered, and the children it waited
   * on are stopped, recursively. Does AWS stop them? The Step Functions guide does not say it in so
   * many words, but the IAM policy it documents for `startExecution.sync` ("IAM policies for AWS
   * Step Functions", Synchronous) grants `states:StopExecution` on the child machine's executions,
   * which the asynchronous form does not get: Step Functions stops the child of a `.sync` task it no
   * longer waits on (parent stopped, task timed out). Third-party reports measured against AWS say
   * the same (stop or time out the parent and the child is stopped). Checked on 2026-12-04.
   */
  private async settleOpenWaits(executionArn: string): Promise<void> {
    for (const wait of await this.options.store.executionWaits(executionArn)) {
      if (wait.status === 'WAITING') {
        await this.options.store.settleWait(wait.id, { status: 'FAILED', error: 'States.ExecutionEnded' });
      }
      // Whatever settled the wait (this, a concurrent end, a timeout before a crash), a child that
      // still runs is stopped.
      await this.stopAbandonedChild(wait);
    }
  }

  /** Stops the child of a child wait that no longer waits, if it still runs and is that wait's. */
  private async stopAbandonedChild(wait: WaitRecord): Promise<void> {
    if (wait.kind !== 'child' || !wait.child) return;
    const child = await this.options.store.getExecution(wait.child.executionArn);
    if (child?.status !== 'RUNNING' || child.parentWaitId !== wait.id) return;
    await this.abort(child.executionArn, { stoppedWithParent: wait.executionArn });
  }

  /** An execution ended: a parent waiting on it (a `.sync` task) gets its outcome. */
  private async executionEnded(executionArn: string): Promise<void> {
    const execution = await this.options.store.getExecution(executionArn);
    if (execution) await this.reportToParent(execution);
  }

  /**
   * Settles the parent's wait with an ended child's outcome, once (a wait that no longer waits is
   * left as it is: the parent timed out, was stopped, or was told already).
   */
  private async reportToParent(child: ExecutionRecord): Promise<void> {
    if (!child.parentWaitId || child.status === 'RUNNING') return;
    const wait = await this.options.store.getWait(child.parentWaitId);
    if (wait?.kind !== 'child' || wait.status !== 'WAITING') return;
    await this.resolveWait(wait, childOutcome(child, wait.resource ?? ''));
  }

  async sendTaskSuccess(token: string, output: string): Promise<void> {
    parseJson(output, 'InvalidOutput');
    await this.settle(token, { status: 'SUCCEEDED', output });
  }

  async sendTaskFailure(token: string, error = 'States.TaskFailed', cause?: string): Promise<void> {
    await this.settle(token, { status: 'FAILED', error, cause });
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

  /** A callback's answer: refused once the task no longer waits (answered, timed out, ended). */
  private async settle(token: string, outcome: WaitOutcome): Promise<void> {
    const wait = await this.waitingCallback(token);
    if (!(await this.resolveWait(wait, outcome))) throw new StatesError('TaskTimedOut', 'Task timed out');
  }

  /**
   * Records a waiting wait's outcome (once: false if it no longer waited) and wakes the run waiting
   * on it in this process; a run elsewhere, or resumed later, reads the recorded outcome.
   */
  private async resolveWait(wait: WaitRecord, outcome: WaitOutcome): Promise<boolean> {
    if (!(await this.options.store.settleWait(wait.id, outcome))) return false;
    await this.options.store.appendHistory(
      wait.executionArn,
      outcome.status === 'SUCCEEDED' ? 'TaskSucceeded' : 'TaskFailed',
      {
        state: wait.state,
        ...(outcome.output ? { output: outcome.output } : {}),
        ...(outcome.error ? { error: outcome.error, cause: outcome.cause } : {}),
      },
    );
    const waiter = this.waiters.get(wait.id);
    if (outcome.status === 'SUCCEEDED') waiter?.resolve(JSON.parse(outcome.output ?? 'null'));
    else waiter?.reject(new TaskFailed(outcome.error ?? 'States.TaskFailed', outcome.cause));
    return true;
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
          // `$$.StateMachine.Id`: how a machine starts children of itself (`StateMachineArn.$`).
          StateMachine: { Id: machine.arn, Name: machine.name },
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
        await this.executionEnded(execution.executionArn);
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
    const split = WorkflowRunner.carriedTimeout(input);
    input = split.input;
    const entryKey = this.entryKey(run, state, input);
    if (split.carried !== undefined) this.carried.set(entryKey, split.carried);
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
    if (spec.kind === 'child') return this.childExecution(execution, state, spec, input, entryKey, run);
    return this.callback(execution, state, spec, input, entryKey, run);
  }

  /** The parameters as the state's `Parameters` give them, and the timeout carried from its input. */
  private static carriedTimeout(input: Json): { input: Json; carried?: Json } {
    if (!input || typeof input !== 'object' || Array.isArray(input) || !(CARRIED_TIMEOUT in input)) {
      return { input };
    }
    const { [CARRIED_TIMEOUT]: carried, ...rest } = input as Record<string, Json>;
    return { input: rest, carried };
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

  /** A task's absolute deadline from its `TimeoutSeconds` (or `TimeoutSecondsPath`), if it has one. */
  private taskDeadline(
    state: string,
    spec: TaskSpec,
    input: Json,
    now: number,
    entryKey: string,
  ): { deadline?: string } {
    const carried = this.carried.get(entryKey);
    this.carried.delete(entryKey);
    const timeoutSeconds = spec.timeoutSecondsPath
      ? Number(carried !== undefined ? carried : readPath(input, spec.timeoutSecondsPath))
      : spec.timeoutSeconds;
    if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) {
      throw new TaskFailed('States.Runtime', `${state}: TimeoutSecondsPath gives no positive number`);
    }
    return timeoutSeconds
      ? { deadline: new Date(now + timeoutSeconds * 1000 * this.scale).toISOString() }
      : {};
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
    const { wait } = await this.options.store.waitFor({
      id: newToken(),
      kind: 'callback',
      executionArn: execution.executionArn,
      state,
      entryKey,
      status: 'WAITING',
      ...this.taskDeadline(state, spec, input, now, entryKey),
      ...(spec.heartbeatSeconds
        ? {
            heartbeatSeconds: spec.heartbeatSeconds,
            heartbeatDeadline: new Date(now + spec.heartbeatSeconds * 1000 * this.scale).toISOString(),
          }
        : {}),
      createdAt: new Date(now).toISOString(),
    });
    return this.waitOn(wait, run, async () => {
      if (wait.status !== 'WAITING' || wait.submitted) return;
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
    });
  }

  /**
   * A `states:startExecution.sync(:2)` task: the child is recorded in the wait before it is started
   * (with a generated name if the task gives none, kept for a resumed entry), started with a link to
   * the wait, and waited on like a callback with the task's deadline. A resumed entry finds the same
   * wait and the same child (StartExecution is not asked twice), and one whose child already ended
   * is settled at once.
   */
  private async childExecution(
    execution: ExecutionRecord,
    state: string,
    spec: TaskSpec,
    input: Json,
    entryKey: string,
    run: Run,
  ): Promise<Json> {
    const now = Date.now();
    const request = childRequest(state, input);
    const name = request.name ?? randomUUID();
    const { wait } = await this.options.store.waitFor({
      id: newToken(),
      kind: 'child',
      executionArn: execution.executionArn,
      state,
      entryKey,
      status: 'WAITING',
      resource: spec.resource,
      child: {
        stateMachineArn: request.stateMachineArn,
        name,
        executionArn: this.executionArn(request.stateMachineArn, name),
        input: request.input,
      },
      ...this.taskDeadline(state, spec, input, now, entryKey),
      createdAt: new Date(now).toISOString(),
    });
    const child = wait.child;
    if (!child) throw new TaskFailed('States.Runtime', `${state}: the wait has no child execution`);
    return this.waitOn(wait, run, async () => {
      if (wait.status !== 'WAITING') return;
      if (!wait.submitted) {
        await this.startChild(execution, wait, child);
        await this.options.store.markSubmitted(wait.id);
      }
      const started = await this.options.store.getExecution(child.executionArn);
      if (started?.parentWaitId === wait.id) await this.reportToParent(started);
    });
  }

  /**
   * Starts a child wait's execution, unless it was started before a restart. A refusal
   * (ExecutionAlreadyExists, StateMachineDoesNotExist…) fails the task under the name AWS gives it,
   * `StepFunctions.<Code>Exception`.
   */
  private async startChild(parent: ExecutionRecord, wait: WaitRecord, child: ChildExecution): Promise<void> {
    const existing = await this.options.store.getExecution(child.executionArn);
    if (existing?.parentWaitId === wait.id) return;
    await this.options.store.appendHistory(parent.executionArn, 'TaskSubmitted', {
      state: wait.state,
      resource: wait.resource,
      executionArn: child.executionArn,
    });
    try {
      await this.startExecution({
        stateMachineArn: child.stateMachineArn,
        name: child.name,
        input: child.input,
        parent: { executionArn: parent.executionArn, waitId: wait.id },
      });
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const refusal = { error: `StepFunctions.${error.code}Exception`, cause: error.message };
      await this.resolveWait(wait, { status: 'FAILED', ...refusal });
      throw new TaskFailed(refusal.error, refusal.cause);
    }
  }

  /**
   * Waits for a callback's or a child's wait to be settled: `prepare` (which asks the service or
   * starts the child, if not done before a restart) runs once the run's waiter is registered, so an
   * outcome that comes at once is not missed.
   */
  private async waitOn(wait: WaitRecord, run: Run, prepare: () => Promise<void>): Promise<Json> {
    if (run.parked || run.stopped) throw new RunParked();
    const answered = new Promise<Json>((resolve, reject) => this.waiters.set(wait.id, { resolve, reject }));
    answered.catch(() => {});
    run.tokens.add(wait.id);
    try {
      await prepare();
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
   * A child wait that times out stops its child, as AWS does for a `.sync` task.
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
        await this.stopAbandonedChild(after);
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

/**
 * The StartExecution request of a `.sync` task's parameters: `StateMachineArn`, an optional `Name`,
 * and `Input` as an object (sent as its JSON) or as JSON text (sent as it is); none is `{}`.
 */
function childRequest(
  state: string,
  parameters: Json,
): { stateMachineArn: string; name?: string; input: string } {
  const fields = (parameters && typeof parameters === 'object' ? parameters : {}) as Record<string, Json>;
  const { StateMachineArn: stateMachineArn, Name: name, Input: input } = fields;
  if (typeof stateMachineArn !== 'string' || stateMachineArn === '') {
    throw new TaskFailed('States.Runtime', `${state}: StateMachineArn must be a string`);
  }
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TaskFailed('States.Runtime', `${state}: Name must be a non-empty string`);
  }
  if (typeof input === 'string') {
    try {
      JSON.parse(input);
    } catch {
      throw new TaskFailed(
        'StepFunctions.InvalidExecutionInputException',
        `${state}: Input is not valid JSON`,
      );
    }
  }
  return {
    stateMachineArn,
    ...(name !== undefined ? { name } : {}),
    input: typeof input === 'string' ? input : JSON.stringify(input ?? {}),
  };
}

/**
 * An ended child as a `.sync` task sees it: the child's DescribeExecution in PascalCase, keys in
 * alphabetical order and dates in epoch milliseconds, as AWS returns it; `.sync:2` has `Input` and
 * `Output` as JSON values, `.sync` as JSON text. (Redrive fields are left out: nothing is redriven
 * locally.)
 */
function describeChild(child: ExecutionRecord, resource: string): Record<string, Json> {
  const payload = (text: string): Json => (resource.endsWith(':2') ? JSON.parse(text) : text);
  return {
    ...(child.cause !== undefined ? { Cause: child.cause } : {}),
    ...(child.error !== undefined ? { Error: child.error } : {}),
    ExecutionArn: child.executionArn,
    Input: payload(child.input),
    InputDetails: { Included: true },
    Name: child.name,
    ...(child.output !== undefined
      ? { Output: payload(child.output), OutputDetails: { Included: true } }
      : {}),
    StartDate: Date.parse(child.startDate),
    StateMachineArn: child.stateMachineArn,
    Status: child.status,
    ...(child.stopDate ? { StopDate: Date.parse(child.stopDate) } : {}),
  };
}

/**
 * What the parent's task gets when its child ends: the description as result if it succeeded;
 * otherwise (failed, timed out, aborted) `States.TaskFailed` whatever the child's own error, with the
 * description's JSON as cause, as AWS does.
 */
function childOutcome(child: ExecutionRecord, resource: string): WaitOutcome {
  const description = JSON.stringify(describeChild(child, resource));
  return child.status === 'SUCCEEDED'
    ? { status: 'SUCCEEDED', output: description }
    : { status: 'FAILED', error: 'States.TaskFailed', cause: description };
}

/** Every Task and Wait state of a definition, nested ones included, by name. */
function collectSpecs(definition: AslDefinition, specs = new Map<string, TaskSpec>()): Map<string, TaskSpec> {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') {
      const resource = String(state.Resource ?? '');
      specs.set(name, {
        kind: isCallbackResource(resource)
          ? 'callback'
          : isChildExecutionResource(resource)
            ? 'child'
            : 'task',
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
 * (its override records the state and its raw input before the state runs); Wait states become
 * tasks (the runner's durable timers); callback and child execution tasks lose their timeouts and
 * heartbeats (the runner enforces them, from absolute deadlines); every task gets a limit far above
 * any real one, so the interpreter's own 60-second default never fires.
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
          const resource = String(state.Resource ?? '');
          const waited = isCallbackResource(resource) || isChildExecutionResource(resource);
          const { TimeoutSecondsPath: _tp, HeartbeatSeconds: _h, HeartbeatSecondsPath: _hp, ...rest } = state;
          const parameters = state.Parameters as Record<string, unknown> | undefined;
          return [
            name,
            {
              ...rest,
              ...(state.TimeoutSecondsPath && parameters && typeof parameters === 'object'
                ? { Parameters: { ...parameters, [`${CARRIED_TIMEOUT}.$`]: state.TimeoutSecondsPath } }
                : {}),
              TimeoutSeconds:
                waited || state.TimeoutSeconds === undefined
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
