import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js';
import { z } from 'zod';
import { deliverySchema, linesSchema } from '../inventory';

/** The orders context's request schemas (see the inventory context's for lines and delivery). */

const phoneSchema = z
  .string()
  .max(32)
  .refine(
    (value) => isValidPhoneNumber(value),
    'a valid phone number in international format, e.g. +447911123456',
  )
  .transform((value) => parsePhoneNumberWithError(value).number);

export const customerSchema = z
  .object({
    email: z.email().max(254).optional(),
    phone: phoneSchema.optional(),
    loyaltyId: z.string().trim().min(1).max(64).optional(),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .refine((c) => c.email !== undefined || c.phone !== undefined || c.loyaltyId !== undefined, {
    message: 'at least one of email, phone or loyaltyId identifies the customer',
  });
export type Customer = z.infer<typeof customerSchema>;

export const orderInputSchema = z.object({
  channelOrderId: z.string().trim().min(1).max(100).optional(),
  holdId: z.string().min(1).max(100).optional(),
  customer: customerSchema,
  lines: linesSchema,
  delivery: deliverySchema,
});
export type OrderInput = z.infer<typeof orderInputSchema>;

/** The detail of an inbound `MarketplaceOrderPlaced` event. */
export const marketplaceOrderSchema = z.object({
  marketplaceOrderId: z.string().trim().min(1).max(100),
  /** The buyer's id at the marketplace: one of the customer's identifiers. */
  buyerId: z.string().trim().min(1).max(100).optional(),
  lines: linesSchema,
  customer: customerSchema,
  delivery: deliverySchema,
});
export type MarketplaceOrder = z.infer<typeof marketplaceOrderSchema>;
