import { type DomainEvent, type RecordChange, recordEventId } from '../../platform/events/envelope';
import type { Channel } from '../../platform/principals';
import { catalogEvents } from '../events';
import { changedFields, contentOf, type Product } from './product';

/** The key of the catalog table in the definitions. */
export const CATALOG_TABLE_KEY = 'catalog';

const sellingOn = (p: Product | undefined): Channel[] => (p && p.status === 'active' ? p.channels : []);

/**
 * The domain events one committed change of the catalog table stands for: a product version is
 * `ProductChanged`. Pure, with the id derived from the record key and version, so a redelivered
 * record gives the same id.
 */
export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  if (!next || change.table !== CATALOG_TABLE_KEY || !change.keys.PK.startsWith('PRODUCT#')) return [];
  const { PK: _pk, SK: _sk, GSI1PK: _g, GSI1SK: _s, ...fields } = next;
  const product = fields as unknown as Product;
  const previous = change.oldImage as unknown as Product | undefined;
  const now = sellingOn(product);
  return [
    catalogEvents.event('ProductChanged', recordEventId(change, next), product.updatedAt, {
      product,
      changed: changedFields(previous ? contentOf(previous) : undefined, contentOf(product)),
      withdrawnFrom: sellingOn(previous).filter((c) => !now.includes(c)),
    }),
  ];
}
