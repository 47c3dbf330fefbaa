import {
  contentionBackoff,
  MAX_CONTENTION_ATTEMPTS,
  MAX_TRANSACTION_ITEMS,
  type TransactItem,
} from '../../platform/dynamodb';
import { concurrentUpdate } from '../../platform/errors';
import { logger } from '../../platform/logger';
import {
  mergeNotFound,
  mergeNotUndoable,
  mergeTooLarge,
  reviewNotFound,
  reviewNotOpen,
} from '../domain/errors';
import { identifierTypes } from '../domain/identifiers';
import { type LaterOrder, MERGE_RULES, mergeProfiles, unmergeProfiles } from '../domain/merge';
import { MAX_MERGE_IDENTIFIERS } from '../domain/policy';
import { byAge, type MergeRecord, type Profile, type ReviewItem } from '../domain/profile';
import { activeProfile, orderHistory } from './history';
import type { CustomerPorts } from './ports';

/**
 * Operations' side of identity: merging the profiles of a review item, dismissing one, and undoing a
 * merge. Each reads, decides, and writes one transaction conditional on the versions it read; a lost
 * race reads again.
 */

/** Runs `attempt` until its transaction commits (or it answers without one), backing off on contention. */
async function withRetries<T>(
  ports: CustomerPorts,
  what: string,
  path: string,
  attempt: () => Promise<{ items: TransactItem[]; done: () => T } | { answer: T }>,
): Promise<T> {
  for (let n = 1; ; n++) {
    const step = await attempt();
    if ('answer' in step) return step.answer;
    const result = await ports.transact(step.items);
    if (result.kind === 'committed') return step.done();
    if (n >= MAX_CONTENTION_ATTEMPTS)
      throw concurrentUpdate(`The profiles changed too often ${what}; retry`, path, 'contention');
    await contentionBackoff(n);
  }
}

/** A merge as operations see it: who absorbed whom, by which rule, and whether it was undone. */
export function mergeView(record: MergeRecord, extra: { leftOnSurvivor?: string[] } = {}) {
  return {
    mergeId: record.mergeId,
    status: record.status,
    rule: record.rule,
    by: record.by,
    survivorId: record.survivorId,
    mergedId: record.mergedId,
    identifierTypes: identifierTypes(record.identifiers),
    orderIds: record.orderIds,
    orderCount: record.orderCount,
    evidence: record.evidence,
    ...(record.reviewId ? { reviewId: record.reviewId } : {}),
    at: record.at,
    ...(record.undoneAt ? { undoneAt: record.undoneAt } : {}),
    ...(record.repointedOrderIds ? { repointedOrderIds: record.repointedOrderIds } : {}),
    ...(extra.leftOnSurvivor && extra.leftOnSurvivor.length > 0
      ? { leftOnSurvivor: extra.leftOnSurvivor }
      : {}),
  };
}

/** What `mergeView` gives. */
export type MergeView = ReturnType<typeof mergeView>;

/** A review item after operations merged it, and the merges that did it (none when already one profile). */
export interface ReviewMerged {
  review: ReviewItem;
  merges: MergeView[];
}

async function readReview(ports: CustomerPorts, reviewId: string): Promise<ReviewItem> {
  const review = await ports.customers.getReview(reviewId);
  if (!review) throw reviewNotFound(reviewId);
  return review;
}

/**
 * Operations merge the profiles of an open review item into the oldest of them (rule `ops-review`):
 * an operator's decision overrides what kept the policy from merging (a disagreeing loyalty id, an
 * earlier separation). Profiles already merged meanwhile are followed to where they live now. Merging
 * a review that is already merged answers it again.
 */
export async function mergeCustomers(ports: CustomerPorts, reviewId: string): Promise<ReviewMerged> {
  return withRetries<ReviewMerged>(ports, 'while merging', 'reviewId', async () => {
    const review = await readReview(ports, reviewId);
    if (review.status === 'merged') return { answer: { review, merges: [] } };
    if (review.status !== 'open') throw reviewNotOpen(reviewId, review.status);
    const now = ports.now();
    const stored = await ports.customers.getProfiles(review.customerIds);
    const active = new Map<string, Profile>();
    for (const profile of stored.values()) {
      const current = await activeProfile(ports, profile);
      active.set(current.customerId, current);
    }
    const [survivor, ...others] = [...active.values()].sort(byAge);
    const resolved = (mergeIds: string[]): ReviewItem => ({
      ...review,
      status: 'merged',
      resolvedAt: now,
      mergeIds,
      version: review.version + 1,
    });
    if (!survivor || others.length === 0) {
      // Already one profile (merged by an order since): the review is settled without a merge.
      const next = resolved([]);
      return {
        items: [ports.customers.saveReviewOp(next, review.version)],
        done: () => ({ review: next, merges: [] }),
      };
    }
    const moving = others.reduce((n, p) => n + p.identifiers.length, 0);
    if (moving > MAX_MERGE_IDENTIFIERS) throw mergeTooLarge(moving, MAX_MERGE_IDENTIFIERS);
    const absorptions = await Promise.all(
      others.map(async (profile) => ({
        profile,
        mergeId: ports.newId('mrg'),
        orderIds: (await orderHistory(ports, profile)).map((o) => o.orderId),
      })),
    );
    const plan = mergeProfiles(survivor, absorptions, {
      rule: MERGE_RULES.opsReview,
      by: 'ops',
      evidence: {
        ...review.evidence,
        summary: `Operations merged review item ${reviewId} (${review.rule}): ${review.reason}`,
      },
      at: now,
      reviewId,
    });
    const next = resolved(plan.records.map((r) => r.mergeId));
    return {
      items: [
        ports.customers.saveProfileOp(plan.survivor, survivor.version),
        ...plan.merged.map((p, i) => ports.customers.saveProfileOp(p, absorptions[i]!.profile.version)),
        ...plan.records.map((r) => ports.customers.mergeRecordOp(r)),
        ...plan.moves.map((m) =>
          ports.customers.moveIdentifierOp(m.identifier, m.from, survivor.customerId, now),
        ),
        ports.customers.saveReviewOp(next, review.version),
      ],
      done: () => {
        logger.info('Customers merged from review', {
          reviewId,
          survivorId: survivor.customerId,
          merges: next.mergeIds,
        });
        return { review: next, merges: plan.records.map((r) => mergeView(r)) };
      },
    };
  });
}

