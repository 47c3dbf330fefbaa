import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';
import { CHANNELS } from '../platform/principals';
import { PRODUCT_STATUSES } from './domain/product';

const measuredSchema = z.object({
  length: z.number(),
  width: z.number(),
  height: z.number(),
  unit: z.literal('mm'),
});

/** A product as the catalog stores it (normalised units). */
export const productSchema = z.object({
  sku: z.string(),
  title: z.string(),
  brand: z.string(),
  gtin: z.string().optional(),
  category: z.string(),
  attributes: z.record(z.string(), z.string()),
  dimensions: measuredSchema.optional(),
  weight: z.object({ value: z.number(), unit: z.literal('g') }).optional(),
  status: z.enum(PRODUCT_STATUSES),
  finalSale: z.boolean(),
  channels: z.array(z.enum(CHANNELS)),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** What the catalog context publishes, under `commerce.catalog`. */
export const catalogEvents = defineEvents('commerce.catalog', {
  ProductChanged: z.object({
    product: productSchema,
    /** The content fields this version changed (every field for a new product). */
    changed: z.array(z.string()),
    /** Channels that may no longer sell it (unpublished, or all of them when discontinued). */
    withdrawnFrom: z.array(z.enum(CHANNELS)),
  }),
});

export const catalogEventDescriptions = {
  ProductChanged:
    'A product was created or its content changed (a write that changes nothing emits nothing); `withdrawnFrom` names the channels that must stop selling it',
} satisfies Record<keyof typeof catalogEvents.events, string>;
