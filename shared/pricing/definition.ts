import { z } from 'zod';
import {
  type ContextDefinition,
  contextTable,
  type DynamoAction,
  defineRoute,
  ownTableRoutes,
  type RouteSpec,
  routeFunction,
  type TableDefinition,
  tablesFor,
} from '../platform/definition';
import { PRICING_TABLE_KEY } from './domain/record-events';
import { pricingEventDescriptions, pricingEvents } from './events';
import {
  basePriceInputSchema,
  basePriceViewSchema,
  ifMatchHeadersSchema,
  listOf,
  priceRuleInputSchema,
  priceRuleSchema,
  promotionIdSchema,
  promotionInputSchema,
  promotionListQuerySchema,
  promotionSchema,
  promotionViewSchema,
  quoteIdSchema,
  quoteInputSchema,
  quoteSchema,
  ruleIdSchema,
  skuSchema,
} from './schemas';

/** The pricing context: the price book, channel price rules, promotions, usage counters and quotes. */
export { PRICING_TABLE_KEY };

// GSI1: every priced SKU (`PRICES`), promotions by their end (`PROMOTIONS`).
export const pricingTable: TableDefinition = contextTable(PRICING_TABLE_KEY, 'Pricing', 'PRICING_TABLE');

/**
 * The catalog's table, by its key (so that this definition does not load that context): what prices
 * a cart reads the categories of its SKUs from it.
 */
const CATALOG = 'catalog';

/** The pricing API: each route's schemas validate in the handler and generate the contracts. */
export const pricingRoutes = {
  putBasePrices: defineRoute({
    method: 'PUT',
    path: '/prices/{sku}',
    access: 'ops',
    summary: "Set a SKU's base prices, one per currency (each channel's effective price follows at once)",
    params: z.object({ sku: skuSchema }),
    body: basePriceInputSchema,
    headers: ifMatchHeadersSchema,
    responses: {
      200: {
        description: 'Updated, or unchanged (the same prices again); `ETag` is the version',
        schema: basePriceViewSchema,
      },
      201: {
        description: 'Created, with every channel price; `ETag` is the version',
        schema: basePriceViewSchema,
      },
    },
  }),
  getBasePrices: defineRoute({
    method: 'GET',
    path: '/prices/{sku}',
    access: 'ops',
    summary: "A SKU's base prices and each channel's effective price, with the rules behind it",
    params: z.object({ sku: skuSchema }),
    responses: { 200: { description: 'The base prices and channel prices', schema: basePriceViewSchema } },
  }),
  putPriceRule: defineRoute({
    method: 'PUT',
    path: '/price-rules/{ruleId}',
    access: 'ops',
    summary: 'Create or replace a named, dated channel price rule ("marketplace +5%")',
    params: z.object({ ruleId: ruleIdSchema }),
    body: priceRuleInputSchema,
    headers: ifMatchHeadersSchema,
    responses: {
      200: {
        description: 'Updated, or unchanged (the same rule again); `ETag` is the version',
        schema: priceRuleSchema,
      },
      201: { description: 'Created; `ETag` is the version', schema: priceRuleSchema },
    },
  }),
  listPriceRules: defineRoute({
    method: 'GET',
    path: '/price-rules',
    access: 'ops',
    summary: 'List channel price rules',
    responses: { 200: { description: 'Every rule', schema: listOf(priceRuleSchema) } },
  }),
  putPromotion: defineRoute({
    method: 'PUT',
    path: '/promotions/{promotionId}',
    access: 'ops',
    summary: 'Create or replace a dated promotion with its stacking rules and usage limits',
    params: z.object({ promotionId: promotionIdSchema }),
    body: promotionInputSchema,
    headers: ifMatchHeadersSchema,
    responses: {
      200: {
        description: 'Updated, or unchanged (the same promotion again); `ETag` is the version',
        schema: promotionSchema,
      },
      201: { description: 'Created; `ETag` is the version', schema: promotionSchema },
    },
  }),
  getPromotion: defineRoute({
    method: 'GET',
    path: '/promotions/{promotionId}',
    access: 'ops',
    summary: 'One promotion, with how often it was used',
    params: z.object({ promotionId: promotionIdSchema }),
    responses: { 200: { description: 'The promotion and its usage', schema: promotionViewSchema } },
  }),
  listPromotions: defineRoute({
    method: 'GET',
    path: '/promotions',
    access: 'ops',
    summary: 'List promotions, optionally only those active now, scheduled or ended',
    query: promotionListQuerySchema,
    responses: { 200: { description: 'The promotions, in priority order', schema: listOf(promotionSchema) } },
  }),
  createQuote: defineRoute({
    method: 'POST',
    path: '/quotes',
    access: 'channel',
    summary: "Price a cart for the caller's channel: each line's price with its trace, held as a quote",
    body: quoteInputSchema,
    responses: {
      201: {
        description: 'The quote: prices, trace, what was not applied and why, its id and expiry',
        schema: quoteSchema,
      },
    },
  }),
  getQuote: defineRoute({
    method: 'GET',
    path: '/quotes/{quoteId}',
    access: 'channel',
    summary: 'A quote of the caller (readable as expired for a day after it expires)',
    params: z.object({ quoteId: quoteIdSchema }),
    responses: { 200: { description: 'The quote', schema: quoteSchema } },
  }),
} as const;

