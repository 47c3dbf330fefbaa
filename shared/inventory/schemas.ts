import { z } from 'zod';
import { skuSchema } from '../platform/identifiers';
import { CHANNELS, channelSchema } from '../platform/principals';
import { geoSchema, limitQuery, nearQuery, skuListQuery } from '../platform/queries';

/**
 * The inventory context's request schemas: the one definition from which request validation,
 * TypeScript types, API Gateway's request models and the OpenAPI document are derived. Limits here
 * are product decisions (see docs/decisions.md).
 */

export const LIMITS = {
  maxLinesPerOrder: 50,
  maxQuantityPerLine: 10_000,
  maxSkusPerAvailabilityQuery: 100,
  maxPickupStoresPerSku: 100,
  maxStock: 10_000_000,
  maxHoldSeconds: 7 * 24 * 3600,
  defaultHoldSeconds: 15 * 60,
} as const;

export { skuSchema };

export const locationIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, dash and underscore only');

export const countryCode = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code, e.g. GB');

export { geoSchema };

export const locationInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  type: z.enum(['store', 'dc']),
  geo: geoSchema,
  postalCode: z.string().trim().min(1).max(20),
  country: countryCode,
  fulfils: z
    .array(z.enum(['ship', 'pickup']))
    .min(1)
    .max(2)
    .refine((values) => new Set(values).size === values.length, 'no repeated values'),
  priority: z.number().int().min(0).max(1000).optional(),
  /** The channels whose orders it fulfils; absent: every channel. */
  channels: z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length).optional(),
  /** Orders (fulfilment groups) a day it can take; absent: no limit. */
  dailyCapacity: z.number().int().min(1).max(1_000_000).optional(),
  /** What one shipment from here costs, in minor units of the network's currency. */
  costPerShipmentMinor: z.number().int().min(0).max(100_000_000).optional(),
  /** Last carrier collection of the day, `HH:MM` UTC: a group dispatched before it ships today. */
  carrierCutoff: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour, UTC')
    .optional(),
  /**
   * How long it has for each step of a fulfilment before the work is rerouted (or goes back to
   * stock). The most one group can take (17 days) stays inside its workflow task's 19-day limit.
   */
  sla: z
    .object({
      acceptWithinSeconds: z.number().int().min(1).max(86_400).optional(),
      dispatchWithinSeconds: z
        .number()
        .int()
        .min(1)
        .max(6 * 86_400)
        .optional(),
      transferWithinSeconds: z
        .number()
        .int()
        .min(1)
        .max(5 * 86_400)
        .optional(),
      holdPickupForSeconds: z
        .number()
        .int()
        .min(1)
        .max(5 * 86_400)
        .optional(),
    })
    .optional(),
});
export type LocationInput = z.infer<typeof locationInputSchema>;

/** `PUT /locations/{locationId}/status`: close a location, or only its pickup, for a reason. */
export const locationStatusInputSchema = z
  .object({
    state: z.enum(['enabled', 'disabled', 'pickup-disabled']),
    reason: z.string().trim().min(1).max(200).optional(),
    until: z.iso.datetime({ offset: true }).optional().describe('The status ends by itself at this time'),
  })
  .superRefine((input, ctx) => {
    if (input.state !== 'enabled' && input.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'say why the location is disabled' });
    }
    if (input.state === 'enabled' && input.until !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'only a disabled state can have an end' });
    }
  });
export type LocationStatusInput = z.infer<typeof locationStatusInputSchema>;

/** The system that reports a movement or a count (a POS, a WMS); event ids are unique only within it. */
const sourceSystemSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only');
const sourceEventIdSchema = z.string().min(1).max(200);
const sourceTimeSchema = (what: string) =>
  z.iso
    .datetime({ offset: true })
    .optional()
    .describe(`When the ${what} happened, by the source system's clock (default: when it is received)`);

/**
 * An absolute count. It applies as of `countedAt`: movements after that time that were already
 * applied are kept on top of it; a count older than the last applied one is recorded and ignored.
 * With a source system and event id a repeat answers the first result.
 */
