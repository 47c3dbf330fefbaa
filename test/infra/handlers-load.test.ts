import { functions, tables } from '../../shared/platform/definitions';
import { environmentOf, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();

/** A deployed value: tokens (Ref, GetAtt, Join) become a placeholder string, as they do at run time. */
const deployed = (value: unknown): string => (typeof value === 'string' ? value : 'resolved-at-deploy');

const variablesOf = (name: string): Record<string, string> => {
  const fn = stacks.api.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return Object.fromEntries(
    Object.entries(environmentOf(api, fn.function)).map(([key, value]) => [key, deployed(value)]),
  );
};

/** Loads a handler module afresh with exactly `variables` in its environment. */
function load(entry: string, variables: Record<string, string>): { handler?: unknown } {
  const saved = process.env;
  process.env = { PATH: saved.PATH, AWS_REGION: 'eu-west-1', ...variables };
  try {
    let loaded: { handler?: unknown } = {};
    jest.isolateModules(() => {
      loaded = require(`../../${entry}`);
    });
    return loaded;
  } finally {
    process.env = saved;
  }
}

const tableVariables = new Set(Object.values(tables).map((t) => t.envVar));

describe('handlers on AWS', () => {
  it.each(functions)('loads $name with exactly the environment its function is given', (definition) => {
    expect(typeof load(definition.entry, variablesOf(definition.name)).handler).toBe('function');
  });

  // Read at cold start: a function deployed without a table it uses fails its init, naming the
  // variable, instead of answering every request with a 500. (The stream publisher reads its
  // tables when its first batch arrives, and fails that batch the same way.)
  const usingTables = functions.filter(
    (f) => f.name !== 'PublishEvents' && [...f.reads, ...f.writes].length > 0,
  );
  it.each(usingTables)('fails to load $name without a table variable, naming it', (definition) => {
    const variables = variablesOf(definition.name);
    for (const name of Object.keys(variables).filter((v) => tableVariables.has(v))) {
      const { [name]: _missing, ...rest } = variables;
      expect(() => load(definition.entry, rest)).toThrow(`Environment variable ${name} is required`);
    }
  });
});
