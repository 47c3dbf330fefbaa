import { type DomainEvent, type RecordChange, recordEventId } from '../../platform/events/envelope';
import { customerEvents } from '../events';
import { identifierTypes } from './identifiers';
import { isGuest, type MergeRecord, type Profile, type ReviewItem } from './profile';

/** The key of the customers table in the definitions. */
export const CUSTOMERS_TABLE_KEY = 'customers';

/**
 * The domain events one committed change of the customers table stands for: a new profile, a merge
 * record written or undone, a review item opened. Pure, with ids from the record key and version, so
 * a redelivered record gives the same ids. Identifier values never leave: only their types do.
 */
export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  if (!next || change.table !== CUSTOMERS_TABLE_KEY) return [];
  const id = recordEventId(change, next);
  const sk = change.keys.SK;
  if (sk === 'PROFILE' && change.eventName === 'INSERT') {
    const profile = next as unknown as Profile;
    return [
      customerEvents.event('CustomerCreated', id, profile.createdAt, {
        customerId: profile.customerId,
        channel: profile.createdFrom.channel,
        ...(profile.createdFrom.orderId ? { orderId: profile.createdFrom.orderId } : {}),
        identifierTypes: identifierTypes(profile.identifiers),
        guest: isGuest(profile),
      }),
    ];
  }
  if (sk === 'MERGE') {
    const merge = next as unknown as MergeRecord;
    if (change.eventName === 'INSERT') {
      return [
        customerEvents.event('CustomerMerged', id, merge.at, {
          mergeId: merge.mergeId,
          survivorId: merge.survivorId,
          mergedId: merge.mergedId,
          rule: merge.rule,
          by: merge.by,
          identifierTypes: identifierTypes(merge.identifiers),
          orderIds: merge.orderIds,
          orderCount: merge.orderCount,
          ...(merge.reviewId ? { reviewId: merge.reviewId } : {}),
        }),
      ];
    }
    if (change.oldImage?.status === 'applied' && merge.status === 'undone') {
      return [
        customerEvents.event('CustomerUnmerged', id, merge.undoneAt ?? merge.at, {
          mergeId: merge.mergeId,
          survivorId: merge.survivorId,
          restoredId: merge.mergedId,
          rule: merge.rule,
          identifierTypes: identifierTypes(merge.identifiers),
          orderIds: merge.orderIds,
          orderCount: merge.orderCount,
          repointedOrderIds: merge.repointedOrderIds ?? [],
        }),
      ];
    }
    return [];
  }
  if (sk === 'REVIEW' && change.eventName === 'INSERT') {
    const review = next as unknown as ReviewItem;
    return [
      customerEvents.event('CustomerReviewOpened', id, review.openedAt, {
        reviewId: review.reviewId,
        rule: review.rule,
        customerIds: review.customerIds,
        placedOn: review.placedOn,
        ...(review.evidence.orderId ? { orderId: review.evidence.orderId } : {}),
        identifierTypes: identifierTypes(review.evidence.matched),
      }),
    ];
  }
  return [];
}