/** Operations decide the profiles of a review item are different customers. Dismissing twice is a no-op. */
export async function dismissReview(ports: CustomerPorts, reviewId: string): Promise<{ review: ReviewItem }> {
  return withRetries<{ review: ReviewItem }>(ports, 'while dismissing', 'reviewId', async () => {
    const review = await readReview(ports, reviewId);
    if (review.status === 'dismissed') return { answer: { review } };
    if (review.status !== 'open') throw reviewNotOpen(reviewId, review.status);
    const next: ReviewItem = {
      ...review,
      status: 'dismissed',
      resolvedAt: ports.now(),
      version: review.version + 1,
    };
    return { items: [ports.customers.saveReviewOp(next, review.version)], done: () => ({ review: next }) };
  });
}

/**
 * Undoes a merge (by its id): the absorbed profile is active again with the identifiers it had and
 * its orders; orders the survivor received after the merge through those identifiers alone are
 * re-pointed to it (see `unmergeProfiles`). The two profiles then keep apart: a later order linking
 * them becomes a review item, not an automatic merge. A merge whose survivor was itself merged since
 * is undone after that later merge. Undoing twice answers the first undo again.
 */
export async function unmergeCustomers(ports: CustomerPorts, mergeId: string): Promise<MergeView> {
  return withRetries<MergeView>(ports, 'while undoing the merge', 'mergeId', async () => {
    const merge = await ports.customers.getMerge(mergeId);
    if (!merge) throw mergeNotFound(mergeId);
    if (merge.status === 'undone') return { answer: mergeView(merge) };
    const profiles = await ports.customers.getProfiles([merge.survivorId, merge.mergedId]);
    const survivor = profiles.get(merge.survivorId);
    const merged = profiles.get(merge.mergedId);
    if (!survivor || !merged) throw new Error(`Merge ${mergeId} names a profile that does not exist`);
    if (survivor.status !== 'active') {
      throw mergeNotUndoable(
        mergeId,
        `its survivor ${survivor.customerId} was merged since; undo merge ${survivor.mergeId} first`,
        {
          mergedInto: survivor.mergedInto,
          laterMergeId: survivor.mergeId,
        },
      );
    }
    if (merged.status !== 'merged' || merged.mergeId !== mergeId) {
      throw new Error(`Profile ${merged.customerId} is not held by merge ${mergeId}`);
    }
    const later = await ports.customers.orderLinks(survivor.customerId, merge.at);
    const resolutions = await ports.customers.getResolutions(later.map((l) => l.orderId));
    const laterOrders: LaterOrder[] = later.map((link) => {
      const resolution = resolutions.get(link.orderId);
      return {
        orderId: link.orderId,
        matchedKeys: resolution?.customerId === survivor.customerId ? resolution.matchedKeys : [],
        addedKeys: resolution?.customerId === survivor.customerId ? resolution.addedKeys : [],
      };
    });
    const now = ports.now();
    const plan = unmergeProfiles(merge, survivor, merged, laterOrders, now, MAX_TRANSACTION_ITEMS - 3);
    return {
      items: [
        ports.customers.saveProfileOp(plan.survivor, survivor.version),
        ports.customers.saveProfileOp(plan.restored, merged.version),
        ports.customers.saveMergeOp(plan.record, merge.version),
        ...plan.moves.map((i) =>
          ports.customers.moveIdentifierOp(i, survivor.customerId, merged.customerId, now),
        ),
        ...plan.repointed.map((orderId) =>
          ports.customers.repointLinkOp(orderId, survivor.customerId, merged.customerId),
        ),
      ],
      done: () => {
        logger.info('Merge undone', {
          mergeId,
          survivorId: survivor.customerId,
          restoredId: merged.customerId,
          repointed: plan.repointed.length,
        });
        return mergeView(plan.record, { leftOnSurvivor: plan.leftOnSurvivor });
      },
    };
  });
}
