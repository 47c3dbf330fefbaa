import type { Channel } from '../../platform/principals';
import { type Identifier, type IdentifierType, identifierKey, isStrong, type Strength } from './identifiers';

/**
 * The records of the customers context. A profile lists its identifiers (the one list a merge or an
 * unmerge reads and writes under the profile's version); each identifier is also claimed under its
 * own key, so that it belongs to at most one profile.
 */

/** An identifier as a profile holds it: when and from which order it came, and whether it is verified. */
export interface ProfileIdentifier extends Identifier {
  addedAt: string;
  /** The order that brought it, if an order did. */
  orderId?: string;
  /** Set when the customer proved control of it (an email confirmed through the web or app account). */
  verifiedAt?: string;
}

/** A profile this one absorbed, and the merge that did it (undoable by its id). */
export interface Absorbed {
  customerId: string;
  mergeId: string;
}

/** `active`: holds identifiers and takes orders; `merged`: lives on in the profile that absorbed it. */
export type ProfileStatus = 'active' | 'merged';

export interface Profile {
  customerId: string;
  /** `merged`: absorbed into `mergedInto` by `mergeId`; it holds no identifiers until an unmerge. */
  status: ProfileStatus;
  /** The order (and its channel) that created the profile. */
  createdFrom: { channel: Channel; orderId?: string };
  identifiers: ProfileIdentifier[];
  /** Profiles merged into this one: their order links count as this profile's history. */
  absorbed: Absorbed[];
  /**
   * Profiles operations separated from this one (an unmerge): the policy never merges the two
   * automatically again; an order linking them becomes a review item.
   */
  keepApart: string[];
  mergedInto?: string;
  mergeId?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** Channels where a buyer may order without an account: an order there with only an email is a guest's. */
export const GUEST_CHANNELS: readonly Channel[] = ['web', 'app'];

/**
 * A guest profile: created from a web or app order (those channels let a buyer check out without an
 * account, and orders carry no account id), whose only strong identifier is one unverified email,
 * and which has absorbed no other profile. Weak identifiers (the delivery address) do not count.
 * When that email is verified on another profile, the guest's orders are claimed by it (a merge with
 * rule `guest-claim`, undoable like any merge).
 */
export function isGuest(
  profile: Pick<Profile, 'createdFrom' | 'identifiers' | 'absorbed' | 'status'>,
): boolean {
  const strong = profile.identifiers.filter(isStrong);
  return (
    profile.status === 'active' &&
    GUEST_CHANNELS.includes(profile.createdFrom.channel) &&
    profile.absorbed.length === 0 &&
    strong.length === 1 &&
    strong[0]?.type === 'email' &&
    strong[0].verifiedAt === undefined
  );
}

/**
 * At most this many order ids are listed in a merge record (and its events): records and events stay
 * far below DynamoDB's and EventBridge's item and entry sizes whatever a customer's number of orders.
 */
export const MAX_LISTED_ORDERS = 500;

/** Who decided a merge: the identity policy at order intake, operations from a review, or an email verification. */
export type MergeActor = 'policy' | 'ops' | 'verification';

/**
 * One profile absorbed into another, with what is needed to undo it: the identifiers moved (as they
 * were on the absorbed profile), the orders that came along, the rule and its evidence.
 */
export interface MergeRecord {
  mergeId: string;
  rule: string;
  by: MergeActor;
  /** Why, in words, with the data behind it. Identifier values stay in this table. */
  evidence: MergeEvidence;
  survivorId: string;
  mergedId: string;
  /** The absorbed profile's identifiers as they were, restored as they were by an unmerge. */
  identifiers: ProfileIdentifier[];
  /**
   * The absorbed profile's orders (and its own absorbed profiles') at the time of the merge, newest
   * first, at most {@link MAX_LISTED_ORDERS}; `orderCount` counts them all.
   */
  orderIds: string[];
  orderCount: number;
  reviewId?: string;
  status: 'applied' | 'undone';
  at: string;
  undoneAt?: string;
  /** Orders placed on the survivor after the merge through the absorbed profile's identifiers, given back. */
  repointedOrderIds?: string[];
  version: number;
}

/** Why profiles were (or may be) one customer: the words, and the identifiers behind them. */
export interface MergeEvidence {
  summary: string;
  /** The order whose identifiers linked the profiles, when an order did. */
  orderId?: string;
  /** Identifiers of the order (or the verified email) and the profile each pointed to. */
  matched: { type: Identifier['type']; value: string; customerId: string }[];
}

/** Where a review item stands: waiting, merged by operations, or dismissed as different customers. */
export const REVIEW_STATUSES = ['open', 'merged', 'dismissed'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** A possible match the policy would not merge by itself: operations merge or dismiss it. */
export interface ReviewItem {
  reviewId: string;
  rule: string;
  reason: string;
  /** The profiles the order linked (and the new profile it created, if it did). */
  customerIds: string[];
  /** The profile the order was placed on. */
  placedOn: string;
  evidence: MergeEvidence;
  status: ReviewStatus;
  openedAt: string;
  resolvedAt?: string;
  mergeIds?: string[];
  version: number;
}

/** An order of a customer: written in the order's own transaction, so it exists exactly when the order does. */
export interface OrderLink {
  orderId: string;
  customerId: string;
  channel: Channel;
  at: string;
}

/**
 * How an order's customer was decided, in words and data a caller may log: identifier types and
 * profile ids, never identifier values.
 */
export interface CustomerDecision {
  outcome: 'created' | 'attached' | 'merged' | 'review';
  /** The identity policy's rule (see `decideIdentity`). */
  rule: string;
  summary: string;
  /** The order's identifiers that pointed to a profile, by type. */
  matched: { type: IdentifierType; strength: Strength; customerId: string }[];
  /** The types of the identifiers the order added to its profile. */
  added: IdentifierType[];
  /** Free identifiers of the order not recorded: the profile holds as many as it may. */
  notRecorded?: IdentifierType[];
  /** A merge: the profiles absorbed and the merges (undoable by id). */
  mergedIds?: string[];
  mergeIds?: string[];
  /** A review: the item operations decide on. */
  reviewId?: string;
}

/**
 * How an order's customer was decided, kept by order id: a retried intake gets the same answer, and
 * an unmerge knows which identifiers brought which later order.
 */
export interface ResolutionRecord {
  orderId: string;
  channel: Channel;
  customerId: string;
  decision: CustomerDecision;
  /** Identifier keys of the order that pointed to the chosen profile (or profiles) when it was decided. */
  matchedKeys: string[];
  /** Identifier keys the order added to the chosen profile. */
  addedKeys: string[];
  at: string;
}

/** The identifier keys a profile holds. */
export const keysOf = (identifiers: readonly Identifier[]): Set<string> =>
  new Set(identifiers.map(identifierKey));

/** Profiles oldest first (then by id): the survivor of a merge is the first. */
export const byAge = (
  a: Pick<Profile, 'createdAt' | 'customerId'>,
  b: Pick<Profile, 'createdAt' | 'customerId'>,
) =>
  a.createdAt < b.createdAt
    ? -1
    : a.createdAt > b.createdAt
      ? 1
      : a.customerId < b.customerId
        ? -1
        : a.customerId > b.customerId
          ? 1
          : 0;
