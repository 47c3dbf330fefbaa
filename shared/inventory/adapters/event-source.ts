import type { RecordChange } from '../../platform/events/envelope';
import type { StreamEventSource } from '../../platform/events/stream';
import {
  eventsFromChange,
  INVENTORY_TABLE_KEY,
  isLocation,
  isRuleChange,
  touchedSku,
} from '../domain/record-events';
import { publishAvailabilityChanges } from '../use-cases/publish-availability';
import { runtimeInventoryPorts } from './runtime';

const followsUp = (change: RecordChange) =>
  touchedSku(change) !== undefined || isRuleChange(change) || isLocation(change);

/**
 * The inventory table's stream: position and hold records become inventory events; then each
 * channel's availability of the SKUs the batch touched is re-evaluated and AvailabilityChanged
 * published where a number moved. A rule or location change requests a re-evaluation of every SKU.
 */
export const inventoryStream = (ports = runtimeInventoryPorts()): StreamEventSource => ({
  table: INVENTORY_TABLE_KEY,
  eventsFromChange,
  followsUp,
  async afterBatch(changes, publish) {
    const skus = new Set(changes.map(touchedSku).filter((s): s is string => s !== undefined));
    // A rule change can move every SKU: that pass is requested here and run page by page by the
    // scheduled RecomputeAvailability, never by scanning the table inside the stream publisher.
    // So can a location closing or opening (its units leave or join every SKU's figures).
    if (changes.some(isRuleChange))
      await ports.inventory.requestRecompute('channel rule changed', ports.now());
    else if (changes.some(isLocation))
      await ports.inventory.requestRecompute('location changed', ports.now());
    await publishAvailabilityChanges({ inventory: ports.inventory, publish, now: ports.now }, [...skus]);
  },
});
