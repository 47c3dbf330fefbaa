import { randomUUID } from 'node:crypto';
import type { InventoryStore } from '../adapters/inventory-store';
import { type DomainEvent, domainEvent } from '../domain/events';
import { channelAvailability } from '../domain/inventory';
import { eventsFromChange, isRuleChange, type RecordChange, touchedSku } from '../domain/record-events';
import { CHANNELS } from '../infra/definitions';

export interface PublishPorts {
  inventory: InventoryStore;
  publish(events: DomainEvent[]): Promise<void>;
  now(): string;
}

/** A stream record and the id the stream gave it (for partial batch failures). */
export interface StreamItem {
  sequenceNumber: string;
  change: RecordChange;
}

/**
 * Publishes the events of a batch of committed changes, in order, then recomputes per-channel
 * availability of the SKUs the batch touched and emits AvailabilityChanged where a number moved.
 * Returns the sequence number from which the batch must be retried, if anything failed.
 */
export async function publishChanges(
  ports: PublishPorts,
  items: StreamItem[],
  onError: (error: unknown, item?: StreamItem) => void = () => {},
): Promise<{ retryFrom?: string }> {
  const skus = new Set<string>();
  let rulesChanged = false;
  let firstTouching: string | undefined;
  for (const item of items) {
    try {
      const events = eventsFromChange(item.change);
      if (events.length > 0) await ports.publish(events);
    } catch (error) {
      onError(error, item);
      return { retryFrom: firstTouching ?? item.sequenceNumber };
    }
    const sku = touchedSku(item.change);
    if (sku) skus.add(sku);
    if (isRuleChange(item.change)) rulesChanged = true;
    if ((sku || isRuleChange(item.change)) && !firstTouching) firstTouching = item.sequenceNumber;
  }
  if (skus.size === 0 && !rulesChanged) return {};
  try {
    const all = rulesChanged ? await ports.inventory.allSkus() : [...skus];
    await publishAvailabilityChanges(ports, all);
  } catch (error) {
    onError(error);
    return { retryFrom: firstTouching };
  }
  return {};
}

/**
 * For each SKU, compares what every channel may sell now with the last published figures, and
 * publishes AvailabilityChanged for each channel whose number moved. The snapshot is swapped before
 * publishing and swapped back if publishing fails, so a figure is never recorded as published when it
 * was not; a concurrent publisher that moved it first wins and this one stays silent.
 */
export async function publishAvailabilityChanges(ports: PublishPorts, skus: string[]): Promise<number> {
  if (skus.length === 0) return 0;
  const rules = await ports.inventory.listRules();
  let published = 0;
  for (const sku of skus) {
    const [positions, snapshot] = await Promise.all([
      ports.inventory.getPositions(sku),
      ports.inventory.getAvailabilitySnapshot(sku),
    ]);
    const next = Object.fromEntries(
      CHANNELS.map((channel) => [channel, channelAvailability(sku, channel, positions, rules).available]),
    );
    const moved = CHANNELS.filter((channel) => snapshot.channels[channel] !== next[channel]);
    if (moved.length === 0) continue;
    const now = ports.now();
    if (!(await ports.inventory.swapAvailabilitySnapshot(sku, snapshot.version, next, now))) continue;
    try {
      await ports.publish(
        moved.map((channel) =>
          domainEvent('commerce.inventory', 'AvailabilityChanged', randomUUID(), now, {
            sku,
            channel,
            available: next[channel] ?? 0,
            previous: snapshot.channels[channel] ?? null,
          }),
        ),
      );
      published += moved.length;
    } catch (error) {
      const restored = snapshot.version === 0 ? undefined : snapshot.channels;
      await ports.inventory.swapAvailabilitySnapshot(sku, snapshot.version + 1, restored, now);
      throw error;
    }
  }
  return published;
}
