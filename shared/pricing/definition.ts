import { type ContextDefinition, contextTable, type TableDefinition } from '../platform/definition';

/** The pricing context: the price book, channel price rules, promotions, usage counters and quotes. */
export const PRICING_TABLE_KEY = 'pricing';
export const pricingTable: TableDefinition = contextTable(PRICING_TABLE_KEY, 'Pricing', 'PRICING_TABLE');

export const pricing: ContextDefinition = {
  name: 'pricing',
  tables: [pricingTable],
  functions: [],
  busRules: [],
};
