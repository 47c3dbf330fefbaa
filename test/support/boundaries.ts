import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The layout's rules, checked over the source text (so `npm test` fails on a violation):
 * - a context (`shared/<context>/`, `functions/<context>/`) uses another context only through that
 *   context's `index.ts`; the platform uses no context, except the collecting `definitions.ts`,
 *   which reads each context's `definition.ts`;
 * - a file under a `domain/` folder imports no AWS SDK, Lambda or middleware package, no adapter
 *   (a context's `adapters/` or the platform's clients, stores and HTTP layer) and no definitions;
 *   from another context it may import types only.
 */

export interface SourceFile {
  /** Path relative to the project root, with forward slashes. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const IMPORT =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const FORBIDDEN_IN_DOMAIN_PACKAGES = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@aws-lambda-powertools\//,
  /^@middy\//,
  /^aws-lambda$/,
  /^aws-cdk-lib/,
];
const PLATFORM_ADAPTERS = [
  'shared/platform/clients',
  'shared/platform/dynamodb',
  'shared/platform/http',
  'shared/platform/logger',
  'shared/platform/idempotency/store',
  'shared/platform/events/publisher',
  'shared/platform/definition',
  'shared/platform/definitions',
];

/** `shared/orders/use-cases/x.ts` → `orders`; `functions/orders/x.ts` → `orders`; else undefined. */
function contextOf(path: string): string | undefined {
  const match = /^(?:shared|functions)\/([^/]+)\//.exec(path);
  return match?.[1];
}

function resolveTarget(from: string, specifier: string): string {
  return normalize(join(dirname(from), specifier))
    .replaceAll('\\', '/')
    .replace(/\.ts$/, '');
}

export function checkBoundaries(files: SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const own = contextOf(file.path);
    const inDomain = /^shared\/[^/]+\/domain\//.test(file.path);
    for (const match of file.text.matchAll(IMPORT)) {
      const typeOnly = match[2] !== undefined;
      const specifier = match[3] ?? match[4] ?? '';
      const add = (rule: string) => violations.push({ file: file.path, specifier, rule });
      if (!specifier.startsWith('.')) {
        if (inDomain && FORBIDDEN_IN_DOMAIN_PACKAGES.some((p) => p.test(specifier))) {
          add('a domain file imports no AWS SDK, Lambda or middleware package');
        }
        continue;
      }
      const target = resolveTarget(file.path, specifier);
      const targetContext = /^shared\/([^/]+)(?:\/|$)/.exec(target)?.[1];
      if (inDomain) {
        if (
          /\/adapters(\/|$)/.test(target) ||
          PLATFORM_ADAPTERS.includes(target) ||
          /\/definitions?$/.test(target)
        ) {
          add('a domain file imports no adapter and no definitions');
        }
        if (targetContext && targetContext !== own && targetContext !== 'platform' && !typeOnly) {
          add('a domain file takes only types from another context');
        }
      }
      if (!targetContext || targetContext === own) continue;
      if (own === 'platform' || (own === undefined && file.path.startsWith('shared/'))) {
        const collecting =
          file.path === 'shared/platform/definitions.ts' && target === `shared/${targetContext}/definition`;
        if (targetContext !== 'platform' && !collecting) add('the platform uses no context');
        continue;
      }
      if (
        own !== undefined &&
        targetContext !== 'platform' &&
        target !== `shared/${targetContext}` &&
        target !== `shared/${targetContext}/index`
      ) {
        add(`another context is used only through shared/${targetContext}/index.ts`);
      }
    }
  }
  return violations;
}

/** Every `.ts` file under the given top-level folders of the project. */
export function sourceFiles(root: string, folders: string[]): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        out.push({ path: relative(root, full).replaceAll('\\', '/'), text: readFileSync(full, 'utf8') });
      }
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return out;
}
