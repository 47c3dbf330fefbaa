import { z } from 'zod';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  ownTableRoutes,
  type TableDefinition,
} from '../platform/definition';
import { CUSTOMERS_TABLE_KEY } from './domain/record-events';
import { customerEventDescriptions, customerEvents } from './events';
import {
  customerIdSchema,
  findCustomersQuerySchema,
  listReviewsQuerySchema,
  mergeIdSchema,
  reviewIdSchema,
  verifyEmailBodySchema,
} from './schemas';

/** The customers context: profiles, their identifiers, order links, merge history and review items. */
export { CUSTOMERS_TABLE_KEY };

// GSI1: a profile's orders (`CUSTOMER#<id>#ORDERS`) and review items by status (`REVIEWS#<status>`).
export const customersTable: TableDefinition = contextTable(
  CUSTOMERS_TABLE_KEY,
  'Customers',
  'CUSTOMERS_TABLE',
);

const reading =
  ' Operations, a store or the call centre (other channel keys are refused with FORBIDDEN: profiles hold personal data).';

/**
 * The customers API. Resolution itself has no route: the order intake resolves in-process and
 * commits the order link in its own transaction. Reading profiles is open to `any` key at the
 * gateway and narrowed to operations, stores and the call centre by the use case.
 */
export const customerRoutes = {
  getCustomer: defineRoute({
    method: 'GET',
    path: '/customers/{customerId}',
    access: 'any',
    summary: `A customer: identifiers and order history from every channel (a merged profile answers with the one it lives on).${reading}`,
    params: z.object({ customerId: customerIdSchema }),
  }),
  findCustomers: defineRoute({
    method: 'GET',
    path: '/customers',
    access: 'any',
    summary: `The customer an email, phone or loyalty id belongs to (exactly one of them), normalised like orders.${reading}`,
    query: findCustomersQuerySchema,
  }),
  listReviews: defineRoute({
    method: 'GET',
    path: '/customer-reviews',
    access: 'ops',
    summary: 'Possible matches the identity policy would not merge by itself, oldest first',
    query: listReviewsQuerySchema,
  }),
  mergeReview: defineRoute({
    method: 'POST',
    path: '/customer-reviews/{reviewId}/merge',
    access: 'ops',
    summary: "Merge a review item's profiles into the oldest (undoable); merging twice answers again",
    params: z.object({ reviewId: reviewIdSchema }),
  }),
  dismissReview: defineRoute({
    method: 'POST',
    path: '/customer-reviews/{reviewId}/dismiss',
    access: 'ops',
    summary: "A review item's profiles are different customers",
    params: z.object({ reviewId: reviewIdSchema }),
  }),
  unmerge: defineRoute({
    method: 'POST',
    path: '/customer-merges/{mergeId}/undo',
    access: 'ops',
    summary:
      'Undo a merge: both profiles back with their identifiers and orders; they are not merged automatically again',
    params: z.object({ mergeId: mergeIdSchema }),
  }),
  verifyEmail: defineRoute({
    method: 'POST',
    path: '/customers/{customerId}/verified-emails',
    access: 'any',
    summary:
      "The customer's account confirmed an email: it becomes verified on the profile, and a guest profile holding it is claimed with its orders",
    params: z.object({ customerId: customerIdSchema }),
    body: verifyEmailBodySchema,
    responses: {
      200: { description: 'Verified; `claimed` names the guest profile and the merge, if one was claimed' },
    },
  }),
} as const;

const api = ownTableRoutes('customers', CUSTOMERS_TABLE_KEY);

export const customers: ContextDefinition = {
  name: 'customers',
  tables: [customersTable],
  functions: [
    api('GetCustomer', 'get-customer', customerRoutes.getCustomer, ['BatchGetItem', 'GetItem', 'Query:GSI1']),
    api('FindCustomers', 'find-customers', customerRoutes.findCustomers, [
      'BatchGetItem',
      'GetItem',
      'Query:GSI1',
    ]),
    api('ListCustomerReviews', 'list-customer-reviews', customerRoutes.listReviews, ['Query:GSI1']),
    api('MergeCustomers', 'merge-customers', customerRoutes.mergeReview, [
      'BatchGetItem',
      'GetItem',
      'PutItem',
      'Query:GSI1',
      'UpdateItem',
    ]),
    // Read from the code (not reached by the suites): reads the review, saves it dismissed.
    api('DismissCustomerReview', 'dismiss-customer-review', customerRoutes.dismissReview, [
      'GetItem',
      'PutItem',
    ]),
    api('UnmergeCustomers', 'unmerge-customers', customerRoutes.unmerge, [
      'BatchGetItem',
      'GetItem',
      'PutItem',
      'Query:GSI1',
      'UpdateItem',
    ]),
    // UpdateItem read from the code: adding the verified address to the profile, and moving a
    // claimed guest's identifiers, are updates (the suites verify an unclaimed address only).
    api('VerifyCustomerEmail', 'verify-customer-email', customerRoutes.verifyEmail, [
      'BatchGetItem',
      'GetItem',
      'PutItem',
      'UpdateItem',
    ]),
  ],
  busRules: [],
  events: { ...customerEvents, descriptions: customerEventDescriptions },
  eventSource: {
    table: CUSTOMERS_TABLE_KEY,
    reads: [],
    writes: [],
    load: async () => (await import('./adapters/event-source')).customersStream,
  },
};
