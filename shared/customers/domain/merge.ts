import { identifierKey } from './identifiers';
import {
  MAX_LISTED_ORDERS,
  type MergeActor,
  type MergeEvidence,
  type MergeRecord,
  type Profile,
  type ProfileIdentifier,
} from './profile';

/**
 * Merging and unmerging as pure state changes of the profiles and the merge record; the use cases
 * turn them into one conditional transaction. A merge moves identifiers, not orders: an absorbed
 * profile keeps its order links and the survivor's history reads them through `absorbed`, so a merge
 * costs one write per identifier whatever the customer's number of orders, and an unmerge gives every
 * one of those orders back by itself.
 */

/** The rule names of merges not decided by the identity policy. */
export const MERGE_RULES = {
  /** Operations merged the profiles of a review item. */
  opsReview: 'ops-review',
  /** An email was verified on a profile: the guest profile holding it was claimed. */
  guestClaim: 'guest-claim',
} as const;

export interface MergeMeta {
  rule: string;
  by: MergeActor;
  evidence: MergeEvidence;
  at: string;
  reviewId?: string;
}

/** One profile to absorb, the id its merge gets, and the orders that come along (newest first, for the record). */
export interface Absorption {
  profile: Profile;
  mergeId: string;
  orderIds: string[];
}

export interface MergePlan {
  survivor: Profile;
  merged: Profile[];
  records: MergeRecord[];
  /** Identifiers whose claim moves to the survivor, with the profile they leave. */
  moves: { identifier: ProfileIdentifier; from: string }[];
}

/**
 * The survivor absorbs each profile: their identifiers move to it (`add` joins them; `verify` marks
 * one of them verified at `at`), each absorbed profile becomes `merged`, and each merge gets a record
 * holding the absorbed profile's identifiers as they were. Operations (`by: 'ops'`) override an
 * earlier separation of the profiles; the policy never reaches here for separated profiles.
 */
export function mergeProfiles(
  survivor: Profile,
  absorptions: Absorption[],
  meta: MergeMeta,
  options: { add?: ProfileIdentifier[]; verify?: string } = {},
): MergePlan {
  const mergedIds = absorptions.map((a) => a.profile.customerId);
  const verified = (identifier: ProfileIdentifier): ProfileIdentifier =>
    options.verify === identifierKey(identifier) && identifier.verifiedAt === undefined
      ? { ...identifier, verifiedAt: meta.at }
      : identifier;
  const next: Profile = {
    ...survivor,
    identifiers: [
      ...survivor.identifiers,
      ...absorptions.flatMap((a) => a.profile.identifiers),
      ...(options.add ?? []),
    ].map(verified),
    absorbed: [
      ...survivor.absorbed,
      ...absorptions.map((a) => ({ customerId: a.profile.customerId, mergeId: a.mergeId })),
    ],
    keepApart:
      meta.by === 'ops' ? survivor.keepApart.filter((id) => !mergedIds.includes(id)) : survivor.keepApart,
    updatedAt: meta.at,
    version: survivor.version + 1,
  };
  const merged = absorptions.map(
    ({ profile, mergeId }): Profile => ({
      ...profile,
      status: 'merged',
      mergedInto: survivor.customerId,
      mergeId,
      identifiers: [],
      keepApart:
        meta.by === 'ops' ? profile.keepApart.filter((id) => id !== survivor.customerId) : profile.keepApart,
      updatedAt: meta.at,
      version: profile.version + 1,
    }),
  );
  const records = absorptions.map(
    ({ profile, mergeId, orderIds }): MergeRecord => ({
      mergeId,
      rule: meta.rule,
      by: meta.by,
      evidence: meta.evidence,
      survivorId: survivor.customerId,
      mergedId: profile.customerId,
      identifiers: profile.identifiers,
      orderIds: orderIds.slice(0, MAX_LISTED_ORDERS),
      orderCount: orderIds.length,
      ...(meta.reviewId ? { reviewId: meta.reviewId } : {}),
      status: 'applied',
      at: meta.at,
      version: 1,
    }),
  );
  const moves = absorptions.flatMap((a) =>
    a.profile.identifiers.map((identifier) => ({ identifier, from: a.profile.customerId })),
  );
  return { survivor: next, merged, records, moves };
}

/** An order the survivor received after the merge, and the identifier keys that brought it there. */
export interface LaterOrder {
  orderId: string;
  matchedKeys: readonly string[];
  addedKeys: readonly string[];
}

export interface UnmergePlan {
  survivor: Profile;
  restored: Profile;
  record: MergeRecord;
  /** Identifiers whose claim goes back from the survivor to the restored profile. */
  moves: ProfileIdentifier[];
  /** Orders re-pointed from the survivor to the restored profile. */
  repointed: string[];
  /** Later orders that would have gone back but did not fit the transaction (they stay on the survivor). */
  leftOnSurvivor: string[];
}

/**
 * Undoes a merge. The absorbed profile gets back its identifiers as they were when merged (those the
 * survivor still holds) and, through its own order links, its orders. An order placed on the survivor
 * after the merge goes back too when every identifier that matched it is one given back (it came
 * through the absorbed profile's identifiers alone), with the identifiers it added. Both profiles
 * then keep apart: the policy will not merge them again by itself. `room` is how many identifier or
 * order moves fit the transaction beside the two profiles and the record.
 */
export function unmergeProfiles(
  merge: MergeRecord,
  survivor: Profile,
  merged: Profile,
  laterOrders: LaterOrder[],
  at: string,
  room: number,
): UnmergePlan {
  const held = new Map(survivor.identifiers.map((i) => [identifierKey(i), i]));
  const back = merge.identifiers.filter((i) => held.has(identifierKey(i)));
  const backKeys = new Set(back.map(identifierKey));
  let budget = room - back.length;
  const repointed: string[] = [];
  const leftOnSurvivor: string[] = [];
  const added: ProfileIdentifier[] = [];
  for (const order of [...laterOrders].sort((a, b) => (a.orderId < b.orderId ? -1 : 1))) {
    if (order.matchedKeys.length === 0 || !order.matchedKeys.every((k) => backKeys.has(k))) continue;
    const comes = order.addedKeys
      .filter((k) => !backKeys.has(k) && !added.some((i) => identifierKey(i) === k))
      .flatMap((k) => (held.has(k) ? [held.get(k)!] : []));
    if (1 + comes.length > budget) {
      leftOnSurvivor.push(order.orderId);
      continue;
    }
    budget -= 1 + comes.length;
    repointed.push(order.orderId);
    added.push(...comes);
  }
  const leaving = new Set([...backKeys, ...added.map(identifierKey)]);
  const { mergedInto: _into, mergeId: _mergeId, ...rest } = merged;
  return {
    survivor: {
      ...survivor,
      identifiers: survivor.identifiers.filter((i) => !leaving.has(identifierKey(i))),
      absorbed: survivor.absorbed.filter((a) => a.mergeId !== merge.mergeId),
      keepApart: [...new Set([...survivor.keepApart, merged.customerId])],
      updatedAt: at,
      version: survivor.version + 1,
    },
    restored: {
      ...rest,
      status: 'active',
      identifiers: [...back, ...added],
      keepApart: [...new Set([...merged.keepApart, survivor.customerId])],
      updatedAt: at,
      version: merged.version + 1,
    },
    record: {
      ...merge,
      status: 'undone',
      undoneAt: at,
      repointedOrderIds: repointed,
      version: merge.version + 1,
    },
    moves: [...back, ...added],
    repointed,
    leftOnSurvivor,
  };
}
