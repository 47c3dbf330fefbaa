import { open, rename } from 'node:fs/promises';

/**
 * The embedded runtime's crash-safe writes (the bus journal, the queues, the stream failure
 * documents): a file is written aside, fsynced and renamed into place, so a `kill -9` leaves the
 * previous content or the new one, never half; the directory is fsynced after, so the entry itself
 * survives.
 */

/** fsyncs a directory, so a rename or a new entry in it survives a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `content` to `temp` (default `<file>.tmp`), fsyncs it and renames it to `file`. The caller
 * syncs the directory, once for however many files it wrote.
 */
export async function writeFileSynced(file: string, content: string, temp = `${file}.tmp`): Promise<void> {
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}
