import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll, type TransactItem } from '../../platform/dynamodb';
import type { FulfilmentGroup } from '../domain/group';
import type { RoutingRecord } from '../domain/routing';
import type { FulfilmentHead, GroupRepository } from '../use-cases/ports';
import { fulfillmentKeys } from './profile-store';

/** Key layout of an order's fulfilment in the fulfillment table: one partition per order. */
export const fulfilmentKeys = {
  head: (orderId: string) => ({ PK: `ORDER#${orderId}`, SK: 'FULFILMENT' }),
  group: (orderId: string, groupId: string) => ({ PK: `ORDER#${orderId}`, SK: `GROUP#${groupId}` }),
  routing: (orderId: string, sequence: number) => ({
    PK: `ORDER#${orderId}`,
    SK: `ROUTE#${String(sequence).padStart(4, '0')}`,
  }),
  /** GSI1: a location's work list, oldest first. */
  work: (locationId: string) => `WORK#${locationId}`,
  /** The groups given to each location on one UTC day, one partition per day. */
  capacity: (day: string, locationId: string) => ({ PK: `CAPACITY#${day}`, SK: `LOC#${locationId}` }),
};

/** A day's counters are kept a little longer than the day, then expire. */
const CAPACITY_TTL_SECONDS = 3 * 86_400;

const strip = <T>(item: Record<string, unknown>): T => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ...rest } = item;
  return rest as T;
};

const notExists = {
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': 'PK' },
};

/** Orders' fulfilment: heads, groups (the work lists) and routing records. */
export class FulfilmentStore implements GroupRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  private groupItem(group: FulfilmentGroup): Record<string, unknown> {
    return {
      ...fulfilmentKeys.group(group.orderId, group.groupId),
      // Only work that waits on a location is in a work list.
      ...(group.waiting
        ? {
            GSI1PK: fulfilmentKeys.work(group.waiting.actor),
            GSI1SK: `${group.waiting.since}#${group.groupId}`,
          }
        : {}),
      ...group,
    };
  }

  async head(orderId: string): Promise<FulfilmentHead | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: fulfilmentKeys.head(orderId), ConsistentRead: true }),
    );
    return out.Item ? strip<FulfilmentHead>(out.Item) : undefined;
  }

  /** The items of an order's partition whose sort key starts with `prefix`, read consistently. */
  private async partition<T>(orderId: string, prefix: string): Promise<T[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': `ORDER#${orderId}`, ':prefix': prefix },
      ConsistentRead: true,
    });
    return items.map((i) => strip<T>(i));
  }

  groups(orderId: string): Promise<FulfilmentGroup[]> {
    return this.partition<FulfilmentGroup>(orderId, 'GROUP#');
  }

  async group(orderId: string, groupId: string): Promise<FulfilmentGroup | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: fulfilmentKeys.group(orderId, groupId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? strip<FulfilmentGroup>(out.Item) : undefined;
  }

  routings(orderId: string): Promise<RoutingRecord[]> {
    return this.partition<RoutingRecord>(orderId, 'ROUTE#');
  }

  async workList(locationId: string, limit: number): Promise<FulfilmentGroup[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI1PK' },
      ExpressionAttributeValues: { ':pk': fulfilmentKeys.work(locationId) },
      Limit: limit,
    });
    return items.slice(0, limit).map((i) => strip<FulfilmentGroup>(i));
  }

  putHeadOp(head: FulfilmentHead): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...fulfilmentKeys.head(head.orderId), ...head },
        ...notExists,
      },
    };
  }

  updateHeadOp(previous: FulfilmentHead, next: FulfilmentHead): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...fulfilmentKeys.head(next.orderId), ...next, version: previous.version + 1 },
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': previous.version },
      },
    };
  }

  putGroupOp(group: FulfilmentGroup): TransactItem {
    return { Put: { TableName: this.tableName, Item: this.groupItem(group), ...notExists } };
  }

  updateGroupOp(previous: FulfilmentGroup, next: FulfilmentGroup): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: this.groupItem({ ...next, version: previous.version + 1 }),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': previous.version },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * A routing record. One decided by a sourcing profile is also in the index of routing decisions
   * that a profile's dry run replays (GSI1 `DECISIONS`, newest first): the record is kept once.
   */
  putRoutingOp(record: RoutingRecord): TransactItem {
    const replayable = record.profileId !== undefined;
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...fulfilmentKeys.routing(record.orderId, record.sequence),
          ...(replayable
            ? {
                GSI1PK: fulfillmentKeys.decisionsIndex,
                GSI1SK: `${record.at}#${record.orderId}#${record.sequence}`,
              }
            : {}),
          ...record,
        },
        ...notExists,
      },
    };
  }

  /**
   * Counts `groups` more groups given to a location on `day` (YYYY-MM-DD, UTC). Written after the
   * routing commits, not in its transaction: every order routed to a store would otherwise contend
   * for one item, and the count is what routing prefers, not a guarantee.
   */
  async countGroups(day: string, locationId: string, groups: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: fulfilmentKeys.capacity(day, locationId),
        UpdateExpression: 'ADD #used :n SET #locationId = :loc, #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#used': 'used', '#locationId': 'locationId', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':n': groups,
          ':loc': locationId,
          ':ttl': Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + CAPACITY_TTL_SECONDS,
        },
      }),
    );
  }

  /** Groups given to each location on `day`, in one query (one partition per day). */
  async usedOn(day: string): Promise<Map<string, number>> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'PK' },
      ExpressionAttributeValues: { ':pk': `CAPACITY#${day}` },
    });
    return new Map(items.map((i) => [String(i.locationId), Number(i.used ?? 0)]));
  }
}
