import type { StreamEventSource } from '../../platform/events/stream';
import { eventsFromChange, FULFILLMENT_TABLE } from '../domain/record-events';

/** The fulfillment table's stream: group changes and routing records become fulfilment events. */
export const fulfillmentStream: StreamEventSource = { table: FULFILLMENT_TABLE, eventsFromChange };
