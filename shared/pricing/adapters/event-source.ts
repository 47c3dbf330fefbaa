import type { StreamEventSource } from '../../platform/events/stream';
import { eventsFromChange, PRICING_TABLE_KEY } from '../domain/record-events';

/**
 * The pricing table's stream: channel price snapshots become PriceChanged, rules PriceRuleChanged,
 * promotions PromotionChanged. A rule's effect on prices is recomputed by the function its event
 * triggers (RecomputeChannelPrices), not here.
 */
export const pricingStream: StreamEventSource = { table: PRICING_TABLE_KEY, eventsFromChange };
