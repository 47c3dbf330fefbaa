import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { queryAll, type TransactItem } from '../../platform/dynamodb';
import { type Identifier, identifierKey } from '../domain/identifiers';
import type {
  MergeRecord,
  OrderLink,
  Profile,
  ProfileIdentifier,
  ResolutionRecord,
  ReviewItem,
  ReviewStatus,
} from '../domain/profile';
import type { CustomerRepository } from '../use-cases/ports';

/**
 * Key layout of the customers table:
 * - `CUSTOMER#<customerId>` / `PROFILE`: a profile with its identifier list;
 * - `IDENT#<type>#<value>` / `IDENT`: the claim of one identifier by one profile (conditional puts);
 * - `ORDER#<orderId>` / `CUSTOMER`: the order's link to its profile, written in the order's own
 *   transaction; GSI1 `CUSTOMER#<customerId>#ORDERS` / `<at>#<orderId>` lists a profile's orders;
 * - `ORDER#<orderId>` / `RESOLUTION`: how the order's customer was decided (its idempotent answer);
 * - `MERGE#<mergeId>` / `MERGE`: a merge and what undoes it;
 * - `REVIEW#<reviewId>` / `REVIEW`: a possible match; GSI1 `REVIEWS#<status>` / `<openedAt>#<reviewId>`.
 */
export const customerKeys = {
  profile: (customerId: string) => ({ PK: `CUSTOMER#${customerId}`, SK: 'PROFILE' }),
  identifier: (key: string) => ({ PK: `IDENT#${key}`, SK: 'IDENT' }),
  link: (orderId: string) => ({ PK: `ORDER#${orderId}`, SK: 'CUSTOMER' }),
  resolution: (orderId: string) => ({ PK: `ORDER#${orderId}`, SK: 'RESOLUTION' }),
  merge: (mergeId: string) => ({ PK: `MERGE#${mergeId}`, SK: 'MERGE' }),
  review: (reviewId: string) => ({ PK: `REVIEW#${reviewId}`, SK: 'REVIEW' }),
  ordersOf: (customerId: string) => `CUSTOMER#${customerId}#ORDERS`,
  reviewsIn: (status: ReviewStatus) => `REVIEWS#${status}`,
};

type Item = Record<string, unknown>;

const withoutKeys = <T>(item: Item): T => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest as T;
};

const notExists = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': 'PK' },
};

