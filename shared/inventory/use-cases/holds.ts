import { sellableProducts } from '../../catalog';
import {
  assertFitsOneTransaction,
  contentionBackoff,
  MAX_CONTENTION_ATTEMPTS,
  type TransactItem,
} from '../../platform/dynamodb';
import { concurrentUpdate, DomainError, idempotencyKeyReused, notFound } from '../../platform/errors';
import { requestFingerprint, type StoredResponse } from '../../platform/idempotency/fingerprint';
import type { Channel, Principal } from '../../platform/principals';
import { type Hold, holdView, type PositionChange } from '../domain/hold';
import type { HoldInput } from '../schemas';
import { placeLines, releaseItems, reservationItems } from './placement';
import type { HoldPorts, InventoryPorts } from './ports';

/**
 * Holds stock for a cart, POS basket or pending marketplace order: every line or none, in one
 * transaction with the hold record. An optional idempotency key makes a retried call return the
 * first hold.
 */
export async function placeHold(
  ports: HoldPorts,
  channel: Channel,
  input: HoldInput,
  idempotencyKey?: string,
): Promise<StoredResponse & { replayed: boolean }> {
  const fingerprint = requestFingerprint({ channel, input });
  // What the channel may not sell is refused before any stock is looked at (422, per line).
  await sellableProducts(ports, channel, input.lines);
  const replay = async () => {
    if (!idempotencyKey) return undefined;
    const existing = await ports.holdKeys.get(channel, idempotencyKey);
    if (!existing) return undefined;
    if (existing.fingerprint !== fingerprint) throw idempotencyKeyReused('headers.Idempotency-Key');
    return { ...existing.response, replayed: true };
  };
  for (let attempt = 1; ; attempt++) {
    const replayed = await replay();
    if (replayed) return replayed;
    const now = ports.now();
    const holdId = ports.newId('hold');
    let placed: Awaited<ReturnType<typeof placeLines>>;
    try {
      placed = await placeLines(ports, channel, input.lines, input.delivery);
    } catch (error) {
      // A repeat racing its own first request meets the first request's effect (the last unit
      // taken): it gets the first answer, not a refusal.
      if (error instanceof DomainError) {
        const first = await replay();
        if (first) return first;
      }
      throw error;
    }
    const hold: Hold = {
      holdId,
      channel,
      status: 'ACTIVE',
      lines: placed.lines,
      delivery: input.delivery,
      decision: placed.decision,
      expiresAt: new Date(Date.parse(now) + input.expiresInSeconds * 1000).toISOString(),
      createdAt: now,
      updatedAt: now,
    };
    const change: PositionChange = { type: 'reserve', ref: { type: 'hold', id: holdId } };
    const response: StoredResponse = { statusCode: 201, body: holdView(hold) };
    const items: TransactItem[] = [
      ...reservationItems(ports, placed, change, now),
      ports.inventory.createHoldOp(hold),
    ];
    if (idempotencyKey) {
      items.push(
        ports.holdKeys.rememberOp({
          scope: channel,
          key: idempotencyKey,
          fingerprint,
          response,
          createdAt: now,
        }),
      );
    }
    assertFitsOneTransaction(items.length, items.length - (idempotencyKey ? 2 : 1), 'hold');
    const result = await ports.transact(items);
    if (result.kind === 'committed') return { ...response, replayed: false };
    // The idempotency put failed: a concurrent request with this key won; the loop replays it.
    if (idempotencyKey && result.reasons.at(-1)?.code === 'ConditionalCheckFailed') continue;
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate(
        'The stock changed too often while placing the hold; retry',
        'lines',
        'contention on these SKUs',
      );
    }
    await contentionBackoff(attempt);
  }
}

/**
 * Ends a hold and gives its units back. Idempotent: a hold that has already ended is returned as it
 * is. `principal` limits a channel to its own holds; the sweeper passes `ops`.
 */
export async function releaseHold(
  ports: InventoryPorts,
  principal: Principal,
  holdId: string,
  status: 'RELEASED' | 'EXPIRED',
) {
  return (await endHold(ports, principal, holdId, status)).view;
}

/** Ends a hold; `ended` says whether this call ended it (false: it had already ended). */
async function endHold(
  ports: InventoryPorts,
  principal: Principal,
  holdId: string,
  status: 'RELEASED' | 'EXPIRED',
) {
  for (let attempt = 1; ; attempt++) {
    const hold = (await ports.inventory.getHold(holdId)) as Hold | undefined;
    if (!hold || (principal !== 'ops' && hold.channel !== principal)) {
      throw notFound('Hold', holdId, 'holdId', 'no such hold for this channel');
    }
    if (hold.status !== 'ACTIVE') return { view: holdView(hold), ended: false };
    const now = ports.now();
    const change: PositionChange = {
      type: 'release',
      ref: { type: 'hold', id: holdId },
      reason: status === 'EXPIRED' ? 'hold expired' : 'hold released',
    };
    const items: TransactItem[] = [
      ports.inventory.finishHoldOp(holdId, status, now),
      ...releaseItems(ports, hold.lines, change, now),
    ];
    const result = await ports.transact(items);
    if (result.kind === 'committed')
      return { view: holdView({ ...hold, status, updatedAt: now }), ended: true };
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate('The hold changed while releasing it; retry', 'holdId', 'contention');
    }
    await contentionBackoff(attempt);
  }
}

/** Releases every hold whose time is up; returns how many it released. */
export async function expireHolds(ports: InventoryPorts, batch = 100): Promise<number> {
  let released = 0;
  for (;;) {
    const ids = await ports.inventory.expiredHoldIds(ports.now(), batch);
    let progressed = 0;
    for (const id of ids) {
      if ((await endHold(ports, 'ops', id, 'EXPIRED')).ended) {
        released++;
        progressed++;
      }
    }
    // The index is eventually consistent: stop when a page gave nothing new to release.
    if (ids.length < batch || progressed === 0) return released;
  }
}
