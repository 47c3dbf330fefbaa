import { eventsFromChange } from '../../../shared/customers/domain/record-events';
import { eventCatalogue } from '../../../shared/platform/definitions';
import type { DomainEvent } from '../../../shared/platform/events/envelope';
import {
  CUSTOMER_AT,
  customerChange,
  customerChanges,
  EMAIL,
  mergeInsert,
  mergeUndone,
  PHONE,
  profileImage,
  profileInsert,
  reviewInsert,
  UNDONE_AT,
} from '../../fixtures/customers/stream-records';

/** Every event is in the catalogue, and no identifier value leaves in one. */
function published(events: DomainEvent[]): DomainEvent[] {
  for (const event of events) {
    expect(eventCatalogue[event.source]?.[event.detailType]?.safeParse(event.detail.data).success).toBe(true);
    const text = JSON.stringify(event);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(PHONE);
  }
  return events;
}

describe('customer record events', () => {
  it('turns a new profile into CustomerCreated with identifier types only', () => {
    const [event] = published(eventsFromChange(profileInsert));

    expect(event).toMatchObject({
      source: 'commerce.customers',
      detailType: 'CustomerCreated',
      detail: {
        occurredAt: CUSTOMER_AT,
        data: {
          customerId: 'cus_1',
          channel: 'web',
          orderId: 'ord_1',
          identifierTypes: ['email'],
          guest: true,
        },
      },
    });
  });

  it('says nothing about a profile changing, an identifier claim or an order link', () => {
    const keys = { PK: 'CUSTOMER#cus_1', SK: 'PROFILE' };
    expect(
      eventsFromChange(customerChange('MODIFY', keys, { ...profileImage, version: 2 }, profileImage)),
    ).toEqual([]);
    expect(
      eventsFromChange(
        customerChange(
          'INSERT',
          { PK: `IDENT#email#${EMAIL}`, SK: 'IDENT' },
          { customerId: 'cus_1', type: 'email' },
        ),
      ),
    ).toEqual([]);
    expect(
      eventsFromChange(customerChange('INSERT', { PK: 'ORDER#ord_1', SK: 'CUSTOMER' }, { orderId: 'ord_1' })),
    ).toEqual([]);
  });

  it('turns a merge record into CustomerMerged, and its undoing into CustomerUnmerged, with distinct ids', () => {
    const [merged] = published(eventsFromChange(mergeInsert));
    const [unmerged] = published(eventsFromChange(mergeUndone));

    expect(merged).toMatchObject({
      detailType: 'CustomerMerged',
      detail: {
        data: {
          mergeId: 'mrg_1',
          survivorId: 'cus_2',
          mergedId: 'cus_1',
          rule: 'strong-identifiers-agree',
          by: 'policy',
          identifierTypes: ['email', 'phone'],
          orderIds: ['ord_1'],
        },
      },
    });
    expect(unmerged).toMatchObject({
      detailType: 'CustomerUnmerged',
      detail: {
        occurredAt: UNDONE_AT,
        data: { mergeId: 'mrg_1', survivorId: 'cus_2', restoredId: 'cus_1', repointedOrderIds: ['ord_7'] },
      },
    });
    expect(merged!.detail.id).not.toBe(unmerged!.detail.id);
    expect(eventsFromChange(mergeInsert)[0]!.detail.id).toBe(merged!.detail.id);
  });

  it('turns a new review item into CustomerReviewOpened', () => {
    const [event] = published(eventsFromChange(reviewInsert));

    expect(event).toMatchObject({
      detailType: 'CustomerReviewOpened',
      detail: {
        data: { reviewId: 'rev_1', customerIds: ['cus_1', 'cus_2'], placedOn: 'cus_1', orderId: 'ord_3' },
      },
    });
  });

  it('gives one of each published customer event from the sample changes', () => {
    const events = published(customerChanges.flatMap(eventsFromChange));

    expect(events.map((e) => e.detailType).sort()).toEqual(
      Object.keys(eventCatalogue['commerce.customers'] ?? {}).sort(),
    );
  });

  it('answers only for the customers table', () => {
    expect(eventsFromChange({ ...profileInsert, table: 'orders' })).toEqual([]);
  });
});
