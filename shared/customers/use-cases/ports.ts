import type { CancelledTransaction, TransactItem } from '../../platform/dynamodb';
import type { Identifier } from '../domain/identifiers';
import type {
  MergeRecord,
  OrderLink,
  Profile,
  ProfileIdentifier,
  ResolutionRecord,
  ReviewItem,
  ReviewStatus,
} from '../domain/profile';

/**
 * What the customer use cases need from storage; the DynamoDB adapter implements it. Reads that a
 * decision rests on are strongly consistent; every write is a transaction item whose condition
 * states what the decision assumed, so a lost race cancels the transaction instead of corrupting
 * a profile.
 */
export interface CustomerRepository {
  getProfile(customerId: string): Promise<Profile | undefined>;
  getProfiles(customerIds: string[]): Promise<Map<string, Profile>>;
  /** Identifier key → the profile holding it, for those held. */
  owners(identifierKeys: string[]): Promise<Map<string, string>>;
  getResolution(orderId: string): Promise<ResolutionRecord | undefined>;
  getResolutions(orderIds: string[]): Promise<Map<string, ResolutionRecord>>;
  getMerge(mergeId: string): Promise<MergeRecord | undefined>;
  getReview(reviewId: string): Promise<ReviewItem | undefined>;
  /** Review items in a status, oldest first (a work queue). */
  listReviews(status: ReviewStatus, limit: number): Promise<ReviewItem[]>;
  /** The orders linked to one profile (not those of profiles it absorbed), from `since` on if given. */
  orderLinks(customerId: string, since?: string): Promise<OrderLink[]>;

  /** A new profile; fails if the id exists. */
  createProfileOp(profile: Profile): TransactItem;
  /** Replaces a profile; fails unless it is still at `expectedVersion`. */
  saveProfileOp(profile: Profile, expectedVersion: number): TransactItem;
  /** Appends identifiers to a profile; fails unless it is active (a merge did not absorb it meanwhile). */
  addIdentifiersOp(customerId: string, identifiers: ProfileIdentifier[], at: string): TransactItem;
  /** Fails unless the profile is active. */
  activeCheckOp(customerId: string): TransactItem;
  /** Claims an identifier for a profile; fails if anyone holds it: each identifier has one owner. */
  claimIdentifierOp(identifier: Identifier, customerId: string, at: string, orderId?: string): TransactItem;
  /** Moves an identifier's claim; fails unless `from` holds it. */
  moveIdentifierOp(identifier: Identifier, from: string, to: string, at: string): TransactItem;
  /** Remembers how an order's customer was decided; fails if the order already has an answer. */
  resolutionOp(record: ResolutionRecord): TransactItem;
  /** A new merge record; fails if the id exists. */
  mergeRecordOp(record: MergeRecord): TransactItem;
  saveMergeOp(record: MergeRecord, expectedVersion: number): TransactItem;
  /** A new review item; fails if one exists for the same profiles. */
  reviewOp(review: ReviewItem): TransactItem;
  saveReviewOp(review: ReviewItem, expectedVersion: number): TransactItem;
  /** Links an order to a profile; fails if the order is linked already. */
  linkOrderOp(link: OrderLink): TransactItem;
  /** Re-points an order's link; fails unless it points to `from`. */
  repointLinkOp(orderId: string, from: string, to: string): TransactItem;
}

/** Reading profiles needs only the customers table. */
export interface CustomerQueryPorts {
  customers: CustomerRepository;
}

/** Resolving, merging and unmerging: the table, one transaction, a clock and ids. */
export interface CustomerPorts extends CustomerQueryPorts {
  transact(items: TransactItem[]): Promise<{ kind: 'committed' } | CancelledTransaction>;
  now(): string;
  newId(prefix: string): string;
}
