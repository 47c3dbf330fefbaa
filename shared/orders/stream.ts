import type { StreamEventSource } from '../platform/events/stream';
import { eventsFromChange } from './domain/record-events';

/** The orders table's stream: order records become OrderCreated / OrderCancelled. */
export const ordersStream: StreamEventSource = { table: 'orders', eventsFromChange };
