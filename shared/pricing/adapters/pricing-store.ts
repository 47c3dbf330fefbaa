import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { batchGetAll, queryAll, type TransactItem } from '../../platform/dynamodb';
import type { Channel } from '../../platform/principals';
import type { BasePrice, ChannelPrice, PriceRule, Promotion, PromotionUsage } from '../domain/price-book';
import { toSecondUtc } from '../domain/price-book';
import type {
  BookVersion,
  DatedRulesJob,
  PricingRepository,
  PromotionUse,
  Quote,
  SkuCursor,
} from '../use-cases/ports';

/**
 * Key layout of the pricing table (one table for the pricing context):
 * - `SKU#<sku>` / `PRICE`: the base prices (all currencies), GSI1 `PRICES` / `<sku>` to page every SKU;
 * - `SKU#<sku>` / `CHANNEL#<channel>#<currency>`: the channel price snapshots, under their SKU;
 * - `BOOK` / `RULE#<id>`, `BOOK` / `PROMO#<id>`, `BOOK` / `VERSION`: the rule book and the promotions
 *   in one item collection, so the whole book is one strongly consistent query; promotions also on
 *   GSI1 `PROMOTIONS` / `<validTo or ~>#<id>`, listed by their end;
 * - `USAGE#<promotionId>` / `TOTAL` and `USAGE#<promotionId>#CUST#<customerId>` / `CUSTOMER`: usage
 *   counters, each its own partition key (a hot promotion's customers do not share one);
 * - `QUOTE#<quoteId>` / `QUOTE`: quotes, removed by TTL a day after they expire;
 * - `JOB#DATED_RULES` / `JOB`: the scheduled pass over dated rules.
 */
export const pricingKeys = {
  basePrice: (sku: string) => ({ PK: `SKU#${sku}`, SK: 'PRICE' }),
  channelPrice: (sku: string, channel: string, currency: string) => ({
    PK: `SKU#${sku}`,
    SK: `CHANNEL#${channel}#${currency}`,
  }),
  book: 'BOOK',
  rule: (ruleId: string) => ({ PK: 'BOOK', SK: `RULE#${ruleId}` }),
  promotion: (promotionId: string) => ({ PK: 'BOOK', SK: `PROMO#${promotionId}` }),
  bookVersion: { PK: 'BOOK', SK: 'VERSION' },
  usageTotal: (promotionId: string) => ({ PK: `USAGE#${promotionId}`, SK: 'TOTAL' }),
  usageCustomer: (promotionId: string, customerId: string) => ({
    PK: `USAGE#${promotionId}#CUST#${customerId}`,
    SK: 'CUSTOMER',
  }),
  quote: (quoteId: string) => ({ PK: `QUOTE#${quoteId}`, SK: 'QUOTE' }),
  datedRulesJob: { PK: 'JOB#DATED_RULES', SK: 'JOB' },
  pricesIndex: 'PRICES',
  promotionsIndex: 'PROMOTIONS',
};

/** A quote stays readable (as expired) for a day after it expires, then TTL removes it. */
const QUOTE_RETENTION_SECONDS = 24 * 3600;

const stripKeys = <T>(item: Record<string, unknown>): T => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ttl: _ttl, ...rest } = item;
  return rest as T;
};

/** The condition that an item is at `version` (0: it does not exist yet). */
function atVersion(version: number): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  return version === 0
    ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'PK' } }
    : {
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': version },
      };
}

