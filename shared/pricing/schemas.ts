import { z } from 'zod';
import { skuSchema } from '../platform/identifiers';
import { CHANNELS, channelSchema } from '../platform/principals';
import { isCurrency } from './domain/money';
import { toSecondUtc } from './domain/price-book';

/**
 * The pricing context's schemas: request bodies (validated by the handlers, modelled at the edge) and
 * what the API answers and the events carry (documented from here). Amounts are integer minor units
 * of an explicit currency; percentages are integer basis points (100 bp = 1 %). Limits are product
 * decisions: an amount at most {@link LIMITS.maxAmount} keeps a 50-line cart of 10,000 units a line
 * exact in a double's safe integers.
 */

export { skuSchema };

export const LIMITS = {
  maxLinesPerQuote: 50,
  maxQuantityPerLine: 10_000,
  /** 100 million major units of a two-decimal currency. */
  maxAmount: 10_000_000_000,
  /**
   * A base price write commits with the channel prices it moves, one per channel × currency, in one
   * transaction of at most 100 items: 5 channels × (8 currencies written + 8 removed) + 1 fits.
   */
  maxCurrenciesPerSku: 8,
  maxScopeSkus: 500,
  maxScopeCategories: 50,
  /** A rule may raise a price by up to +1,000 %, and cut it by up to −100 %. */
  maxRuleBps: 100_000,
  maxPriority: 10_000,
  defaultPriority: 100,
  /** How long a quote's prices hold. */
  quoteTtlSeconds: 15 * 60,
} as const;

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code in capitals, e.g. GBP')
  .refine(isCurrency, 'not an ISO 4217 currency');

export const minorAmountSchema = z
  .number()
  .int('whole minor units (e.g. pence), never a fraction')
  .min(0)
  .max(LIMITS.maxAmount);

const signedAmountSchema = z
  .number()
  .int('whole minor units (e.g. pence), never a fraction')
  .min(-LIMITS.maxAmount)
  .max(LIMITS.maxAmount)
  .refine((n) => n !== 0, 'a change of zero changes nothing');

/** An amount: integer minor units of an explicit currency. */
export const moneySchema = z.object({ amount: minorAmountSchema, currency: currencySchema });
const positiveMoneySchema = z.object({
  amount: minorAmountSchema.min(1),
  currency: currencySchema,
});

/** Percent off, in basis points: 1 (0.01 %) to 10,000 (100 %). */
const percentOffSchema = z.number().int('whole basis points (100 bp = 1%)').min(1).max(10_000);

export const ruleIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, dash and underscore only');
export const promotionIdSchema = ruleIdSchema;
export const quoteIdSchema = z.string().min(1).max(100);
export const customerIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits, dot, colon, dash and underscore only');

/** A category id as the catalog spells it: lower-case words, a dot between levels (`apparel.tees`). */
export const categoryIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/,
    'lower-case words, levels separated by a dot, e.g. apparel.tees',
  );

const unique = <T>(values: T[]) => new Set(values).size === values.length;

/** A time as a request gives it: to the second, with an offset; stored in UTC (`…T00:00:00Z`). */
const timeInputSchema = z.iso
  .datetime({ offset: true, precision: 0 })
  .describe('To the second, e.g. 2026-11-27T00:00:00Z')
  .transform(toSecondUtc);
const timeSchema = z.iso.datetime();

const scopeSchema = z
  .object({
    skus: z.array(skuSchema).min(1).max(LIMITS.maxScopeSkus).refine(unique, 'each SKU once').optional(),
    categories: z
      .array(categoryIdSchema)
      .min(1)
      .max(LIMITS.maxScopeCategories)
      .refine(unique, 'each category once')
      .optional(),
  })
  .describe(
    'The SKUs listed and every SKU in the categories listed (with their sub-categories); empty: every SKU',
  );

const channelsSchema = z
  .array(channelSchema)
  .min(1)
  .max(CHANNELS.length)
  .refine(unique, 'each channel once')
  .describe('The channels it applies to');

/** What rules and promotions share, with the time schema of the side (request or stored). */
const datedShape = <T extends z.ZodType<string, string>>(time: T) => ({
  name: z.string().trim().min(1).max(200),
  channels: channelsSchema,
  scope: scopeSchema.default({}),
  validFrom: time,
  validTo: time.optional().describe('Absent: open-ended. The window includes validFrom and excludes validTo'),
  priority: z
    .number()
    .int()
    .min(0)
    .max(LIMITS.maxPriority)
    .default(LIMITS.defaultPriority)
    .describe('Lower applies first; equal priorities apply in id order'),
});

