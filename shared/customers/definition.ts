import { type ContextDefinition, contextTable, type TableDefinition } from '../platform/definition';

/** The customers context: profiles, their identifiers, merge history and review items. */
export const CUSTOMERS_TABLE_KEY = 'customers';
export const customersTable: TableDefinition = contextTable(
  CUSTOMERS_TABLE_KEY,
  'Customers',
  'CUSTOMERS_TABLE',
);

export const customers: ContextDefinition = {
  name: 'customers',
  tables: [customersTable],
  functions: [],
  busRules: [],
};