export const positionInputSchema = z
  .object({
    onHand: z.number().int().min(0).max(LIMITS.maxStock),
    safetyStock: z.number().int().min(0).max(LIMITS.maxStock).optional(),
    countedAt: sourceTimeSchema('count'),
    sourceSystem: sourceSystemSchema.optional(),
    sourceEventId: sourceEventIdSchema.optional(),
  })
  .superRefine((input, ctx) => {
    if ((input.sourceSystem === undefined) !== (input.sourceEventId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [input.sourceSystem === undefined ? 'sourceSystem' : 'sourceEventId'],
        message: 'sourceSystem and sourceEventId go together',
      });
    }
  });
export type PositionInput = z.infer<typeof positionInputSchema>;

export const adjustmentInputSchema = z.object({
  sku: skuSchema,
  locationId: locationIdSchema,
  delta: z
    .number()
    .int()
    .min(-LIMITS.maxStock)
    .max(LIMITS.maxStock)
    .refine((d) => d !== 0, 'must not be zero'),
  reason: z.string().trim().min(1).max(100),
  sourceSystem: sourceSystemSchema,
  sourceEventId: sourceEventIdSchema,
  occurredAt: sourceTimeSchema('movement'),
});
export type AdjustmentInput = z.infer<typeof adjustmentInputSchema>;

/**
 * A rule applies to the whole network unless it names locations; the scopes of any two rules must be
 * nested or disjoint (so what a channel may get is exact, see docs/decisions.md).
 */
const ruleLocationsSchema = z
  .array(locationIdSchema)
  .min(1)
  .max(100)
  .refine((values) => new Set(values).size === values.length, 'no repeated values')
  .optional()
  .describe('The locations the rule counts (default: every location)');

export const channelRuleInputSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('maxShareOfAtp'),
    name: z.string().trim().min(1).max(200),
    channel: channelSchema,
    percent: z.number().min(0).max(100),
    skus: z.array(skuSchema).min(1).max(1000).optional(),
    locations: ruleLocationsSchema,
  }),
  z.object({
    type: z.literal('protectUnits'),
    name: z.string().trim().min(1).max(200),
    channel: channelSchema,
    units: z.number().int().min(0).max(LIMITS.maxStock),
    skus: z.array(skuSchema).min(1).max(1000).optional(),
    locations: ruleLocationsSchema,
  }),
]);
export type ChannelRuleInput = z.infer<typeof channelRuleInputSchema>;

export const quantitySchema = z.number().int().min(1).max(LIMITS.maxQuantityPerLine);

/** One line: a SKU and how many. */
export const lineItemSchema = z.object({ sku: skuSchema, quantity: quantitySchema });

/** Lines of `item`s: at least one, at most the limit, each SKU on one line only. */
export const linesOf = <T extends z.ZodType<{ sku: string; quantity: number }>>(item: T) =>
  z
    .array(item)
    .min(1)
    .max(LIMITS.maxLinesPerOrder)
    .superRefine((lines, ctx) => {
      const seen = new Set<string>();
      lines.forEach((line, index) => {
        if (seen.has(line.sku)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'sku'],
            message: 'SKU appears on more than one line; put the total on one line',
          });
        }
        seen.add(line.sku);
      });
    });

export const linesSchema = linesOf(lineItemSchema);
export type LineInput = z.infer<typeof linesSchema>[number];

export const addressSchema = z.object({
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: countryCode,
  lat: z.number().min(-90).max(90).optional(),
  lon: z.number().min(-180).max(180).optional(),
});

export const deliverySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ship'), address: addressSchema }),
  z.object({ type: z.literal('pickup'), locationId: locationIdSchema }),
]);
export type Delivery = z.infer<typeof deliverySchema>;

export const holdInputSchema = z.object({
  lines: linesSchema,
  delivery: deliverySchema,
  expiresInSeconds: z.number().int().min(1).max(LIMITS.maxHoldSeconds).default(LIMITS.defaultHoldSeconds),
});
export type HoldInput = z.infer<typeof holdInputSchema>;

export const availabilityQuerySchema = z.object({
  skus: skuListQuery(LIMITS.maxSkusPerAvailabilityQuery),
  locationId: locationIdSchema.optional(),
  channel: channelSchema.optional(),
  near: nearQuery,
  limit: limitQuery(
    LIMITS.maxPickupStoresPerSku,
    `At most this many pickup stores per SKU (nearest first with near), at most ${LIMITS.maxPickupStoresPerSku}`,
  ),
});
