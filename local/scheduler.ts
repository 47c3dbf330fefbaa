import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { FunctionDefinition } from '../shared/platform/definitions';
import { type HandlerMap, invoke, LOCAL_ACCOUNT_ID } from './lambda';
import { describeError, type LocalLogger, silentLogger } from './log';

/** A function to run on a fixed rate. */
export interface ScheduledJob {
  functionName: string;
  intervalMs: number;
  timeoutSeconds?: number;
  memoryMb?: number;
}

/**
 * The jobs of every `schedule`-triggered function, at the definition's rate unless
 * `intervalsMs` overrides it by function name.
 */
export function scheduledJobs(
  functions: readonly FunctionDefinition[],
  intervalsMs: Readonly<Record<string, number>> = {},
): ScheduledJob[] {
  const jobs: ScheduledJob[] = [];
  for (const fn of functions) {
    if (fn.trigger.kind !== 'schedule') continue;
    jobs.push({
      functionName: fn.name,
      intervalMs: intervalsMs[fn.name] ?? (fn.trigger.localEverySeconds ?? fn.trigger.everySeconds) * 1000,
      timeoutSeconds: fn.timeoutSeconds,
      memoryMb: fn.memoryMb,
    });
  }
  return jobs;
}

export interface SchedulerOptions {
  jobs: readonly ScheduledJob[];
  handlers: HandlerMap;
  region: string;
  log?: LocalLogger;
}

export interface Scheduler {
  /** Completed runs (successful or not) per function, for tests and diagnostics. */
  runs(functionName: string): number;
  /** Cancels future runs and waits for a running one. */
  stop(): Promise<void>;
}

/**
 * Runs each job's handler with a `Scheduled Event` like an EventBridge `rate()` rule: the first run
 * one interval after start, and never two runs of one job at once (a slow run delays the next).
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  const log = options.log ?? silentLogger;
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const counts = new Map<string, number>();
  let stopped = false;

  const arm = (job: ScheduledJob) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      const run = runOnce(job).finally(() => {
        running.delete(run);
        counts.set(job.functionName, (counts.get(job.functionName) ?? 0) + 1);
        arm(job);
      });
      running.add(run);
    }, job.intervalMs);
    timers.set(job.functionName, timer);
  };

  const runOnce = async (job: ScheduledJob) => {
    const handler = options.handlers.get(job.functionName);
    if (!handler) return;
    const ruleArn = `arn:aws:events:${options.region}:${LOCAL_ACCOUNT_ID}:rule/${job.functionName}Schedule`;
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT_ID,
      time: `${new Date().toISOString().slice(0, 19)}Z`,
      region: options.region,
      resources: [ruleArn],
      detail: {},
    };
    try {
      await invoke(
        {
          name: job.functionName,
          handler,
          timeoutSeconds: job.timeoutSeconds,
          memoryMb: job.memoryMb,
          region: options.region,
        },
        event,
      );
    } catch (error) {
      log.error(`scheduler: ${job.functionName} failed: ${describeError(error)}`);
    }
  };

  for (const job of options.jobs) arm(job);

  return {
    runs: (functionName) => counts.get(functionName) ?? 0,
    stop: async () => {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.all([...running]);
    },
  };
}
