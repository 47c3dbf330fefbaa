import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB's limit on one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

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
 * into domain errors); anything else is thrown. `token` is the ClientRequestToken, so a retry of the
 * same call by the SDK after a lost response is applied once.
 */
export async function transactWrite(
  doc: DynamoDBDocumentClient,
  items: TransactItem[],
  token: string,
): Promise<{ kind: 'committed' } | CancelledTransaction> {
  if (items.length > MAX_TRANSACTION_ITEMS) {
    throw new Error(`A transaction takes at most ${MAX_TRANSACTION_ITEMS} items, got ${items.length}`);
  }
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: items,
        ClientRequestToken: createHash('sha256').update(token).digest('hex').slice(0, 36),
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
        ...(r.Item ? { item: r.Item as Record<string, unknown> } : {}),
      }));
      return { kind: 'cancelled', reasons };
    }
    if ((error as Error).name === 'TransactionConflictException') {
      return { kind: 'cancelled', reasons: [{ code: 'TransactionConflict' }] };
    }
    throw error;
  }
}

/**
 * Retries `attempt` while it reports a transaction conflict, with full-jitter exponential backoff.
 * Conflicts are contention between two writers on one item, not a failure of either request.
 */
export async function withConflictRetry<T>(
  attempt: (n: number) => Promise<T | 'conflict'>,
  options: { maxAttempts?: number; baseMs?: number; capMs?: number } = {},
): Promise<T | 'conflict'> {
  const maxAttempts = options.maxAttempts ?? 12;
  const base = options.baseMs ?? 5;
  const cap = options.capMs ?? 250;
  for (let n = 1; ; n++) {
    const result = await attempt(n);
    if (result !== 'conflict' || n >= maxAttempts) return result;
    const delay = Math.random() * Math.min(cap, base * 2 ** n);
    await new Promise((r) => setTimeout(r, delay));
  }
}
