import { DomainError, notFound } from '../../platform/errors';

/**
 * The customers context's refusals. Messages name profiles, reviews and merges by id and identifiers
 * by type ("the email"), never by value: error bodies end up in logs and support tickets.
 */

export const customerNotFound = (customerId: string) =>
  notFound('Customer', customerId, 'customerId', 'no such customer');

export const reviewNotFound = (reviewId: string) =>
  notFound('Review item', reviewId, 'reviewId', 'no such review item');

export const mergeNotFound = (mergeId: string) => notFound('Merge', mergeId, 'mergeId', 'no such merge');

/** Customer profiles hold personal data: operations, stores and the call centre read them, selling channels do not. */
export const customersForbidden = () =>
  new DomainError(403, 'FORBIDDEN', 'Only operations, a store or the call centre may read customer profiles');

export const reviewNotOpen = (reviewId: string, status: string) =>
  new DomainError(409, 'REVIEW_NOT_OPEN', `Review item ${reviewId} is ${status}, not open`, [
    { path: 'reviewId', message: `already ${status}`, status },
  ]);

export const mergeNotUndoable = (mergeId: string, why: string, extra: Record<string, unknown> = {}) =>
  new DomainError(409, 'MERGE_NOT_UNDOABLE', `Merge ${mergeId} cannot be undone: ${why}`, [
    { path: 'mergeId', message: why, ...extra },
  ]);

export const mergeTooLarge = (identifiers: number, max: number) =>
  new DomainError(
    422,
    'MERGE_TOO_LARGE',
    `The merge would move ${identifiers} identifiers, more than ${max} at once`,
    [{ path: 'reviewId', message: `at most ${max} identifiers per merge`, identifiers }],
  );

export const customerMerged = (customerId: string, mergedInto: string) =>
  new DomainError(409, 'CUSTOMER_MERGED', `Customer ${customerId} was merged into ${mergedInto}`, [
    { path: 'customerId', message: 'merged into another profile', mergedInto },
  ]);

export const emailBelongsToAnotherCustomer = (path: string) =>
  new DomainError(
    409,
    'EMAIL_BELONGS_TO_ANOTHER_CUSTOMER',
    'The email belongs to another customer profile that is not a guest; a review decides',
    [{ path, message: 'held by another customer' }],
  );
