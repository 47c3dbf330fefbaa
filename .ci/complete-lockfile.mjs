// Adds lockfile entries for platform-specific optional packages that the package registry reachable
// here does not serve (other operating systems' native binaries of biome and Jest's resolver).
// `npm install` leaves them out of package-lock.json, and `npm ci` then refuses the lockfile as out
// of sync. Each added entry carries its os/cpu/libc, so npm skips it on this platform without
// fetching it. Run after any `npm install` that rewrites the lockfile: `node .ci/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const platform = (name) => {
  const tail = name.split('/').pop();
  const os = ['android', 'darwin', 'win32', 'freebsd', 'openharmony', 'linux', 'sunos', 'aix'].find((o) =>
    tail.includes(o),
  );
  const cpus = [
    ['arm64', 'arm64'],
    ['x64', 'x64'],
    ['ia32', 'ia32'],
    ['loong64', 'loong64'],
    ['ppc64', 'ppc64'],
    ['riscv64', 'riscv64'],
    ['s390x', 's390x'],
    ['arm-', 'arm'],
  ];
  const cpu = cpus.find(([marker]) => tail.includes(marker))?.[1];
  const libc = tail.includes('musl') ? 'musl' : os === 'linux' ? 'glibc' : undefined;
  return { os, cpu, libc };
};
let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const location = `node_modules/${name}`;
    if (packages[location] || packages[`${key}/${location}`]) continue;
    const { os, cpu, libc } = platform(name);
    if (!os || !cpu) continue;
    packages[location] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(libc ? { libc: [libc] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entries`);
