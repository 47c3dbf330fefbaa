import pkg from '../../package.json';
import lock from '../../package-lock.json';

/**
 * The AWS SDK moves as one: clients and the document client from one release, and one copy of
 * `@smithy/types` in the tree (two copies break aws-sdk-client-mock's types and bloat bundles).
 * `@aws-sdk/util-dynamodb` is versioned on its own line; it must be the one the document client uses.
 */
describe('AWS SDK packages', () => {
  const declared = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;
  const packages = lock.packages as Record<
    string,
    { version?: string; dependencies?: Record<string, string> }
  >;

  it('pins every client and the document client to one release', () => {
    const releases = new Set(
      Object.entries(declared)
        .filter(([name]) => /^@aws-sdk\/(client-|lib-)/.test(name))
        .map(([, version]) => version),
    );

    expect([...releases]).toHaveLength(1);
  });

  it('uses the util-dynamodb that the document client depends on', () => {
    const wanted = packages['node_modules/@aws-sdk/lib-dynamodb']?.dependencies?.['@aws-sdk/util-dynamodb'];

    expect(wanted).toBeDefined();
    expect(wanted?.replace(/^\^/, '')).toBe(declared['@aws-sdk/util-dynamodb']);
  });

  it('installs one copy of @smithy/types', () => {
    const copies = Object.keys(packages).filter((path) => path.endsWith('node_modules/@smithy/types'));

    expect(copies).toEqual(['node_modules/@smithy/types']);
  });
});
