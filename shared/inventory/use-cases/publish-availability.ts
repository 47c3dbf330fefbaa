import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../../platform/events/envelope';
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
 * For each SKU, compares what every channel may sell now with the last published figures, and
 * publishes AvailabilityChanged for each channel whose number moved. The snapshot is swapped before
 * publishing and swapped back if publishing fails, so a figure is never recorded as published when it
 * was not; a concurrent publisher that moved it first wins and this one stays silent.
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
    if (!(await ports.inventory.swapAvailabilitySnapshot(sku, snapshot.version, next, now))) continue;
    try {
      await ports.publish(
        moved.map((channel) =>
          inventoryEvents.event('AvailabilityChanged', randomUUID(), now, {
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
