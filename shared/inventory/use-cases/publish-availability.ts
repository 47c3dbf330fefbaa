import { type DomainEvent, stableId } from '../../platform/events/envelope';
import { BUSINESS_METRICS, countMetric } from '../../platform/metrics';
import { CHANNELS, type Channel } from '../../platform/principals';
import { availabilityByMethod, recomputeAllocation, rulesFor, sameAllocation } from '../domain/allocation';
import { type AvailabilitySnapshot, locationsAt, readModelOf, sameReadModel } from '../domain/stock';
import { inventoryEvents } from '../events';
import type { InventoryRepository } from './ports';

export interface AvailabilityPublishPorts {
  inventory: InventoryRepository;
  publish(events: DomainEvent[]): Promise<void>;
  now(): string;
}

/**
 * The id of the AvailabilityChanged that announces a channel's figure of `version` of a SKU's
 * snapshot: one version has one figure per channel, so a republication (after a failure or a crash
 * between publishing and settling) carries the same id and consumers deduplicate it.
 */
export const availabilityEventId = (sku: string, channel: string, version: number) =>
  stableId(`AvailabilityChanged:${sku}:${channel}:${version}`);

/** How often one SKU is re-read after another writer recorded its next version first. */
const MAX_SNAPSHOT_ATTEMPTS = 5;

const announce = (
  ports: AvailabilityPublishPorts,
  sku: string,
  snapshot: Required<Pick<AvailabilitySnapshot, 'pending' | 'version'>>,
) =>
  ports.publish(
    snapshot.pending.moves.map((move) =>
      inventoryEvents.event(
        'AvailabilityChanged',
        availabilityEventId(sku, move.channel, snapshot.version),
        snapshot.pending.at,
        {
          sku,
          channel: move.channel as Channel,
          available: move.available,
          previous: move.previous,
          snapshotVersion: snapshot.version,
        },
      ),
    ),
  );

/**
 * For each SKU, compares what every channel may ship now (the `ship` figure of an availability answer)
 * with the last recorded figures; where a figure moved, records the next snapshot version with its moves pending (conditional on the
 * version read), announces AvailabilityChanged for each moved channel, then clears the pending
 * moves. A snapshot found with moves still pending (a crash or a failed publish) is announced first,
 * under the same ids. A writer that loses the race for a version re-reads and decides again, so no
 * version is announced with two different figures. Returns how many events it published.
 */
export async function publishAvailabilityChanges(
  ports: AvailabilityPublishPorts,
  skus: string[],
): Promise<number> {
  if (skus.length === 0) return 0;
  const [book, registered] = await Promise.all([ports.inventory.ruleBook(), ports.inventory.listLocations()]);
  const rules = book.rules;
  // Read fresh, not from the reference cache: a pass must not settle on figures of old rules.
  // Each location with what it fulfils now: a closed store's units are not announced.
  const locations = locationsAt(registered, ports.now());
  let published = 0;
  for (const sku of skus) {
    for (let attempt = 1; attempt <= MAX_SNAPSHOT_ATTEMPTS; attempt++) {
      // The rules' state and the snapshot first, then the positions: a reservation committed in
      // between moves the state's version (the recomputed state is then refused rather than losing
      // its units), and another publisher that records fresher figures moves the snapshot's version
      // (ours is then refused rather than putting older figures back).
      const [states, snapshot] = await Promise.all([
        ports.inventory.getAllocations([sku]),
        ports.inventory.getAvailabilitySnapshot(sku),
      ]);
      const previous = states.get(sku);
      const positions = await ports.inventory.getPositions(sku);
      const applicable = rulesFor(rules, sku);
      const fresh = recomputeAllocation(sku, positions, locations, applicable, previous, book.version);
      let state = previous;
      if ((applicable.length > 0 || previous) && !(previous && sameAllocation(previous, fresh))) {
        const version = previous?.version ?? 0;
        if (!(await ports.inventory.putAllocation(sku, fresh, version, ports.now()))) continue;
        state = { ...fresh, version: version + 1 };
      }
      if (snapshot.pending) {
        await announce(ports, sku, { version: snapshot.version, pending: snapshot.pending });
        published += snapshot.pending.moves.length;
        await ports.inventory.settleAvailabilitySnapshot(sku, snapshot.version);
      }
      const next = Object.fromEntries(
        CHANNELS.map((channel) => [
          channel,
          availabilityByMethod(sku, channel, positions, locations, rules, state).ship,
        ]),
      );
      const moves = CHANNELS.filter((channel) => snapshot.channels[channel] !== next[channel]).map(
        (channel) => ({
          channel,
          available: next[channel] ?? 0,
          previous: snapshot.channels[channel] ?? null,
        }),
      );
      const readModel = readModelOf(positions, state);
      if (moves.length === 0) {
        if (sameReadModel(snapshot.readModel, readModel)) break;
        const at = ports.now();
        if (await ports.inventory.refreshAvailabilityReadModel(sku, snapshot.version, readModel, at)) break;
        continue;
      }
      const pending = { moves, at: ports.now() };
      if (!(await ports.inventory.swapAvailabilitySnapshot(sku, snapshot.version, next, pending, readModel)))
        continue;
      const recorded = { channels: next, version: snapshot.version + 1, pending };
      await announce(ports, sku, recorded);
      published += moves.length;
      await ports.inventory.settleAvailabilitySnapshot(sku, recorded.version);
      break;
    }
  }
  countMetric(BUSINESS_METRICS.availabilityPublished, published);
  return published;
}
