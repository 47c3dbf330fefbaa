import { ENV as PLATFORM_ENV, tables, workflows } from '../../shared/platform/definitions';
import { environmentOf, deployedFunctions as functions, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();

/**
 * A deployed value: tokens (Ref, GetAtt, Join) become a placeholder string, as they do at run time;
 * the client map (a Join of client ids into JSON) becomes a JSON object of the same shape.
 */
const deployed = (name: string, value: unknown): string =>
  typeof value === 'string'
    ? value
    : name === PLATFORM_ENV.authClients
      ? JSON.stringify({ 'resolved-at-deploy': 'web' })
      : 'resolved-at-deploy';

const variablesOf = (name: string): Record<string, string> => {
  const fn = stacks.api.functions.get(name);
  if (!fn) throw new Error(`no function ${name}`);
  return Object.fromEntries(
    Object.entries(environmentOf(api, fn.function)).map(([key, value]) => [key, deployed(key, value)]),
  );
};

/**
 * Loads a handler module afresh with exactly `variables` in its environment, and waits for what it
 * loads asynchronously at cold start (`ready`), so nothing is read after the environment is gone.
 */
async function load(entry: string, variables: Record<string, string>): Promise<{ handler?: unknown }> {
  const saved = process.env;
  process.env = { PATH: saved.PATH, AWS_REGION: 'eu-west-1', ...variables };
  try {
    let loaded: { handler?: unknown; ready?: Promise<void> } = {};
    jest.isolateModules(() => {
      loaded = require(`../../${entry}`);
    });
    await loaded.ready;
    return loaded;
  } finally {
    process.env = saved;
  }
}

/** The variables a function must not start without: its tables, the bus, its state machines. */
const requiredVariables = new Set([
  ...Object.values(tables).map((t) => t.envVar),
  PLATFORM_ENV.eventBusName,
  ...workflows.map((w) => w.envVar),
]);
/** And the API's authorizer function: the client map and the issuer. */
const requiredOf = (definition: { trigger: { kind: string } }): Set<string> =>
  definition.trigger.kind === 'authorizer'
    ? new Set([...requiredVariables, 'AUTH_CLIENTS', 'AUTH_ISSUER'])
    : requiredVariables;

describe('handlers on AWS', () => {
  it.each(functions)('loads $name with exactly the environment its function is given', async (definition) => {
    expect(typeof (await load(definition.entry, variablesOf(definition.name))).handler).toBe('function');
  });

  // Read at cold start: a function deployed without a table, the bus, the key map or a state machine
  // ARN it uses fails its init, naming the variable, instead of answering every request with a 500.
  const needing = functions.filter((f) => Object.keys(variablesOf(f.name)).some((v) => requiredOf(f).has(v)));
  it.each(needing)('fails to load $name without a variable it is given, naming it', async (definition) => {
    const variables = variablesOf(definition.name);
    for (const name of Object.keys(variables).filter((v) => requiredOf(definition).has(v))) {
      const { [name]: _missing, ...rest } = variables;
      await expect(load(definition.entry, rest)).rejects.toThrow(`Environment variable ${name} is required`);
    }
  });
});
