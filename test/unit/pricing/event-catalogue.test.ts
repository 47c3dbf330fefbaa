import Ajv from 'ajv';
import { catalogueEntries } from '../../../shared/platform/contracts/event-catalogue';
import type { DomainEvent } from '../../../shared/platform/events/envelope';
import { eventsFromChange } from '../../../shared/pricing/domain/record-events';
import { channelPriceChange, pricingEventSamples } from '../../fixtures/pricing/stream-records';

/** The pricing events as delivered by EventBridge, against the JSON Schemas the catalogue publishes. */
describe('the pricing events in the event catalogue', () => {
  const entries = catalogueEntries().filter((e) => e.source === 'commerce.pricing');
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const delivered = (event: DomainEvent) => ({
    version: '0',
    id: 'b1f0c4e2-0000-4000-8000-000000000000',
    'detail-type': event.detailType,
    source: event.source,
    account: '123456789012',
    time: '2024-05-01T09:05:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: JSON.parse(JSON.stringify(event.detail)),
  });

  it('has a sample of every event pricing publishes', () => {
    expect(
      pricingEventSamples()
        .map((e) => e.detailType)
        .sort(),
    ).toEqual(entries.map((e) => e.detailType).sort());
  });

  it.each(pricingEventSamples().map((e) => [e.detailType, e] as const))(
    'accepts a published %s as delivered',
    (_, sample) => {
      const entry = entries.find((e) => e.detailType === sample.detailType)!;

      expect(ajv.validate(entry.schema, delivered(sample)) ? [] : ajv.errors).toEqual([]);
      expect(ajv.validate(entry.schema, { ...delivered(sample), source: 'commerce.other' })).toBe(false);
    },
  );

  it('accepts a price that is gone (current null)', () => {
    const [removed] = eventsFromChange({
      ...channelPriceChange,
      eventName: 'REMOVE',
      oldImage: channelPriceChange.newImage!,
      newImage: undefined,
    });
    const entry = entries.find((e) => e.detailType === 'PriceChanged')!;

    expect(removed?.detail.data).toMatchObject({ current: null });
    expect(ajv.validate(entry.schema, delivered(removed!)) ? [] : ajv.errors).toEqual([]);
  });
});