const windowInOrder = (input: { validFrom: string; validTo?: string | undefined }, ctx: z.RefinementCtx) => {
  if (input.validTo !== undefined && Date.parse(input.validTo) <= Date.parse(input.validFrom)) {
    ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'must be after validFrom' });
  }
};

const adjustmentSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('percent'),
    bps: z
      .number()
      .int('whole basis points (100 bp = 1%)')
      .min(-10_000)
      .max(LIMITS.maxRuleBps)
      .refine((n) => n !== 0, 'a change of zero changes nothing')
      .describe('Signed basis points of the unit price: 500 is +5%, -2000 is -20%'),
  }),
  z.object({
    type: z.literal('amount'),
    amount: z
      .object({ amount: signedAmountSchema, currency: currencySchema })
      .describe('Signed minor units added to the unit price; applies to prices in this currency only'),
  }),
]);

/** `PUT /price-rules/{ruleId}`: a named, dated channel price rule. */
export const priceRuleInputSchema = z
  .object({ ...datedShape(timeInputSchema), adjustment: adjustmentSchema })
  .superRefine(windowInOrder);
export type PriceRuleInput = z.output<typeof priceRuleInputSchema>;

const promotionKindSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('percentOff'), bps: percentOffSchema }),
  z.object({
    type: z.literal('amountOff'),
    amount: positiveMoneySchema,
    per: z.enum(['unit', 'line']).default('unit').describe('Off each unit, or once off each line'),
  }),
  z.object({
    type: z.literal('buyXGetY'),
    buy: z.number().int().min(1).max(100),
    get: z.number().int().min(1).max(100),
    bps: percentOffSchema
      .default(10_000)
      .describe('Off each of the `get` units: 10,000 (the default) is free'),
  }),
  z.object({
    type: z.literal('orderAmountOff'),
    amount: positiveMoneySchema,
    minSubtotal: moneySchema.optional(),
  }),
  z.object({
    type: z.literal('orderPercentOff'),
    bps: percentOffSchema,
    minSubtotal: moneySchema.optional(),
  }),
]);

const limitsSchema = z
  .object({
    total: z.number().int().min(1).max(1_000_000_000).optional().describe('Orders that may use it in all'),
    perCustomer: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('Orders one customer may use it in'),
  })
  .refine((l) => l.total !== undefined || l.perCustomer !== undefined, 'give total, perCustomer or both');

const promotionShape = <T extends z.ZodType<string, string>>(time: T) => ({
  ...datedShape(time),
  kind: promotionKindSchema,
  stopAfter: z
    .boolean()
    .default(false)
    .describe('Once it applied to a line, no later promotion applies to it'),
  exclusiveGroup: ruleIdSchema
    .optional()
    .describe('Of the promotions in one group, only the one giving the largest discount applies'),
  limits: limitsSchema.optional(),
});

/** `PUT /promotions/{promotionId}`: a dated promotion with its stacking rules and usage limits. */
export const promotionInputSchema = z.object(promotionShape(timeInputSchema)).superRefine((input, ctx) => {
  windowInOrder(input, ctx);
  const kind = input.kind;
  if ((kind.type === 'orderAmountOff' || kind.type === 'orderPercentOff') && kind.minSubtotal) {
    const currency = kind.type === 'orderAmountOff' ? kind.amount.currency : kind.minSubtotal.currency;
    if (kind.minSubtotal.currency !== currency) {
      ctx.addIssue({
        code: 'custom',
        path: ['kind', 'minSubtotal', 'currency'],
        message: 'must be the currency of the amount off',
      });
    }
  }
});
export type PromotionInput = z.output<typeof promotionInputSchema>;

/** `PUT /prices/{sku}`: the SKU's base prices, one per currency (replacing those it had). */
export const basePriceInputSchema = z.object({
  prices: z
    .array(moneySchema)
    .min(1)
    .max(LIMITS.maxCurrenciesPerSku)
    .refine((prices) => unique(prices.map((p) => p.currency)), 'each currency once'),
});
export type BasePriceInput = z.output<typeof basePriceInputSchema>;

const quoteLinesSchema = z
  .array(
    z.object({
      sku: skuSchema,
      quantity: z.number().int().min(1).max(LIMITS.maxQuantityPerLine),
    }),
  )
  .min(1)
  .max(LIMITS.maxLinesPerQuote)
  .superRefine((lines, ctx) => {
    const seen = new Set<string>();
    for (const [index, line] of lines.entries()) {
      if (seen.has(line.sku)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'sku'],
          message: 'SKU appears on more than one line; put the total on one line',
        });
      }
      seen.add(line.sku);
    }
  });

