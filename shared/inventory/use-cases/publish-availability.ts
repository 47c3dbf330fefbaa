import { type DomainEvent, stableId } from '../../platform/events/envelope';
import { CHANNELS } from '../../platform/principals';
import { channelAvailability } from '../domain/stock';
import { inventoryEvents } from '../events';
import type { InventoryRepository } from './ports';

export interface AvailabilityPublishPorts {
  inventory: InventoryRepository;
  publish(events: DomainEvent[]): Promise<void>;
  now(): string;
}

/**
 * The id of the AvailabilityChanged that moves a channel's figure to `available` as the snapshot's
 * version `version`: a retry after a failure (or a crash) between publishing and recording derives
 * the same id, so consumers deduplicate it; a different figure for the same version gets another.
 */
export const availabilityEventId = (sku: string, channel: string, version: number, available: number) =>
  stableId(`AvailabilityChanged:${sku}:${channel}:${version}:${available}`);

/**
 * For each SKU, compares what every channel may sell now with the last recorded figures, publishes
 * AvailabilityChanged for each channel whose number moved, then records the figures (conditional on
 * the snapshot's version). Publishing comes first: a figure is never recorded as published when it
 * was not, and a failure or crash before recording repeats the same events with the same ids.
 */
export async function publishAvailabilityChanges(
  ports: AvailabilityPublishPorts,
  skus: string[],
): Promise<number> {
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
    const version = snapshot.version + 1;
    await ports.publish(
      moved.map((channel) =>
        inventoryEvents.event(
          'AvailabilityChanged',
          availabilityEventId(sku, channel, version, next[channel] ?? 0),
          now,
          { sku, channel, available: next[channel] ?? 0, previous: snapshot.channels[channel] ?? null },
        ),
      ),
    );
    published += moved.length;
    // A concurrent publisher that recorded this version first published the same figures under
    // the same ids (or newer ones); either way the snapshot is theirs.
    await ports.inventory.swapAvailabilitySnapshot(sku, snapshot.version, next, now);
  }
  return published;
}
