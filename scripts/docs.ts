/**
 * `npm run docs`: writes the contracts generated from the zod schemas (the OpenAPI document, the
 * AsyncAPI document, the event schemas and the events table) and removes event schemas that no
 * longer stand for an event.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { contractFiles, EVENT_SCHEMA_DIR } from '../shared/platform/contracts/documents';

const ROOT = join(__dirname, '..');

function filesUnder(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

const files = contractFiles();
let changed = 0;
for (const [path, content] of files) {
  const full = join(ROOT, path);
  let current: string | undefined;
  try {
    current = readFileSync(full, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === content) continue;
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, content);
  changed++;
  console.log(`wrote ${path}`);
}
for (const full of filesUnder(join(ROOT, EVENT_SCHEMA_DIR))) {
  const path = relative(ROOT, full).replaceAll('\\', '/');
  if (files.has(path)) continue;
  rmSync(full);
  changed++;
  console.log(`removed ${path}`);
}
console.log(changed === 0 ? `docs: ${files.size} files, all up to date` : `docs: ${changed} changed`);