const api = ownTableRoutes('pricing', PRICING_TABLE_KEY);
/** A route that prices also reads the catalog's categories. */
const pricingApi = (name: string, file: string, spec: RouteSpec, actions: readonly DynamoAction[]) =>
  routeFunction(
    'pricing',
    name,
    file,
    spec,
    tablesFor({ [PRICING_TABLE_KEY]: actions, [CATALOG]: ['BatchGetItem'] }),
  );

/**
 * What a recomputation of channel prices calls: the catalog's categories of the SKUs, the priced SKUs
 * (GSI1), their prices, and the channel prices written or removed in one transaction (DeleteItem read
 * from the code: the suites remove no channel price).
 */
const RECOMPUTE = tablesFor({
  [PRICING_TABLE_KEY]: ['DeleteItem', 'GetItem', 'PutItem', 'Query', 'Query:GSI1'],
  [CATALOG]: ['BatchGetItem'],
});

export const pricing: ContextDefinition = {
  name: 'pricing',
  tables: [pricingTable],
  functions: [
    // DeleteItem read from the code: a channel price a new base price no longer yields is removed.
    pricingApi('PutBasePrices', 'put-base-prices', pricingRoutes.putBasePrices, [
      'DeleteItem',
      'GetItem',
      'PutItem',
      'Query',
    ]),
    // Read from the code (not reached by the suites): the SKU's prices, one query.
    api('GetBasePrices', 'get-base-prices', pricingRoutes.getBasePrices, ['Query']),
    api('PutPriceRule', 'put-price-rule', pricingRoutes.putPriceRule, ['GetItem', 'PutItem', 'UpdateItem']),
    // Read from the code (not reached by the suites): the rules, one query.
    api('ListPriceRules', 'list-price-rules', pricingRoutes.listPriceRules, ['Query']),
    api('PutPromotion', 'put-promotion', pricingRoutes.putPromotion, ['GetItem', 'PutItem', 'UpdateItem']),
    api('GetPromotion', 'get-promotion', pricingRoutes.getPromotion, ['BatchGetItem', 'GetItem']),
    // Read from the code (not reached by the suites): the GSI1 listing of promotions.
    api('ListPromotions', 'list-promotions', pricingRoutes.listPromotions, ['Query:GSI1']),
    pricingApi('CreateQuote', 'create-quote', pricingRoutes.createQuote, [
      'BatchGetItem',
      'GetItem',
      'PutItem',
      'Query',
    ]),
    // Read from the code (not reached by the suites): the quote by its key.
    api('GetQuote', 'get-quote', pricingRoutes.getQuote, ['GetItem']),
    {
      name: 'RecomputeChannelPrices',
      entry: 'functions/pricing/recompute-channel-prices.ts',
      description: 'Recomputes the channel prices a changed price rule covers (before or after the change)',
      trigger: { kind: 'event', rule: 'PriceRuleChanged' },
      ...RECOMPUTE,
      putsEvents: false,
      // A rule on a whole category pages through every priced SKU.
      timeoutSeconds: 300,
    },
    {
      name: 'ApplyDatedPriceRules',
      entry: 'functions/pricing/apply-dated-price-rules.ts',
      description: 'Recomputes the channel prices of rules that started or ended since the last pass',
      trigger: { kind: 'schedule', everySeconds: 60, localEverySeconds: 5 },
      // The same recomputation for rules that started or ended (the suites cross no rule's dates:
      // its catalog, GSI1 and DeleteItem uses are read from the code), and its checkpoint.
      ...RECOMPUTE,
      putsEvents: false,
      timeoutSeconds: 300,
    },
  ],
  busRules: [
    {
      name: 'PriceRuleChanged',
      description: 'A changed channel price rule recomputes the channel prices it covers',
      eventPattern: { source: [pricingEvents.source], 'detail-type': ['PriceRuleChanged'] },
      target: { function: 'RecomputeChannelPrices' },
    },
  ],
  events: { ...pricingEvents, descriptions: pricingEventDescriptions },
  eventSource: {
    table: PRICING_TABLE_KEY,
    reads: [],
    writes: [],
    load: async () => (await import('./adapters/event-source')).pricingStream,
  },
};
