import type { StreamEventSource } from '../../platform/events/stream';
import { eventsFromChange, ORDERS_TABLE_KEY } from '../domain/record-events';

/** The orders table's stream: order records become OrderCreated / OrderCancelled. */
export const ordersStream: StreamEventSource = { table: ORDERS_TABLE_KEY, eventsFromChange };
