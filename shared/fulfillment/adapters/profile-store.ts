import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll, transactWrite } from '../../platform/dynamodb';
import type { DecisionRecord } from '../domain/sourcing';
import type { ProfileHead, ProfileRepository, StoredProfile } from '../use-cases/ports';

/** Key layout of the fulfillment table's profiles and routing decisions. */
export const fulfillmentKeys = {
  head: (profileId: string) => ({ PK: `PROFILE#${profileId}`, SK: 'HEAD' }),
  version: (profileId: string, version: number) => ({
    PK: `PROFILE#${profileId}`,
    SK: `V#${String(version).padStart(6, '0')}`,
  }),
  decision: (orderId: string, at: string) => ({ PK: `DECISION#${orderId}`, SK: `AT#${at}` }),
  decisionsIndex: 'DECISIONS',
};

const strip = <T>(item: Record<string, unknown>): T => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest as T;
};

export class ProfileStore implements ProfileRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async head(profileId: string): Promise<ProfileHead | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: fulfillmentKeys.head(profileId),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    return {
      latestVersion: Number(out.Item.latestVersion),
      ...(out.Item.activeVersion !== undefined ? { activeVersion: Number(out.Item.activeVersion) } : {}),
    };
  }

  async version(profileId: string, version: number): Promise<StoredProfile | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: fulfillmentKeys.version(profileId, version),
        ConsistentRead: true,
      }),
    );
    return out.Item ? strip<StoredProfile>(out.Item) : undefined;
  }

  /** Every version, newest first, without its strategies (a listing, read page by page). */
  async versions(profileId: string): Promise<StoredProfile[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :v)',
      ExpressionAttributeValues: { ':pk': `PROFILE#${profileId}`, ':v': 'V#' },
      ProjectionExpression: 'profileId, version, #status, createdAt, activatedAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
    return items.map((i) => strip<StoredProfile>(i));
  }

  /** The version and the head's new latest in one transaction, conditional on the latest read. */
  async addVersion(profile: StoredProfile, expectedLatest: number): Promise<boolean> {
    const result = await transactWrite(this.doc, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...fulfillmentKeys.version(profile.profileId, profile.version), ...profile },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: fulfillmentKeys.head(profile.profileId),
          UpdateExpression:
            profile.status === 'active'
              ? 'SET latestVersion = :next, activeVersion = :next'
              : 'SET latestVersion = :next',
          ConditionExpression:
            expectedLatest === 0 ? 'attribute_not_exists(PK)' : 'latestVersion = :expected',
          ExpressionAttributeValues: {
            ':next': profile.version,
            ...(expectedLatest === 0 ? {} : { ':expected': expectedLatest }),
          },
        },
      },
    ]);
    return result.kind === 'committed';
  }

  async activate(profileId: string, version: number, head: ProfileHead, now: string): Promise<boolean> {
    const retire = head.activeVersion
      ? [
          {
            Update: {
              TableName: this.tableName,
              Key: fulfillmentKeys.version(profileId, head.activeVersion),
              UpdateExpression: 'SET #status = :retired, retiredAt = :now',
              ConditionExpression: '#status = :active',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':retired': 'retired', ':active': 'active', ':now': now },
            },
          },
        ]
      : [];
    const result = await transactWrite(this.doc, [
      {
        Update: {
          TableName: this.tableName,
          Key: fulfillmentKeys.version(profileId, version),
          UpdateExpression: 'SET #status = :active, activatedAt = :now',
          ConditionExpression: '#status = :draft',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':draft': 'draft', ':now': now },
        },
      },
      ...retire,
      {
        Update: {
          TableName: this.tableName,
          Key: fulfillmentKeys.head(profileId),
          UpdateExpression: 'SET activeVersion = :version',
          ConditionExpression: head.activeVersion
            ? 'activeVersion = :previous'
            : 'attribute_exists(PK) AND attribute_not_exists(activeVersion)',
          ExpressionAttributeValues: {
            ':version': version,
            ...(head.activeVersion ? { ':previous': head.activeVersion } : {}),
          },
        },
      },
    ]);
    return result.kind === 'committed';
  }

  async recentDecisions(limit: number): Promise<{ orderId: string; decision: DecisionRecord }[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: { ':pk': fulfillmentKeys.decisionsIndex },
          ScanIndexForward: false,
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items.map((i) => ({ orderId: String(i.orderId), decision: i.decision as DecisionRecord }));
  }

  async putDecision(orderId: string, decision: DecisionRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...fulfillmentKeys.decision(orderId, decision.at),
          GSI1PK: fulfillmentKeys.decisionsIndex,
          GSI1SK: `${decision.at}#${orderId}`,
          orderId,
          decision,
        },
      }),
    );
  }
}
