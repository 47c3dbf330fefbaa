import { join } from 'node:path';
import { checkBoundaries, sourceFiles } from '../../support/boundaries';

const ROOT = join(__dirname, '..', '..', '..');

describe('the layout by bounded context', () => {
  it('has no deep import across contexts and no infrastructure in a domain folder', () => {
    const violations = checkBoundaries(sourceFiles(ROOT, ['shared', 'functions']));

    expect(violations).toEqual([]);
  });

  it('keeps one folder per context under shared/ and functions/', () => {
    const files = sourceFiles(ROOT, ['shared', 'functions']).map((f) => f.path);

    for (const context of ['inventory', 'orders']) {
      for (const part of ['index.ts', 'definition.ts', 'schemas.ts', 'events.ts']) {
        expect(files).toContain(`shared/${context}/${part}`);
      }
      for (const layer of ['domain', 'use-cases', 'adapters']) {
        expect(files.some((f) => f.startsWith(`shared/${context}/${layer}/`))).toBe(true);
      }
      expect(files.some((f) => f.startsWith(`functions/${context}/`))).toBe(true);
    }
    expect(files.filter((f) => /^(shared|functions)\/[^/]+\.ts$/.test(f))).toEqual([]);
  });

  describe('checkBoundaries', () => {
    const check = (path: string, text: string) => checkBoundaries([{ path, text }]);

    it('refuses a use case that reaches into another context', () => {
      expect(
        check(
          'shared/orders/use-cases/x.ts',
          "import { InventoryStore } from '../../inventory/adapters/inventory-store';",
        ),
      ).toEqual([expect.objectContaining({ rule: expect.stringContaining('index.ts') })]);
    });

    it('refuses a handler that reaches into another context', () => {
      expect(
        check('functions/orders/x.ts', "import { setCount } from '../../shared/inventory/use-cases/stock';"),
      ).toHaveLength(1);
    });

    it("accepts another context's index and the platform", () => {
      expect(
        check(
          'shared/orders/use-cases/x.ts',
          "import { stockReservations } from '../../inventory';\nimport { x } from '../../inventory/index';\nimport { DomainError } from '../../platform/errors';",
        ),
      ).toEqual([]);
    });

    it('refuses the AWS SDK, an adapter or the definitions in a domain file', () => {
      const violations = check(
        'shared/inventory/domain/x.ts',
        [
          "import { GetCommand } from '@aws-sdk/lib-dynamodb';",
          "import { InventoryStore } from '../adapters/inventory-store';",
          "import { tables } from '../../platform/definitions';",
          "import { inventory } from '../definition';",
          "import { transactWrite } from '../../platform/dynamodb';",
        ].join('\n'),
      );

      expect(violations.map((v) => v.specifier)).toEqual([
        '@aws-sdk/lib-dynamodb',
        '../adapters/inventory-store',
        '../../platform/definitions',
        '../definition',
        '../../platform/dynamodb',
      ]);
    });

    it('lets a domain file take types, not values, from another context', () => {
      expect(check('shared/orders/domain/x.ts', "import type { Delivery } from '../../inventory';")).toEqual(
        [],
      );
      expect(
        check('shared/orders/domain/x.ts', "import { linesSchema } from '../../inventory';"),
      ).toHaveLength(1);
    });

    it('lets only the collecting module of the platform read the contexts, and only their definitions', () => {
      expect(
        check('shared/platform/definitions.ts', "import { orders } from '../orders/definition';"),
      ).toEqual([]);
      expect(
        check('shared/platform/definitions.ts', "import { x } from '../orders/use-cases/orders';"),
      ).toHaveLength(1);
      expect(check('shared/platform/http.ts', "import { orders } from '../orders';")).toHaveLength(1);
    });

    it('sees dynamic imports and re-exports', () => {
      expect(check('shared/orders/x.ts', "export { a } from '../inventory/domain/stock';")).toHaveLength(1);
      expect(check('shared/orders/x.ts', "const m = await import('../inventory/stream');")).toHaveLength(1);
    });
  });
});
