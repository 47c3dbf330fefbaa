import { type CallService, type StateMachineSpec, WorkflowRunner } from '../../local/workflows/runner';
import type { WorkflowStore } from '../../local/workflows/store';
import { waitFor } from './support';
import { uniqueWorkflowsTable, workflowStore } from './workflow-store';

/**
 * For each test of the enclosing `describe`: a workflow store on a table of its own (named with
 * `tablePrefix`), and the runners the test starts on it with `start`, all stopped after the test.
 * Runners call `callService` for their tasks; one hour of their machines' durations is 3.6 s
 * (timeScale 0.001).
 */
export function runnersPerTest(tablePrefix: string, callService: CallService) {
  let store: WorkflowStore;
  let runners: WorkflowRunner[] = [];

  beforeEach(() => {
    store = workflowStore(uniqueWorkflowsTable(tablePrefix));
    runners = [];
  });

  afterEach(async () => {
    for (const r of runners) await r.stop();
  });

  return {
    /** The current test's store. */
    get store() {
      return store;
    },
    /** Starts a runner of `stateMachines` on the current test's store. */
    async start(stateMachines: StateMachineSpec[]): Promise<WorkflowRunner> {
      const r = new WorkflowRunner({ store, stateMachines, callService, timeScale: 0.001 });
      runners.push(r);
      await r.start();
      return r;
    },
  };
}

/** Waits (up to 15 s) until the execution `arn` is no longer RUNNING, and gives its description. */
export const executionEnded = (r: WorkflowRunner, arn: string) =>
  waitFor(
    async () => {
      const e = await r.describeExecution(arn);
      return e.status === 'RUNNING' ? undefined : e;
    },
    `${arn} to end`,
    15_000,
  );
