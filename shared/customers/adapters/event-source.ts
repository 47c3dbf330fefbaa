import type { StreamEventSource } from '../../platform/events/stream';
import { CUSTOMERS_TABLE_KEY, eventsFromChange } from '../domain/record-events';

/**
 * The customers table's stream: new profiles, merge records (written and undone) and review items
 * become CustomerCreated, CustomerMerged, CustomerUnmerged and CustomerReviewOpened.
 */
export const customersStream: StreamEventSource = { table: CUSTOMERS_TABLE_KEY, eventsFromChange };
