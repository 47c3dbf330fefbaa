import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';
import { CHANNELS } from '../platform/principals';
import { IDENTIFIER_TYPES } from './domain/identifiers';

/**
 * What the customers context publishes, under `commerce.customers`. Events carry customer ids,
 * order ids, rule names and identifier TYPES, never identifier values or names: a subscriber that
 * needs personal data asks `GET /customers/{customerId}` with its own rights.
 */

const identifierTypesSchema = z
  .array(z.enum(IDENTIFIER_TYPES))
  .describe('The types of the identifiers concerned (never their values)');

export const customerEvents = defineEvents('commerce.customers', {
  CustomerCreated: z.object({
    customerId: z.string(),
    /** The channel of the order that created the profile. */
    channel: z.enum(CHANNELS),
    orderId: z.string().optional(),
    identifierTypes: identifierTypesSchema,
    guest: z.boolean().describe('A web or app guest: one unverified email and nothing else strong'),
  }),
  CustomerMerged: z.object({
    mergeId: z.string(),
    /** The profile that remains; the merged one's orders and identifiers are now its. */
    survivorId: z.string(),
    mergedId: z.string(),
    rule: z.string(),
    by: z.enum(['policy', 'ops', 'verification']),
    identifierTypes: identifierTypesSchema,
    orderIds: z
      .array(z.string())
      .describe('The orders that came along with the merged profile, newest first (at most 500)'),
    orderCount: z.number().int().describe('How many orders came along'),
    reviewId: z.string().optional(),
  }),
  CustomerUnmerged: z.object({
    mergeId: z.string(),
    survivorId: z.string(),
    /** The profile restored, with its identifiers and orders. */
    restoredId: z.string(),
    rule: z.string().describe('The rule of the merge undone'),
    identifierTypes: identifierTypesSchema,
    orderIds: z
      .array(z.string())
      .describe("The restored profile's orders, its own again, newest first (at most 500)"),
    orderCount: z.number().int(),
    repointedOrderIds: z
      .array(z.string())
      .describe('Orders placed on the survivor after the merge through the restored identifiers, re-pointed'),
  }),
  CustomerReviewOpened: z.object({
    reviewId: z.string(),
    rule: z.string(),
    customerIds: z.array(z.string()),
    placedOn: z.string(),
    orderId: z.string().optional(),
    identifierTypes: identifierTypesSchema,
  }),
});

/** When each event is emitted, for the event catalogue (`docs/events.md`). */
export const customerEventDescriptions = {
  CustomerCreated:
    'An order brought identifiers nobody held, or needed a profile of its own: a new customer profile',
  CustomerMerged:
    'Two profiles became one (the identity policy, operations from a review item, or a guest claimed on email verification)',
  CustomerUnmerged: 'Operations undid a merge: both profiles are back with their identifiers and orders',
  CustomerReviewOpened:
    'An order linked profiles the policy would not merge by itself: a possible match waits for operations',
} satisfies Record<keyof typeof customerEvents.events, string>;
