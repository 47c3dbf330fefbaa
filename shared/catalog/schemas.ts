import { z } from 'zod';
import { skuSchema } from '../platform/identifiers';
import { CHANNELS, channelSchema } from '../platform/principals';
import { limitQuery, nearQuery, skuListQuery } from '../platform/queries';
import { PRODUCT_STATUSES } from './domain/product';

/**
 * The catalog context's request schemas. Shape and range are checked here (400 VALIDATION_FAILED);
 * what only the catalog can judge — units, the category's required attributes, a GTIN another SKU
 * uses — is the data-quality gate's (422 DATA_QUALITY, with the rule and the field).
 */

export { skuSchema };

export const LIMITS = {
  maxAttributes: 30,
  maxImportRows: 500,
  maxPageSize: 100,
  defaultPageSize: 25,
  maxOfferSkus: 100,
} as const;

/** A category id: lower-case words, a dot between levels (`apparel.tees`; a path segment as it is). */
export const categoryIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(
    /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/,
    'lower-case words, levels separated by a dot, e.g. apparel.tees',
  );

const attributeNameSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z][a-zA-Z0-9]*$/, 'camelCase, starting with a letter');

/** A quantity with its unit as sent (`{ value: 30, unit: "cm" }`); the gate knows which units exist. */
const measureSchema = z.object({
  value: z.number().positive().max(1_000_000),
  unit: z.string().trim().min(1).max(16),
});

/** A GTIN-8, -12, -13 or -14, its check digit verified (the uniqueness rule is the gate's). */
export const gtinSchema = z
  .string()
  .trim()
  .regex(/^(\d{8}|\d{12,14})$/, '8, 12, 13 or 14 digits (GTIN-8, UPC-A, EAN-13, GTIN-14)');

export const productInputSchema = z.object({
  title: z.string().trim().min(1).max(200),
  brand: z.string().trim().min(1).max(100),
  gtin: gtinSchema.optional(),
  category: categoryIdSchema,
  /** Variant attributes (size, colour…): the category says which are required. */
  attributes: z
    .record(attributeNameSchema, z.string().trim().min(1).max(100))
    .refine(
      (a) => Object.keys(a).length <= LIMITS.maxAttributes,
      `at most ${LIMITS.maxAttributes} attributes`,
    )
    .default({}),
  dimensions: z.object({ length: measureSchema, width: measureSchema, height: measureSchema }).optional(),
  weight: measureSchema.optional(),
  status: z.enum(PRODUCT_STATUSES).default('active'),
  /** A final-sale product cannot be returned. */
  finalSale: z.boolean().default(false),
  /** The channels that may show and sell it; none means published nowhere. */
  channels: z
    .array(channelSchema)
    .max(CHANNELS.length)
    .refine((c) => new Set(c).size === c.length, 'each channel once'),
});
export type ProductInput = z.infer<typeof productInputSchema>;

export const categoryInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  /** Attributes every product of the category must have. */
  requiredAttributes: z
    .array(attributeNameSchema)
    .max(LIMITS.maxAttributes)
    .refine((a) => new Set(a).size === a.length, 'each attribute once')
    .default([]),
});
export type CategoryInput = z.infer<typeof categoryInputSchema>;

/** One row of a bulk import: a product and its SKU. */
export const importRowSchema = productInputSchema.extend({ sku: skuSchema });

/**
 * A bulk import: rows are validated one by one (a bad row is reported, not the whole request), so the
 * body only has to be an array of objects.
 */
export const importRequestSchema = z.object({
  products: z.array(z.record(z.string(), z.unknown())).min(1).max(LIMITS.maxImportRows),
});

export const productListQuerySchema = z.object({
  category: categoryIdSchema.optional(),
  status: z.enum(PRODUCT_STATUSES).optional(),
  channel: channelSchema.optional(),
  limit: z.coerce.number().int().min(1).max(LIMITS.maxPageSize).default(LIMITS.defaultPageSize),
  /** The `next` of the previous page. */
  cursor: z.string().min(1).max(1000).optional(),
});
export type ProductListQuery = z.infer<typeof productListQuerySchema>;

/** `GET /offers`: up to 100 SKUs, the currency of the prices, and where pickup stores are sorted from. */
export const offersQuerySchema = z.object({
  skus: skuListQuery(LIMITS.maxOfferSkus),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code, e.g. GBP')
    .default('GBP'),
  channel: channelSchema.optional().describe('Operations only: whose offers'),
  near: nearQuery,
  limit: limitQuery(100, 'At most this many pickup stores per SKU'),
});