/** Reads and writes of the customers context. */
export class CustomerStore implements CustomerRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  private async get<T>(key: { PK: string; SK: string }): Promise<T | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item ? withoutKeys<T>(out.Item) : undefined;
  }

  /** Strongly consistent BatchGetItem, 100 keys a call, until nothing is left unprocessed. */
  private async batchGet(keys: { PK: string; SK: string }[]): Promise<Item[]> {
    const items: Item[] = [];
    const unique = [...new Map(keys.map((k) => [`${k.PK}\u0000${k.SK}`, k])).values()];
    for (let start = 0; start < unique.length; start += 100) {
      let pending: Item[] | undefined = unique.slice(start, start + 100);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
        const out = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        items.push(...(out.Responses?.[this.tableName] ?? []));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined;
      }
    }
    return items;
  }

  getProfile(customerId: string): Promise<Profile | undefined> {
    return this.get<Profile>(customerKeys.profile(customerId));
  }

  async getProfiles(customerIds: string[]): Promise<Map<string, Profile>> {
    const items = await this.batchGet(customerIds.map(customerKeys.profile));
    return new Map(items.map((item) => withoutKeys<Profile>(item)).map((p) => [p.customerId, p]));
  }

  async owners(identifierKeys: string[]): Promise<Map<string, string>> {
    const items = await this.batchGet(identifierKeys.map(customerKeys.identifier));
    return new Map(items.map((item) => [String(item.key), String(item.customerId)]));
  }

  getResolution(orderId: string): Promise<ResolutionRecord | undefined> {
    return this.get<ResolutionRecord>(customerKeys.resolution(orderId));
  }

  async getResolutions(orderIds: string[]): Promise<Map<string, ResolutionRecord>> {
    const items = await this.batchGet(orderIds.map(customerKeys.resolution));
    return new Map(items.map((item) => withoutKeys<ResolutionRecord>(item)).map((r) => [r.orderId, r]));
  }

  getMerge(mergeId: string): Promise<MergeRecord | undefined> {
    return this.get<MergeRecord>(customerKeys.merge(mergeId));
  }

  getReview(reviewId: string): Promise<ReviewItem | undefined> {
    return this.get<ReviewItem>(customerKeys.review(reviewId));
  }

  async listReviews(status: ReviewStatus, limit: number): Promise<ReviewItem[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'GSI1PK' },
        ExpressionAttributeValues: { ':pk': customerKeys.reviewsIn(status) },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => withoutKeys<ReviewItem>(item));
  }

  async orderLinks(customerId: string, since?: string): Promise<OrderLink[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
      ExpressionAttributeNames: since ? { '#pk': 'GSI1PK', '#sk': 'GSI1SK' } : { '#pk': 'GSI1PK' },
      ExpressionAttributeValues: {
        ':pk': customerKeys.ordersOf(customerId),
        ...(since ? { ':since': since } : {}),
      },
    });
    return items.map((item) => withoutKeys<OrderLink>(item));
  }

  createProfileOp(profile: Profile): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...customerKeys.profile(profile.customerId), ...profile },
        ...notExists,
      },
    };
  }

  saveProfileOp(profile: Profile, expectedVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...customerKeys.profile(profile.customerId), ...profile },
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': expectedVersion },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  // An order adding identifiers does not read-then-write the version: concurrent orders of one
  // customer append side by side, and only a merge (which checks the version) can invalidate them,
  // by making the profile `merged`.
  addIdentifiersOp(customerId: string, identifiers: ProfileIdentifier[], at: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: customerKeys.profile(customerId),
        UpdateExpression:
          'SET #identifiers = list_append(#identifiers, :new), #updatedAt = :at ADD #version :one',
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: {
          '#identifiers': 'identifiers',
          '#updatedAt': 'updatedAt',
          '#version': 'version',
          '#status': 'status',
        },
        ExpressionAttributeValues: { ':new': identifiers, ':at': at, ':one': 1, ':active': 'active' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  activeCheckOp(customerId: string): TransactItem {
    return {
      ConditionCheck: {
        TableName: this.tableName,
        Key: customerKeys.profile(customerId),
        ConditionExpression: '#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'active' },
      },
    };
  }

  claimIdentifierOp(identifier: Identifier, customerId: string, at: string, orderId?: string): TransactItem {
    const key = identifierKey(identifier);
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...customerKeys.identifier(key),
          key,
          type: identifier.type,
          customerId,
          claimedAt: at,
          ...(orderId ? { orderId } : {}),
        },
        ...notExists,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  moveIdentifierOp(identifier: Identifier, from: string, to: string, at: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: customerKeys.identifier(identifierKey(identifier)),
        UpdateExpression: 'SET #customerId = :to, #movedAt = :at',
        ConditionExpression: '#customerId = :from',
        ExpressionAttributeNames: { '#customerId': 'customerId', '#movedAt': 'movedAt' },
        ExpressionAttributeValues: { ':to': to, ':from': from, ':at': at },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  resolutionOp(record: ResolutionRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...customerKeys.resolution(record.orderId), ...record },
        ...notExists,
      },
    };
  }

  mergeRecordOp(record: MergeRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...customerKeys.merge(record.mergeId), ...record },
        ...notExists,
      },
    };
  }

  saveMergeOp(record: MergeRecord, expectedVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...customerKeys.merge(record.mergeId), ...record },
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': expectedVersion },
      },
    };
  }

  private reviewItem(review: ReviewItem): Item {
    return {
      ...customerKeys.review(review.reviewId),
      GSI1PK: customerKeys.reviewsIn(review.status),
      GSI1SK: `${review.openedAt}#${review.reviewId}`,
      ...review,
    };
  }

  reviewOp(review: ReviewItem): TransactItem {
    return { Put: { TableName: this.tableName, Item: this.reviewItem(review), ...notExists } };
  }

  saveReviewOp(review: ReviewItem, expectedVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: this.reviewItem(review),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': expectedVersion },
      },
    };
  }

  linkOrderOp(link: OrderLink): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...customerKeys.link(link.orderId),
          GSI1PK: customerKeys.ordersOf(link.customerId),
          GSI1SK: `${link.at}#${link.orderId}`,
          ...link,
        },
        ...notExists,
      },
    };
  }

  repointLinkOp(orderId: string, from: string, to: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: customerKeys.link(orderId),
        UpdateExpression: 'SET #customerId = :to, #gsi1pk = :pk',
        ConditionExpression: '#customerId = :from',
        ExpressionAttributeNames: { '#customerId': 'customerId', '#gsi1pk': 'GSI1PK' },
        ExpressionAttributeValues: { ':to': to, ':from': from, ':pk': customerKeys.ordersOf(to) },
      },
    };
  }
}