/** Reads and writes of the pricing context. Every condition uses attribute-name placeholders. */
export class PricingStore implements PricingRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async getSkuPrices(sku: string): Promise<{ base?: BasePrice; channels: ChannelPrice[] }> {
    const items = await this.query({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'PK' },
      ExpressionAttributeValues: { ':pk': pricingKeys.basePrice(sku).PK },
      ConsistentRead: true,
    });
    const base = items.find((i) => i.SK === 'PRICE');
    return {
      ...(base ? { base: stripKeys<BasePrice>(base) } : {}),
      channels: items
        .filter((i) => String(i.SK).startsWith('CHANNEL#'))
        .map((i) => stripKeys<ChannelPrice>(i)),
    };
  }

  async getBasePrices(skus: string[]): Promise<Map<string, BasePrice>> {
    const keys = [...new Set(skus)].map(pricingKeys.basePrice);
    const items = await batchGetAll(this.doc, this.tableName, keys, { consistent: true });
    return new Map(items.map((i) => [String(i.sku), stripKeys<BasePrice>(i)]));
  }

  async getChannelPrices(
    skus: string[],
    channel: Channel,
    currency: string,
  ): Promise<Map<string, ChannelPrice>> {
    const keys = [...new Set(skus)].map((sku) => pricingKeys.channelPrice(sku, channel, currency));
    const items = await batchGetAll(this.doc, this.tableName, keys);
    return new Map(items.map((i) => [String(i.sku), stripKeys<ChannelPrice>(i)]));
  }

  putBasePriceOp(next: BasePrice, expectedVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...pricingKeys.basePrice(next.sku),
          GSI1PK: pricingKeys.pricesIndex,
          GSI1SK: next.sku,
          ...next,
        },
        ...atVersion(expectedVersion),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  putChannelPriceOp(next: ChannelPrice, expectedVersion: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...pricingKeys.channelPrice(next.sku, next.channel, next.currency), ...next },
        ...atVersion(expectedVersion),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  removeChannelPriceOp(previous: ChannelPrice): TransactItem {
    return {
      Delete: {
        TableName: this.tableName,
        Key: pricingKeys.channelPrice(previous.sku, previous.channel, previous.currency),
        ...atVersion(previous.version),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async pricedSkus(cursor: SkuCursor | undefined, limit: number) {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: '#g1pk = :index',
        ExpressionAttributeNames: { '#g1pk': 'GSI1PK', '#g1sk': 'GSI1SK' },
        ExpressionAttributeValues: { ':index': pricingKeys.pricesIndex },
        ProjectionExpression: '#g1sk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    return {
      skus: (out.Items ?? []).map((i) => String(i.GSI1SK)),
      ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey } : {}),
    };
  }

  async bookVersion(): Promise<BookVersion> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: pricingKeys.bookVersion, ConsistentRead: true }),
    );
    return { rules: Number(out.Item?.rules ?? 0), promotions: Number(out.Item?.promotions ?? 0) };
  }

  async loadBook(endedAfter: string): Promise<{ rules: PriceRule[]; promotions: Promotion[] }> {
    const items = await this.query({
      KeyConditionExpression: '#pk = :book',
      // Long-ended rules and promotions explain nothing any more: they stay stored, unread.
      FilterExpression: 'attribute_not_exists(#validTo) OR #validTo > :cutoff',
      ExpressionAttributeNames: { '#pk': 'PK', '#validTo': 'validTo' },
      ExpressionAttributeValues: { ':book': pricingKeys.book, ':cutoff': endedAfter },
      ConsistentRead: true,
    });
    const of = (prefix: string) => items.filter((i) => String(i.SK).startsWith(prefix));
    return {
      rules: of('RULE#').map((i) => stripKeys<PriceRule>(i)),
      promotions: of('PROMO#').map((i) => stripKeys<Promotion>(i)),
    };
  }

  async getRule(ruleId: string): Promise<PriceRule | undefined> {
    return this.get<PriceRule>(pricingKeys.rule(ruleId));
  }

  async listRules(): Promise<PriceRule[]> {
    const items = await this.query({
      KeyConditionExpression: '#pk = :book AND begins_with(#sk, :rule)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':book': pricingKeys.book, ':rule': 'RULE#' },
      ConsistentRead: true,
    });
    return items.map((i) => stripKeys<PriceRule>(i));
  }

  putRuleOps(rule: PriceRule): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...pricingKeys.rule(rule.ruleId), ...rule },
          ...atVersion(rule.version - 1),
        },
      },
      this.moveBookOp('rules'),
    ];
  }

  async getPromotion(promotionId: string): Promise<Promotion | undefined> {
    return this.get<Promotion>(pricingKeys.promotion(promotionId));
  }

  async listPromotions(filter: { status?: 'notEnded' | 'ended'; at: string }): Promise<Promotion[]> {
    // A promotion's GSI1SK starts with its end to the second; `<at>#~` sorts after every key of a
    // promotion ending at `at` (ended: the window excludes validTo) and before every later end.
    const bound = `${toSecondUtc(filter.at)}#~`;
    const range =
      filter.status === 'notEnded'
        ? { condition: ' AND #g1sk > :bound', values: { ':bound': bound } }
        : filter.status === 'ended'
          ? { condition: ' AND #g1sk < :bound', values: { ':bound': bound } }
          : { condition: '', values: {} };
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: `#g1pk = :index${range.condition}`,
      ExpressionAttributeNames: {
        '#g1pk': 'GSI1PK',
        ...(range.condition ? { '#g1sk': 'GSI1SK' } : {}),
      },
      ExpressionAttributeValues: { ':index': pricingKeys.promotionsIndex, ...range.values },
    });
    return items.map((i) => stripKeys<Promotion>(i));
  }

  putPromotionOps(promotion: Promotion): TransactItem[] {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...pricingKeys.promotion(promotion.promotionId),
            GSI1PK: pricingKeys.promotionsIndex,
            GSI1SK: `${promotion.validTo ?? '~'}#${promotion.promotionId}`,
            ...promotion,
          },
          ...atVersion(promotion.version - 1),
        },
      },
      this.moveBookOp('promotions'),
    ];
  }

  /** Every change of the book moves its version, in the change's own transaction. */
  private moveBookOp(part: keyof BookVersion): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: pricingKeys.bookVersion,
        UpdateExpression: 'SET #part = if_not_exists(#part, :zero) + :one',
        ExpressionAttributeNames: { '#part': part },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
      },
    };
  }

  async getUsage(promotionIds: string[], customerId?: string): Promise<Map<string, PromotionUsage>> {
    const ids = [...new Set(promotionIds)];
    if (ids.length === 0) return new Map();
    const keys = ids.flatMap((id) => [
      pricingKeys.usageTotal(id),
      ...(customerId !== undefined ? [pricingKeys.usageCustomer(id, customerId)] : []),
    ]);
    const items = await batchGetAll(this.doc, this.tableName, keys, { consistent: true });
    const usage = new Map<string, PromotionUsage>(ids.map((id) => [id, { total: 0, customer: 0 }]));
    for (const item of items) {
      const entry = usage.get(String(item.promotionId));
      if (!entry) continue;
      if (item.SK === 'TOTAL') entry.total = Number(item.used ?? 0);
      else entry.customer = Number(item.used ?? 0);
    }
    return usage;
  }

  usageOp(use: PromotionUse, now: string): TransactItem {
    const customer = use.counter === 'customer' && use.customerId !== undefined;
    return {
      Update: {
        TableName: this.tableName,
        Key: customer
          ? pricingKeys.usageCustomer(use.promotionId, use.customerId!)
          : pricingKeys.usageTotal(use.promotionId),
        UpdateExpression: `SET #used = if_not_exists(#used, :zero) + :one, #promotionId = :promotionId, #updatedAt = :now${
          customer ? ', #customerId = :customerId' : ''
        }`,
        // The limit holds exactly under concurrency: the counter moves only while it is below it.
        ConditionExpression: 'attribute_not_exists(#used) OR #used < :limit',
        ExpressionAttributeNames: {
          '#used': 'used',
          '#promotionId': 'promotionId',
          '#updatedAt': 'updatedAt',
          ...(customer ? { '#customerId': 'customerId' } : {}),
        },
        ExpressionAttributeValues: {
          ':zero': 0,
          ':one': 1,
          ':limit': use.limit,
          ':promotionId': use.promotionId,
          ':now': now,
          ...(customer ? { ':customerId': use.customerId } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  usageReleaseOp(use: PromotionUse, now: string): TransactItem {
    const customer = use.counter === 'customer' && use.customerId !== undefined;
    return {
      Update: {
        TableName: this.tableName,
        Key: customer
          ? pricingKeys.usageCustomer(use.promotionId, use.customerId!)
          : pricingKeys.usageTotal(use.promotionId),
        // Unconditional: a cancel must not fail on a counter; the order's own status write is what
        // makes its release happen once.
        UpdateExpression: 'ADD #used :minusOne SET #updatedAt = :now',
        ExpressionAttributeNames: { '#used': 'used', '#updatedAt': 'updatedAt' },
        ExpressionAttributeValues: { ':minusOne': -1, ':now': now },
      },
    };
  }

  /**
   * A quote's priced cart is stored gzipped: its trace and what was not applied repeat the same
   * names and reasons line after line, and a 50-line cart against a large promotion book would
   * otherwise pass DynamoDB's 400 KB item limit (gzip takes it about 20 times smaller).
   */
  async putQuote(quote: Quote): Promise<void> {
    const { quoteId, channel, createdAt, expiresAt } = quote;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...pricingKeys.quote(quoteId),
          quoteId,
          channel,
          createdAt,
          expiresAt,
          cart: gzipSync(JSON.stringify(quote)),
          ttl: Math.floor(Date.parse(expiresAt) / 1000) + QUOTE_RETENTION_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
      }),
    );
  }

  async getQuote(quoteId: string): Promise<Quote | undefined> {
    const item = await this.get<{ cart: Uint8Array }>(pricingKeys.quote(quoteId));
    return item ? (JSON.parse(gunzipSync(item.cart).toString('utf8')) as Quote) : undefined;
  }

  async datedRulesJob(): Promise<DatedRulesJob> {
    const job = await this.get<DatedRulesJob>(pricingKeys.datedRulesJob);
    return {
      version: Number(job?.version ?? 0),
      ...(job?.checkedUntil ? { checkedUntil: job.checkedUntil } : {}),
    };
  }

  async checkpointDatedRules(job: DatedRulesJob, checkedUntil: string): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...pricingKeys.datedRulesJob, checkedUntil, version: job.version + 1 },
          ...atVersion(job.version),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async get<T>(key: { PK: string; SK: string }): Promise<T | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item ? stripKeys<T>(out.Item) : undefined;
  }

  private query(input: Omit<QueryCommandInput, 'TableName'>) {
    return queryAll(this.doc, { TableName: this.tableName, ...input });
  }
}
