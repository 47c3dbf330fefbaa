import { z } from 'zod';

/**
 * A SKU as every context spells it: the catalog names products by it, the inventory pool counts it,
 * the price book prices it, orders carry it. Defined once here so no context imports another's
 * schemas to name one.
 */
export const skuSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dot, dash and underscore only');
