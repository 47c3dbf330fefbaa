import type { StreamEventSource } from '../../platform/events/stream';
import { CATALOG_TABLE_KEY, eventsFromChange } from '../domain/record-events';

/** The catalog table's stream: product versions become ProductChanged. */
export const catalogStream: StreamEventSource = { table: CATALOG_TABLE_KEY, eventsFromChange };
