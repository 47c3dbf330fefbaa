import { z } from 'zod';
import { limitQuery } from '../platform/queries';
import { REVIEW_STATUSES } from './domain/profile';

/**
 * The customers context's request schemas: request validation, API Gateway's request models and the
 * OpenAPI document all derive from them. Identifier values are normalised by the use cases (the same
 * functions the order intake's resolution uses), not here, so a lookup and an order always agree.
 */

const idSchema = (what: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, `a ${what} id: letters, digits, dash and underscore`);

/** Path ids: the ids this context issues (`cus_…`, `rev_…`, `mrg_…`), or anything of their shape. */
export const customerIdSchema = idSchema('customer');
export const reviewIdSchema = idSchema('review item');
export const mergeIdSchema = idSchema('merge');

/** `GET /customers?email=|phone=|loyaltyId=`: exactly one of them. */
export const findCustomersQuerySchema = z
  .object({
    email: z.string().trim().min(1).max(254).optional().describe('Any case, surrounding spaces ignored'),
    phone: z
      .string()
      .trim()
      .min(1)
      .max(32)
      .optional()
      .describe(
        'International format, e.g. +447911123456 (encode + as %2B; digits alone are read as international)',
      ),
    loyaltyId: z.string().trim().min(1).max(80).optional().describe('Spaces and dashes ignored'),
  })
  .refine((q) => [q.email, q.phone, q.loyaltyId].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of email, phone or loyaltyId',
  });
export type FindCustomersQuery = z.infer<typeof findCustomersQuerySchema>;

/** `GET /customer-reviews?status=&limit=`. */
export const listReviewsQuerySchema = z.object({
  status: z.enum(REVIEW_STATUSES).optional().describe('Default: open'),
  limit: limitQuery(100, 'At most this many, oldest first (default 50)'),
});

/** `POST /customers/{customerId}/verified-emails`: the account system confirmed the customer controls it. */
export const verifyEmailBodySchema = z.object({
  email: z.email().max(254),
});
export type VerifyEmailBody = z.infer<typeof verifyEmailBodySchema>;
