import type { RecordChange } from '../../../shared/platform/events/envelope';
import { eventsFromChange } from '../../../shared/pricing/domain/record-events';
import { pricingEvents } from '../../../shared/pricing/events';
import { MARKETPLACE_UPLIFT, promotion } from '../../fixtures/pricing/book';

const snapshot = (amount: number, version: number, ruleIds: string[] = []) => ({
  PK: 'SKU#TEE',
  SK: 'CHANNEL#marketplace#GBP',
  sku: 'TEE',
  channel: 'marketplace',
  currency: 'GBP',
  amount,
  ruleIds,
  baseVersion: 1,
  rulesVersion: 1,
  computedAt: '2026-11-27T12:00:00.000Z',
  version,
});

const change = (
  eventName: RecordChange['eventName'],
  keys: { PK: string; SK: string },
  oldImage?: Record<string, unknown>,
  newImage?: Record<string, unknown>,
): RecordChange => ({
  table: 'pricing',
  eventName,
  keys,
  ...(oldImage ? { oldImage } : {}),
  ...(newImage ? { newImage } : {}),
});

const SNAPSHOT_KEYS = { PK: 'SKU#TEE', SK: 'CHANNEL#marketplace#GBP' };

describe('pricing record events', () => {
  it('announces a channel price that moved, with the rules behind it', () => {
    const events = eventsFromChange(
      change('MODIFY', SNAPSHOT_KEYS, snapshot(1999, 1), snapshot(2099, 2, ['marketplace-uplift'])),
    );

    expect(events).toEqual([
      expect.objectContaining({
        source: 'commerce.pricing',
        detailType: 'PriceChanged',
        detail: expect.objectContaining({
          data: {
            sku: 'TEE',
            channel: 'marketplace',
            currency: 'GBP',
            previous: 1999,
            current: 2099,
            ruleIds: ['marketplace-uplift'],
            computedAt: '2026-11-27T12:00:00.000Z',
          },
        }),
      }),
    ]);
  });

  it('announces a first price without a previous one', () => {
    const [event] = eventsFromChange(change('INSERT', SNAPSHOT_KEYS, undefined, snapshot(1999, 1)));

    expect(event?.detail.data).not.toHaveProperty('previous');
    expect(event?.detail.data).toMatchObject({ current: 1999 });
  });

  it('stays silent when only the rules behind an unchanged price moved', () => {
    expect(
      eventsFromChange(change('MODIFY', SNAPSHOT_KEYS, snapshot(2099, 1, ['a']), snapshot(2099, 2, ['b']))),
    ).toEqual([]);
  });

  it('announces a price that is gone as current null', () => {
    const [event] = eventsFromChange(change('REMOVE', SNAPSHOT_KEYS, snapshot(1999, 3)));

    expect(event?.detail.data).toMatchObject({ previous: 1999, current: null, ruleIds: [] });
  });

  it('gives a redelivered record the same event id, and another version another', () => {
    const record = change('MODIFY', SNAPSHOT_KEYS, snapshot(1999, 1), snapshot(2099, 2));
    const next = change('MODIFY', SNAPSHOT_KEYS, snapshot(2099, 2), snapshot(1999, 3));

    expect(eventsFromChange(record)[0]?.detail.id).toBe(eventsFromChange(record)[0]?.detail.id);
    expect(eventsFromChange(next)[0]?.detail.id).not.toBe(eventsFromChange(record)[0]?.detail.id);
  });

  it('announces a rule change with the rule before it', () => {
    const keys = { PK: 'BOOK', SK: 'RULE#marketplace-uplift' };
    const before = { ...keys, ...MARKETPLACE_UPLIFT };
    const after = { ...keys, ...MARKETPLACE_UPLIFT, adjustment: { type: 'percent', bps: 700 }, version: 2 };

    const [event] = eventsFromChange(change('MODIFY', keys, before, after));

    expect(event?.detailType).toBe('PriceRuleChanged');
    expect(event?.detail.data).toMatchObject({
      ruleId: 'marketplace-uplift',
      rule: { adjustment: { bps: 700 }, version: 2 },
      previous: { adjustment: { bps: 500 }, version: 1 },
    });
    expect(event?.detail.data).not.toHaveProperty('rule.PK');
  });

  it('reads an empty scope that a stream reader gave as null as every SKU', () => {
    const keys = { PK: 'BOOK', SK: 'RULE#marketplace-uplift' };

    const [event] = eventsFromChange(
      change('INSERT', keys, undefined, { ...keys, ...MARKETPLACE_UPLIFT, scope: null }),
    );

    expect(event?.detail.data).toMatchObject({ rule: { scope: {} } });
  });

  it('announces a promotion change, and validates it against the published schema', () => {
    const keys = { PK: 'BOOK', SK: 'PROMO#black-friday' };
    const item = { ...keys, GSI1PK: 'PROMOTIONS', GSI1SK: '~#black-friday', ...promotion('black-friday') };

    const [event] = eventsFromChange(change('INSERT', keys, undefined, item));

    expect(event?.detailType).toBe('PromotionChanged');
    expect(pricingEvents.events.PromotionChanged.safeParse(event?.detail.data).success).toBe(true);
  });

  it('publishes nothing for base prices, usage counters and quotes', () => {
    for (const keys of [
      { PK: 'SKU#TEE', SK: 'PRICE' },
      { PK: 'USAGE#p', SK: 'TOTAL' },
      { PK: 'QUOTE#q', SK: 'QUOTE' },
    ]) {
      expect(eventsFromChange(change('INSERT', keys, undefined, { ...keys, version: 1 }))).toEqual([]);
    }
  });
});
