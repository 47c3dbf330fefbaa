import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { LocalLogger } from './log';

/** The file in a data directory that says which runtime (and which engine) is using it. */
export const LOCK_FILE_NAME = 'runtime.pid';

/** A process as the lock records it: the pid, and its start time so a reused pid is not mistaken for it. */
export interface ProcessRef {
  pid: number;
  /** `/proc/<pid>/stat` start time (clock ticks since boot); absent where there is no /proc. */
  startTime?: string;
}

export interface LockRecord {
  version: 1;
  server: ProcessRef;
  /** The DynamoDB Local JVM this server started on the directory. */
  engine?: ProcessRef;
  port?: number;
  startedAt: string;
}

/** Another live runtime holds the data directory: two engines on one database file would corrupt it. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockRecord,
  ) {
    const port = holder.port ? `, API on port ${holder.port}` : '';
    super(
      `The data directory ${dataDir} is in use by another local runtime (pid ${holder.server.pid}${port}, ` +
        `started ${holder.startedAt}). Stop that one first (Ctrl-C in its terminal, or kill ${holder.server.pid}), ` +
        'or start this one with --data-dir <another directory> or --in-memory.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** A held data directory. */
export interface DataDirLock {
  readonly path: string;
  /** Records the engine's pid (as soon as it is spawned) so a later start can clean up after a crash. */
  setEngine(pid: number): void;
  setPort(port: number): void;
  /** Removes the lock file if it is still this runtime's. Idempotent. */
  release(): void;
}

/** Start time of a process from `/proc`, or undefined (no such process, or no /proc on this OS). */
export function processStartTime(pid: number): string | undefined {
  const stat = procStat(pid);
  return stat?.[19];
}

/** Fields of `/proc/<pid>/stat` after the command name, starting with the state (field 3). */
function procStat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether the process still runs, and is the same process (start time) when that is known. A zombie is dead. */
export function isRunning(ref: ProcessRef): boolean {
  if (!Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  try {
    process.kill(ref.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(ref.pid);
  if (!stat) return process.platform !== 'linux';
  if (stat[0] === 'Z' || stat[0] === 'X') return false;
  return ref.startTime === undefined || stat[19] === ref.startTime;
}

function processRef(pid: number): ProcessRef {
  const startTime = processStartTime(pid);
  return startTime === undefined ? { pid } : { pid, startTime };
}

function readRecord(path: string): LockRecord | undefined | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const record = JSON.parse(text) as LockRecord;
    return record && typeof record.server?.pid === 'number' ? record : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/**
 * Writes the record whole or not at all: into a private file first, then linked into place (`wx`:
 * fails with EEXIST when a record is there) or renamed over it (`w`). A concurrent starter never reads
 * a half-written record and mistakes it for a torn, stale one.
 */
function writeRecord(path: string, record: LockRecord, flags: 'wx' | 'w'): void {
  const staging = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(staging, 'wx');
  try {
    writeSync(fd, JSON.stringify(record));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    if (flags === 'wx') linkSync(staging, path);
    else renameSync(staging, path);
  } finally {
    if (flags === 'wx') rmSync(staging, { force: true });
  }
}

async function waitUntilGone(ref: ProcessRef, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(ref)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  return true;
}

/**
 * Takes the data directory for this process: refuses it (DataDirInUseError) while a live runtime
 * holds it, and after one that died without stopping (`kill -9`, a crash, a power cut) kills the
 * engine it left behind, if any still runs, and takes over.
 */
export async function acquireDataDir(dataDir: string, log: LocalLogger): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const record: LockRecord = {
    version: 1,
    server: processRef(process.pid),
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeRecord(path, record, 'wx');
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
    }
    const holder = readRecord(path);
    if (holder === undefined) continue; // released meanwhile
    if (holder !== 'unreadable') {
      if (isRunning(holder.server)) throw new DataDirInUseError(dataDir, holder);
      if (holder.engine && isRunning(holder.engine)) {
        log.warn(
          `A local runtime (pid ${holder.server.pid}) ended without stopping its DynamoDB Local ` +
            `(pid ${holder.engine.pid}) on ${dataDir}; stopping that engine.`,
        );
        // SIGTERM first: the engine then keeps every write it acknowledged (see local/dynamodb.ts).
        const signal = (name: NodeJS.Signals) => {
          try {
            process.kill(holder.engine!.pid, name);
          } catch {
            // gone meanwhile
          }
        };
        signal('SIGTERM');
        if (!(await waitUntilGone(holder.engine, 3_000))) signal('SIGKILL');
        if (!(await waitUntilGone(holder.engine, 5_000))) {
          throw new Error(`Could not stop the stale DynamoDB Local (pid ${holder.engine.pid}) on ${dataDir}`);
        }
      } else {
        log.info(`The previous local runtime on ${dataDir} (pid ${holder.server.pid}) did not stop cleanly.`);
      }
    }
    // Stale (or torn by a crash mid-write): remove it, unless another starter replaced it meanwhile.
    const again = readRecord(path);
    if (JSON.stringify(again) !== JSON.stringify(holder)) continue;
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  let released = false;
  const update = () => {
    if (!released) writeRecord(path, record, 'w');
  };
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const current = readRecord(path);
    if (current && current !== 'unreadable' && current.server.pid !== process.pid) return;
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  // An exit without stop() (a signal during boot, process.exit) still leaves the directory free.
  process.once('exit', release);
  return {
    path,
    setEngine: (pid) => {
      record.engine = processRef(pid);
      update();
    },
    setPort: (port) => {
      record.port = port;
      update();
    },
    release,
  };
}
