import { randomUUID } from 'node:crypto';
import { type AttributeValue, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DomainError } from './errors';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit on one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

const RETRIABLE_OR_ANSWERED = new Set([
  'None',
  'ConditionalCheckFailed',
  'TransactionConflict',
  'ThrottlingError',
]);

/** Why each item of a cancelled transaction failed, in the order the items were given. */
export interface CancelledTransaction {
  kind: 'cancelled';
  reasons: { code: string; item?: Record<string, unknown> }[];
}

/** True when DynamoDB cancelled only because another transaction held an item: safe to try again. */
export const isConflictOnly = (cancelled: CancelledTransaction): boolean =>
  cancelled.reasons.some((r) => r.code === 'TransactionConflict') &&
  cancelled.reasons.every((r) => r.code === 'TransactionConflict' || r.code === 'None');

/**
 * Runs one TransactWriteItems call. A cancellation is returned as data (the caller turns reasons
 * into domain errors); anything else is thrown. Each call gets its own ClientRequestToken, which the
 * SDK keeps across its own retries, so a call whose response was lost is applied once. (A token
 * shared between two calls with different items would be refused as a parameter mismatch.)
 */
export async function transactWrite(
  doc: DynamoDBDocumentClient,
  items: TransactItem[],
): Promise<{ kind: 'committed' } | CancelledTransaction> {
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new Error(`A transaction takes at most ${MAX_TRANSACTION_ITEMS} items, got ${items.length}`);
  }
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: items,
        ClientRequestToken: randomUUID(),
      }),
    );
    return { kind: 'committed' };
  } catch (error) {
    if (
      error instanceof TransactionCanceledException ||
      (error as Error).name === 'TransactionCanceledException'
    ) {
      const reasons = ((error as TransactionCanceledException).CancellationReasons ?? []).map((r) => ({
        code: r.Code ?? 'None',
        // The exception carries the item as stored (attribute values), not as the document client gives it.
        ...(r.Item ? { item: unmarshall(r.Item as Record<string, AttributeValue>) } : {}),
      }));
      // Conditions and contention are answers the caller acts on; anything else (a malformed item,
      // an item too large) is a fault, thrown so that it surfaces instead of being retried as a race.
      const fault = reasons.find((r) => !RETRIABLE_OR_ANSWERED.has(r.code));
      if (fault) throw error;
      return { kind: 'cancelled', reasons };
    }
    if ((error as Error).name === 'TransactionConflictException') {
      return { kind: 'cancelled', reasons: [{ code: 'TransactionConflict' }] };
    }
    throw error;
  }
}

/** How often one call re-reads and retries after losing a race for stock or a lock. */
export const MAX_CONTENTION_ATTEMPTS = 20;

/**
 * Waits before re-reading after losing a race for an item: full-jitter exponential backoff, capped,
 * so concurrent writers spread out instead of colliding again.
 */
export function contentionBackoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 4 * 2 ** Math.min(attempt, 6))));
}

/**
 * One order or hold commits in one transaction, and DynamoDB takes at most 100 items in one: refuse a
 * placement that needs more, with the field to change, instead of failing the write.
 */
export function assertFitsOneTransaction(items: number, stockMovements: number, what: string): void {
  if (items <= MAX_TRANSACTION_ITEMS) return;
  const allowed = MAX_TRANSACTION_ITEMS - (items - stockMovements);
  throw new DomainError(
    422,
    `${what.toUpperCase()}_TOO_LARGE`,
    `The ${what} needs ${stockMovements} stock movements; split it into smaller ${what}s`,
    [{ path: 'lines', message: `at most ${allowed} stock movements per ${what}` }],
  );
}

/** Every item a query matches, page by page (a page stops at 1 MB). */
export async function queryAll(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Every item of `keys` that exists, 100 keys per BatchGetItem; keys DynamoDB leaves unprocessed
 * (throttling) are asked for again after a short backoff.
 */
export async function batchGetAll(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: Record<string, unknown>[],
  options: { consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pending = keys;
  for (let round = 1; pending.length > 0; round++) {
    const batch = pending.slice(0, 100);
    const out = await doc.send(
      new BatchGetCommand({
        RequestItems: { [tableName]: { Keys: batch, ConsistentRead: options.consistent ?? false } },
      }),
    );
    items.push(...(out.Responses?.[tableName] ?? []));
    const unprocessed = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    pending = [...unprocessed, ...pending.slice(100)];
    if (unprocessed.length > 0) await contentionBackoff(round);
  }
  return items;
}
