import { functions } from '../../shared/infra/definitions';
import { environmentOf, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();

/** A deployed value: tokens (Ref, GetAtt, Join) become a placeholder string, as they do at run time. */
const deployed = (value: unknown): string => (typeof value === 'string' ? value : 'resolved-at-deploy');

describe('handlers on AWS', () => {
  it.each(functions)('loads $name with exactly the environment its function is given', (definition) => {
    const fn = stacks.api.functions.get(definition.name);
    if (!fn) throw new Error(`no function ${definition.name}`);
    const variables = Object.fromEntries(
      Object.entries(environmentOf(api, fn.function)).map(([name, value]) => [name, deployed(value)]),
    );
    const saved = process.env;
    process.env = { PATH: saved.PATH, AWS_REGION: 'eu-west-1', ...variables };
    try {
      let loaded: { handler?: unknown } = {};
      jest.isolateModules(() => {
        loaded = require(`../../${definition.entry}`);
      });
      expect(typeof loaded.handler).toBe('function');
    } finally {
      process.env = saved;
    }
  });
});
