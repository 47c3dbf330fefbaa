import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireDataDir,
  DataDirInUseError,
  isRunning,
  LOCK_FILE_NAME,
  type LockRecord,
  processStartTime,
} from '../../local/data-dir-lock';
import { memoryLogger, waitFor } from './support';

describe('data directory lock', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const log = memoryLogger();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
    log.warnings.length = 0;
  });

  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** A process that sleeps until killed, standing in for a DynamoDB Local JVM. */
  function sleeper(): ChildProcess {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  /** The pid of a process that has already exited. */
  function deadPid(): number {
    return Number(
      spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout,
    );
  }

  const lockPath = () => join(dir, LOCK_FILE_NAME);
  const stale = (record: Partial<LockRecord>) =>
    writeFileSync(
      lockPath(),
      JSON.stringify({
        version: 1,
        server: { pid: deadPid() },
        startedAt: '2026-01-01T00:00:00Z',
        ...record,
      }),
    );

  it('records this process and its engine, and removes the file when released', async () => {
    const lock = await acquireDataDir(dir, log);
    lock.setEngine(process.pid);
    lock.setPort(4321);

    const record = JSON.parse(readFileSync(lockPath(), 'utf8')) as LockRecord;
    expect(record.server.pid).toBe(process.pid);
    expect(record.port).toBe(4321);
    expect(record.engine?.pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
  });

  it('refuses a directory a live runtime holds, saying which and what to do', async () => {
    const lock = await acquireDataDir(dir, log);
    lock.setPort(4321);
    try {
      const second = acquireDataDir(dir, log);

      await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(second).rejects.toThrow(
        new RegExp(`in use by another local runtime \\(pid ${process.pid}, API on port 4321.*--data-dir`),
      );
      expect(existsSync(lockPath())).toBe(true);
    } finally {
      lock.release();
    }
  });

  it('kills the engine a dead runtime left behind and takes the directory over', async () => {
    const engine = sleeper();
    const ref = { pid: engine.pid!, startTime: processStartTime(engine.pid!) };
    stale({ engine: ref });

    const lock = await acquireDataDir(dir, log);

    expect(isRunning(ref)).toBe(false);
    expect(log.warnings.join('\n')).toContain(`DynamoDB Local (pid ${engine.pid})`);
    expect((JSON.parse(readFileSync(lockPath(), 'utf8')) as LockRecord).server.pid).toBe(process.pid);
    lock.release();
  });

  it('leaves alone a process that merely reuses the dead engine pid', async () => {
    const other = sleeper();
    stale({ engine: { pid: other.pid!, startTime: 'not-its-start-time' } });

    const lock = await acquireDataDir(dir, log);

    await new Promise((r) => setTimeout(r, 100));
    expect(isRunning({ pid: other.pid! })).toBe(true);
    lock.release();
  });

  it('takes over a lock file torn by a crash mid-write', async () => {
    writeFileSync(lockPath(), '{"version":1,"ser');

    const lock = await acquireDataDir(dir, log);

    expect((JSON.parse(readFileSync(lockPath(), 'utf8')) as LockRecord).server.pid).toBe(process.pid);
    lock.release();
  });

  it('counts a zombie or a reused pid as not running', async () => {
    const child = sleeper();
    const ref = { pid: child.pid!, startTime: processStartTime(child.pid!) };
    expect(isRunning(ref)).toBe(true);
    expect(isRunning({ ...ref, startTime: 'other' })).toBe(process.platform !== 'linux');

    child.kill('SIGKILL');
    await waitFor(() => !isRunning(ref), 'the killed child to count as gone');
  });
});
