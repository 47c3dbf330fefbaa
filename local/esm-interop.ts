import { registerHooks } from 'node:module';

let registered = false;

/**
 * Lets CommonJS code `require` packages that export only an `import` condition (middy 7 does).
 *
 * The project is CommonJS (no `"type": "module"`), so under tsx the handler modules' imports become
 * `require` calls, and Node refuses a package whose `exports` has no `require`/`default` entry. On AWS
 * the functions are bundled by esbuild, which does not care. Here a resolve hook retries such a
 * specifier with the `import` condition, and Node 22's `require(esm)` loads the ES module.
 */
export function allowRequireOfImportOnlyPackages(): void {
  if (registered) return;
  registered = true;
  try {
    registerHooks({
      resolve(specifier, context, nextResolve) {
        try {
          return nextResolve(specifier, context);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' || context.conditions.includes('import')) throw error;
          return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'import'] });
        }
      },
    });
  } catch {
    // A host with its own module system (Jest refuses hooks) resolves and transforms packages itself.
  }
}
