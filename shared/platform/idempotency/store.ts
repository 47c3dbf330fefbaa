import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../dynamodb';
import type { StoredResponse } from './fingerprint';

/** How long a key is remembered: longer than any client or marketplace retries for. */
const RETAIN_SECONDS = 30 * 24 * 3600;

export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  response: StoredResponse;
  createdAt: string;
}

/** Where a context remembers the first answers to its idempotent requests. */
export interface IdempotencyRepository {
  get(scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** A transaction item that remembers the answer and fails if the key is already taken. */
  rememberOp(record: IdempotencyRecord): TransactItem;
}

const idempotencyKey = (scope: string, key: string) => ({ PK: `IDEM#${scope}#${key}`, SK: 'IDEM' });

/**
 * Idempotency records live in the table of the context they protect and are written in the same
 * transaction as the change itself, so "applied" and "remembered" cannot disagree.
 */
export class IdempotencyStore implements IdempotencyRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: idempotencyKey(scope, key), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const { PK: _pk, SK: _sk, ttl: _ttl, ...record } = out.Item;
    return record as IdempotencyRecord;
  }

  /** Remembers the response; fails the transaction if the key is already taken. */
  rememberOp(record: IdempotencyRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...idempotencyKey(record.scope, record.key),
          ...record,
          ttl: Math.floor(Date.parse(record.createdAt) / 1000) + RETAIN_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
      },
    };
  }
}