/** `POST /quotes`: a cart to price for the caller's channel (which comes from its key, not from here). */
export const quoteInputSchema = z.object({
  currency: currencySchema.default('GBP'),
  customerId: customerIdSchema.optional().describe('Needed for promotions limited per customer'),
  lines: quoteLinesSchema,
});
export type QuoteInput = z.output<typeof quoteInputSchema>;

/** `If-Match` on a PUT: the `ETag` of the version the change is based on. */
export const ifMatchHeadersSchema = z.object({
  'If-Match': z
    .string()
    .max(40)
    .regex(/^(?:W\/)?"?\d{1,15}"?$/, 'the ETag of a version, e.g. "3"')
    .optional(),
});

export const promotionListQuerySchema = z.object({
  status: z
    .enum(['active', 'scheduled', 'ended'])
    .optional()
    .describe('Only promotions in their window now, yet to start, or over; absent: all'),
});

// What the API answers and the events carry: open objects, documented from these.

const storedShape = { version: z.number().int(), updatedAt: timeSchema };

/** A channel price rule as stored and answered. */
export const priceRuleSchema = z.object({
  ruleId: z.string(),
  ...datedShape(timeSchema),
  adjustment: adjustmentSchema,
  ...storedShape,
});

/** A promotion as stored and answered. */
export const promotionSchema = z.object({
  promotionId: z.string(),
  ...promotionShape(timeSchema),
  ...storedShape,
});

export const promotionViewSchema = promotionSchema.extend({
  usage: z
    .object({ total: z.number().int() })
    .describe('Orders that used it (counted for limited promotions)'),
});

export const channelPriceSchema = z.object({
  channel: channelSchema,
  currency: z.string(),
  amount: z.number().int(),
  ruleIds: z.array(z.string()),
  computedAt: z.string(),
});

export const basePriceViewSchema = z.object({
  sku: z.string(),
  prices: z.array(moneySchema),
  version: z.number().int(),
  updatedAt: z.string(),
  channels: z
    .array(channelPriceSchema)
    .describe("Each channel's effective unit price: the base price and its rules, no promotion"),
});

const notAppliedSchema = z.object({
  kind: z.enum(['rule', 'promotion']),
  id: z.string(),
  name: z.string(),
  code: z.string().describe('NOT_STARTED, ENDED, OTHER_CURRENCY, LIMIT_REACHED, STOPPED, EXCLUDED_BY_GROUP…'),
  reason: z.string(),
});

const traceStepSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('base'), effect: z.string(), after: z.number().int() }),
  z.object({
    kind: z.literal('rule'),
    id: z.string(),
    name: z.string(),
    type: z.enum(['percent', 'amount']),
    effect: z.string(),
    before: z.number().int(),
    after: z.number().int(),
  }),
  z.object({
    kind: z.literal('promotion'),
    id: z.string(),
    name: z.string(),
    type: z.string(),
    level: z.enum(['line', 'order']),
    effect: z.string(),
    before: z.number().int(),
    after: z.number().int(),
    amount: z.number().int(),
    units: z.number().int().optional(),
  }),
]);

/** A priced line: its price, each applied step in order, and what was considered but not applied. */
export const pricedLineSchema = z.object({
  sku: z.string(),
  quantity: z.number().int(),
  category: z.string().optional(),
  unitBase: z.number().int(),
  unitPrice: z.number().int().describe('One unit after channel rules, before promotions'),
  lineSubtotal: z.number().int(),
  discounts: z.array(
    z.object({ promotionId: z.string(), name: z.string(), type: z.string(), amount: z.number().int() }),
  ),
  discountTotal: z.number().int(),
  lineTotal: z.number().int(),
  trace: z.array(traceStepSchema),
  notApplied: z.array(notAppliedSchema),
});

export const pricedCartSchema = z.object({
  channel: channelSchema,
  currency: z.string(),
  pricedAt: z.string(),
  customerId: z.string().optional(),
  lines: z.array(pricedLineSchema),
  totals: z.object({ subtotal: z.number().int(), discount: z.number().int(), total: z.number().int() }),
  promotions: z.array(
    z.object({
      promotionId: z.string(),
      name: z.string(),
      type: z.string(),
      amount: z.number().int(),
      limits: z
        .object({ total: z.number().int().optional(), perCustomer: z.number().int().optional() })
        .optional(),
    }),
  ),
});

/** A quote: a priced cart with an id, held until `expiresAt`. */
export const quoteSchema = pricedCartSchema.extend({
  quoteId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  expired: z.boolean().describe('True once expiresAt has passed: an order can no longer take it'),
});

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
