import type { RecordChange } from '../platform/events/envelope';
import type { StreamEventSource } from '../platform/events/stream';
import { runtimeInventoryPorts } from './adapters/runtime';
import { eventsFromChange, isRuleChange, touchedSku } from './domain/record-events';
import { publishAvailabilityChanges } from './use-cases/publish-availability';

const followsUp = (change: RecordChange) => touchedSku(change) !== undefined || isRuleChange(change);

/**
 * The inventory table's stream: position, hold and ledger records become inventory events; then
 * each channel's availability of the SKUs the batch touched (every SKU after a rule change) is
 * re-evaluated and AvailabilityChanged published where a number moved.
 */
export const inventoryStream = (ports = runtimeInventoryPorts()): StreamEventSource => ({
  table: 'inventory',
  eventsFromChange,
  followsUp,
  async afterBatch(changes, publish) {
    const skus = new Set(changes.map(touchedSku).filter((s): s is string => s !== undefined));
    const all = changes.some(isRuleChange) ? await ports.inventory.allSkus() : [...skus];
    await publishAvailabilityChanges({ inventory: ports.inventory, publish, now: ports.now }, all);
  },
});
