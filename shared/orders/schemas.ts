import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js';
import { z } from 'zod';
import { deliverySchema, lineItemSchema, linesOf } from '../inventory';
import { currencySchema, quoteIdSchema } from '../pricing';

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

const minorUnits = z.number().int().min(0).max(1_000_000_000_000);

/**
 * An order line, with the price the channel showed if it sends one (integer minor units of the
 * order's currency): the engine's price is the order's, and a different one is refused with 409
 * `PRICE_MISMATCH` and the current price.
 */
export const orderLineSchema = lineItemSchema.extend({
  /** One unit after the channel's rules, before promotions. */
  unitPrice: minorUnits.optional(),
  /** What the line costs after promotions. */
  lineTotal: minorUnits.optional(),
});

export const orderInputSchema = z.object({
  channelOrderId: z.string().trim().min(1).max(100).optional(),
  holdId: z.string().min(1).max(100).optional(),
  /** A quote of this channel whose prices the order takes while it holds (`POST /quotes`). */
  quoteId: quoteIdSchema.optional(),
  /** Default: the quote's, else GBP. */
  currency: currencySchema.optional(),
  customer: customerSchema,
  lines: linesOf(orderLineSchema),
  delivery: deliverySchema,
});
export type OrderInput = z.infer<typeof orderInputSchema>;

/** The detail of an inbound `MarketplaceOrderPlaced` event. */
/** A marketplace order's lines: the marketplace's prices are checked like a channel's. */
export const marketplaceOrderSchema = z.object({
  marketplaceOrderId: z.string().trim().min(1).max(100),
  /** The buyer's id at the marketplace: one of the customer's identifiers. */
  buyerId: z.string().trim().min(1).max(100).optional(),
  currency: currencySchema.optional(),
  lines: linesOf(orderLineSchema),
  customer: customerSchema,
  delivery: deliverySchema,
});
export type MarketplaceOrder = z.infer<typeof marketplaceOrderSchema>;
