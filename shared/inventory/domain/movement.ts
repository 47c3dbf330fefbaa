/**
 * Counts and movements as of the source system's time. A POS or WMS reports a count taken at `T`
 * and sales that happened at `T + 1` in whatever order the network delivers them; the position
 * must end up where the shop floor is:
 * - a count applies as of its time: movements after it that were already applied stay on top of it;
 * - a count older than (or as old as) the last applied count is recorded and ignored;
 * - a movement older than (or as old as) the last applied count is recorded and ignored: the count
 *   already includes it.
 * Reservations are not movements of stock on hand: a count never touches them.
 */
export interface StockRecord {
  kind: 'count' | 'adjustment';
  sku: string;
  locationId: string;
  /** By the source system's clock. */
  occurredAt: string;
  receivedAt: string;
  sourceSystem?: string;
  sourceEventId?: string;
  applied: boolean;
  reason?: StockRecordReason;
  /** A count: what was counted. */
  counted?: number;
  /** A count: applied movements after its time, kept on top of it. */
  laterMovements?: number;
  /** An adjustment: the movement. */
  delta?: number;
  /** The adjustment's own reason (damaged, sale, receipt). */
  note?: string;
  /** Absent for a fulfilment's movement, which is not read before it is written. */
  onHandBefore?: number;
  onHandAfter?: number;
}

export type StockRecordReason = 'OLDER_THAN_LAST_COUNT' | 'BEFORE_LAST_COUNT';

export const STOCK_RECORD_REASONS: Record<StockRecordReason, string> = {
  OLDER_THAN_LAST_COUNT: 'a newer count of this position was already applied',
  BEFORE_LAST_COUNT: 'the movement happened before the last applied count, which includes it',
};

/** Whether something that happened at `occurredAt` still changes a position last counted at `lastCountAt`. */
export const afterLastCount = (lastCountAt: string | undefined, occurredAt: string): boolean =>
  lastCountAt === undefined || occurredAt > lastCountAt;

/** On hand after a count as of its time: the counted units and the movements applied since. */
export const onHandAsOf = (counted: number, laterMovements: number): number =>
  Math.max(0, counted + laterMovements);
