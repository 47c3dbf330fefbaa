import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { RunnerWorkflows } from './fixtures/runner-child';
import { statesClient } from './step-functions';

/** A running `fixtures/runner-child.ts` process, and a Step Functions client of its endpoint. */
export interface RunnerProcess {
  sfn: SFNClient;
  /** `kill -9`s the process; resolves once it has exited. */
  kill(): Promise<void>;
}

/**
 * Runner processes (`fixtures/runner-child.ts`) for one test file, all running `workflows` on the
 * same `table` at `timeScale`: `start` spawns one and resolves once its endpoint answers, `killAll`
 * kills every one spawned (for `afterAll`). `onAsked` hears each `ASKED <name> <token>` line.
 */
export function runnerProcesses(options: {
  workflows: RunnerWorkflows;
  table: string;
  timeScale: number;
  onAsked: (name: string, token: string) => void;
}) {
  const spawned: ChildProcess[] = [];
  const start = () =>
    new Promise<RunnerProcess>((done, fail) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          resolve(__dirname, 'fixtures/runner-child.ts'),
          String(process.env.TEST_DYNAMODB_ENDPOINT),
          options.table,
          String(options.timeScale),
          options.workflows,
        ],
        { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      spawned.push(child);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split('\n');
        out = lines.pop() ?? '';
        for (const line of lines) {
          const [kind, a, b] = line.split(' ');
          if (kind === 'ASKED' && a && b) options.onAsked(a, b);
          if (kind === 'READY' && a) done({ sfn: statesClient(a), kill: () => killAndWait(child) });
        }
      });
      child.once('exit', (code) =>
        fail(new Error(`the runner process exited (${code}) before it was ready`)),
      );
    });
  const killAll = () => {
    for (const child of spawned) child.kill('SIGKILL');
  };
  return { start, killAll };
}

/** Sends SIGKILL to `child`; resolves once it has exited. */
function killAndWait(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGKILL');
  return exited;
}
