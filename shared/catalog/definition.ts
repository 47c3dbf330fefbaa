import { type ContextDefinition, contextTable, type TableDefinition } from '../platform/definition';

/** The catalog context: products, the single source of product truth every channel reads. */
export const CATALOG_TABLE_KEY = 'catalog';
export const catalogTable: TableDefinition = contextTable(CATALOG_TABLE_KEY, 'Catalog', 'CATALOG_TABLE');

export const catalog: ContextDefinition = {
  name: 'catalog',
  tables: [catalogTable],
  functions: [],
  busRules: [],
};
