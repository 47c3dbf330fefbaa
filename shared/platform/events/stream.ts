import type { TableKey } from '../definition';
import type { DomainEvent, RecordChange } from './envelope';
import { PublishFailed } from './publisher';

export type Publish = (events: DomainEvent[]) => Promise<void>;

/**
 * How a context turns the committed records of its table into domain events (a pure mapping), and
 * what it does once a batch's events are on the bus (inventory re-evaluates channel availability).
 */
export interface StreamEventSource {
  table: TableKey;
  eventsFromChange(change: RecordChange): DomainEvent[];
  /** True for a change that `afterBatch` acts on. */
  followsUp?(change: RecordChange): boolean;
  afterBatch?(changes: RecordChange[], publish: Publish): Promise<void>;
}

/** A stream record and the id the stream gave it (for partial batch failures). */
export interface StreamItem {
  sequenceNumber: string;
  change: RecordChange;
}

/**
 * Publishes the events of a batch of committed changes, in order and together (ten to a PutEvents
 * call), then runs each context's follow-up for the changes it cares about. A record that cannot be
 * mapped ends the batch there: what came before it is still published and followed up. Returns the
 * sequence number from which the batch must be retried, if anything failed: the record that could not
 * be mapped, the record of the first event the bus refused, or the first record a failed follow-up
 * needed, whichever comes first.
 */
export async function publishChanges(
  sources: StreamEventSource[],
  publish: Publish,
  items: StreamItem[],
  onError: (error: unknown, item?: StreamItem) => void = () => {},
): Promise<{ retryFrom?: string }> {
  const byTable = new Map(sources.map((s) => [s.table, s]));
  const followUps = new Map<StreamEventSource, RecordChange[]>();
  const events: DomainEvent[] = [];
  /** For each event, the position of its record in `items`. */
  const eventItem: number[] = [];
  let firstFollowUp: number | undefined;
  /** The position of a record that could not be mapped: the batch ends before it. */
  let unmapped: number | undefined;
  for (const [position, item] of items.entries()) {
    const source = byTable.get(item.change.table);
    if (!source) continue;
    let mapped: DomainEvent[];
    try {
      mapped = source.eventsFromChange(item.change);
    } catch (error) {
      onError(error, item);
      unmapped = position;
      break;
    }
    for (const event of mapped) {
      events.push(event);
      eventItem.push(position);
    }
    if (source.afterBatch && source.followsUp?.(item.change)) {
      followUps.set(source, [...(followUps.get(source) ?? []), item.change]);
      firstFollowUp ??= position;
    }
  }
  const retryFrom = (position: number | undefined) =>
    position === undefined ? {} : { retryFrom: items[position]?.sequenceNumber };
  if (events.length > 0) {
    try {
      await publish(events);
    } catch (error) {
      const failedAt =
        error instanceof PublishFailed ? (eventItem[error.firstFailed] ?? 0) : (eventItem[0] ?? 0);
      onError(error, items[failedAt]);
      return retryFrom(Math.min(firstFollowUp ?? failedAt, failedAt));
    }
  }
  for (const [source, changes] of followUps) {
    try {
      await source.afterBatch?.(changes, publish);
    } catch (error) {
      onError(error);
      return retryFrom(firstFollowUp);
    }
  }
  return retryFrom(unmapped);
}
