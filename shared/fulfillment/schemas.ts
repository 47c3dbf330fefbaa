import { z } from 'zod';
import { CRITERION_NAMES, FILTER_NAMES } from './domain/profile';

/**
 * The fulfillment context's request schemas. A sourcing profile's shape is checked here (and
 * documented in the OpenAPI document); what only makes sense across fields (required filters,
 * unique strategy names, a split rule with a threshold) is `validateProfile`'s, in the domain.
 */

export const profileIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, dash and underscore only');

const names = z.array(z.string().trim().min(1).max(64)).min(1).max(100);

const filterSchema = z.union([
  z
    .object({ name: z.enum(FILTER_NAMES.filter((n) => n !== 'maxDistance') as [string, ...string[]]) })
    .strict(),
  z.object({ name: z.literal('maxDistance'), km: z.number().positive().max(20_000) }).strict(),
]);

const criterionSchema = z.union([
  z
    .object({ name: z.enum(CRITERION_NAMES.filter((n) => n !== 'distance') as [string, ...string[]]) })
    .strict(),
  z.object({ name: z.literal('distance'), bandKm: z.number().positive().max(20_000).optional() }).strict(),
]);

const strategySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    conditions: z
      .object({
        channels: names.optional(),
        deliveryTypes: z
          .array(z.enum(['ship', 'pickup']))
          .min(1)
          .max(2)
          .optional(),
        minOrderValueMinor: z.number().int().min(0).optional(),
        maxOrderValueMinor: z.number().int().min(0).optional(),
        categories: names.optional(),
        countries: z
          .array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2'))
          .min(1)
          .max(250)
          .optional(),
        regions: names.optional(),
      })
      .strict()
      .describe('When the strategy applies; every listed condition must hold'),
    filters: z.array(filterSchema).max(10),
    criteria: z.array(criterionSchema).min(1).max(10).describe('Tie-breakers, compared in order'),
  })
  .strict();

/** `PUT /sourcing-profiles/{profileId}`: the next version of a profile, as a draft. */
export const sourcingProfileInputSchema = z
  .object({
    defaults: z
      .object({
        maxSplit: z.number().int().min(1).max(20).describe('The most shipments one order may be split into'),
        splitRule: z
          .object({
            minDistanceSavedKm: z.number().positive().optional(),
            minCostSavedMinor: z.number().int().positive().optional(),
          })
          .strict()
          .optional(),
        allowShipToStore: z.boolean().optional(),
        maxDistanceKm: z.number().positive().max(20_000).optional(),
      })
      .strict(),
    strategies: z.array(strategySchema).min(1).max(20),
    fallbacks: z.array(strategySchema).max(20),
  })
  .strict();
export type SourcingProfileInput = z.infer<typeof sourcingProfileInputSchema>;

export const versionSchema = z.coerce.number().int().min(1).max(1_000_000);

/** A fulfilment group's id: `<orderId>-G<n>` (also the name of its workflow execution). */
export const groupIdSchema = z
  .string()
  .min(4)
  .max(80)
  .regex(/^[A-Za-z0-9_-]+-G\d+$/, 'a group id, `<orderId>-G<n>`');

/** `POST …/reject`: why the location cannot do the work. */
export const rejectAnswerSchema = z
  .object({
    reason: z.string().trim().min(1).max(200).describe('Why, in words the ops team will read'),
    code: z
      .enum(['NO_STOCK', 'DAMAGED', 'NO_STAFF', 'CLOSED', 'OTHER'])
      .optional()
      .describe('Why, as a code'),
  })
  .strict();

/** `POST …/short-pick`: the lines the location could not find in full. */
export const shortPickAnswerSchema = z
  .object({
    lines: z
      .array(
        z
          .object({
            sku: z.string().min(1).max(64),
            quantityShort: z.number().int().min(1).max(10_000),
          })
          .strict(),
      )
      .min(1)
      .max(100),
    reason: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

/** `POST …/ship`: who carries the group, and how to follow it. */
export const shipAnswerSchema = z
  .object({
    carrier: z.string().trim().min(1).max(64),
    trackingNumber: z.string().trim().min(1).max(100),
  })
  .strict();
