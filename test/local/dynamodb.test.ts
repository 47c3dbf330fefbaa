import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { isRunning } from '../../local/data-dir-lock';
import { canTieEngineToParent } from '../../local/dynamodb';
import { waitFor } from './support';

/**
 * DynamoDB Local never outlives the process that started it, whatever ends that process: a
 * `kill -9` runs no exit handler, so only the kernel (setpriv --pdeathsig) or a watchdog can do it.
 */
describe('DynamoDB Local engine lifetime', () => {
  const children: ChildProcess[] = [];
  const engines: number[] = [];

  afterEach(() => {
    for (const child of children.splice(0)) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const pid of engines.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });

  /** Starts the fixture and resolves with the engine pid once the fixture printed `<stage> <pid>`. */
  function startParent(stage: 'spawned' | 'ready'): Promise<{ child: ChildProcess; enginePid: number }> {
    // One process (tsx as a loader, not its CLI, which would run the script in a child of its own).
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(__dirname, 'fixtures/engine-child.ts')],
      {
        cwd: resolve(__dirname, '../..'),
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true,
      },
    );
    children.push(child);
    return new Promise((done, fail) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const spawned = /spawned (\d+)/.exec(out);
        if (spawned && !engines.includes(Number(spawned[1]))) engines.push(Number(spawned[1]));
        const match = new RegExp(`${stage} (\\d+)`).exec(out);
        if (match) done({ child, enginePid: Number(match[1]) });
      });
      child.once('exit', (code) => fail(new Error(`the parent exited (${code}) before "${stage}": ${out}`)));
    });
  }

  it('ties the engine to its parent in the kernel on this machine', () => {
    if (process.platform === 'linux') expect(canTieEngineToParent()).toBe(true);
  });

  // The kernel sends the engine TERM at once (350–460 ms to exit when idle); a JVM still starting on a
  // loaded 2-core machine has taken over 3 s to act on it, so the bound is 8 s: it never outlives.
  it.each(['ready', 'spawned'] as const)(
    'dies within 8 s of a kill -9 of its parent (killed once %s)',
    async (stage) => {
      const { child, enginePid } = await startParent(stage);
      expect(isRunning({ pid: enginePid })).toBe(true);

      const killedAt = Date.now();
      child.kill('SIGKILL');
      await waitFor(() => !isRunning({ pid: enginePid }), `engine ${enginePid} to die`, 8_000);

      expect(Date.now() - killedAt).toBeLessThan(8_000);
    },
    60_000,
  );
});
