import { indexPriceBook } from '../../../shared/pricing/domain/book-index';
import {
  effectiveChannelPrices,
  newerThan,
  planSnapshots,
  unionOfScopes,
} from '../../../shared/pricing/domain/channel-prices';
import type { BasePrice, ChannelPrice } from '../../../shared/pricing/domain/price-book';
import { MARKETPLACE_UPLIFT, rule, STORE_CLEARANCE } from '../../fixtures/pricing/book';

const base: BasePrice = {
  sku: 'OLD-TEE',
  prices: { GBP: 1000, EUR: 1200 },
  version: 3,
  updatedAt: '2026-11-01T00:00:00Z',
};
const inputs = { baseVersion: 3, rulesVersion: 7, computedAt: '2026-11-27T12:00:00.000Z' };
const book = indexPriceBook([MARKETPLACE_UPLIFT, STORE_CLEARANCE], []);

const stored = (fields: Partial<ChannelPrice>): ChannelPrice => ({
  sku: 'OLD-TEE',
  channel: 'web',
  currency: 'GBP',
  amount: 1000,
  ruleIds: [],
  ...inputs,
  version: 1,
  ...fields,
});

describe('effectiveChannelPrices', () => {
  it('prices every channel in every currency of the base price, with the rules behind each', () => {
    const prices = effectiveChannelPrices(book, base, 'clearance', inputs);

    expect(prices).toHaveLength(5 * 2);
    expect(prices.find((p) => p.channel === 'marketplace' && p.currency === 'GBP')).toMatchObject({
      amount: 1050,
      ruleIds: ['marketplace-uplift'],
    });
    expect(prices.find((p) => p.channel === 'store' && p.currency === 'EUR')).toMatchObject({
      amount: 960,
      ruleIds: ['store-clearance'],
    });
    expect(prices.find((p) => p.channel === 'web' && p.currency === 'GBP')).toMatchObject({
      amount: 1000,
      ruleIds: [],
    });
  });

  it('follows dated rules: the price on a rule’s first second includes it', () => {
    const dated = indexPriceBook(
      [
        rule('sale', {
          channels: ['web'],
          validFrom: '2026-11-27T12:00:00Z',
          adjustment: { type: 'percent', bps: -5000 },
        }),
      ],
      [],
    );

    const before = effectiveChannelPrices(dated, base, undefined, {
      ...inputs,
      computedAt: '2026-11-27T11:59:59.000Z',
    });
    const after = effectiveChannelPrices(dated, base, undefined, inputs);

    expect(before.find((p) => p.channel === 'web' && p.currency === 'GBP')?.amount).toBe(1000);
    expect(after.find((p) => p.channel === 'web' && p.currency === 'GBP')?.amount).toBe(500);
  });
});

describe('planSnapshots', () => {
  it('writes only prices or rule lists that changed, and removes currencies no longer priced', () => {
    const plan = planSnapshots(
      [
        stored({ amount: 1000 }),
        stored({ channel: 'app', amount: 900 }),
        stored({ currency: 'USD', amount: 1300 }),
      ],
      [
        { ...stored({ amount: 1000 }) },
        { ...stored({ channel: 'app', amount: 1000 }) },
        { ...stored({ channel: 'store', amount: 800, ruleIds: ['store-clearance'] }) },
      ],
    );

    expect(
      plan.writes.map((w) => [w.next.channel, w.next.amount, w.next.version, w.expectedVersion]),
    ).toEqual([
      ['app', 1000, 2, 1],
      ['store', 800, 1, 0],
    ]);
    expect(plan.removals.map((r) => r.currency)).toEqual(['USD']);
  });
});

describe('newerThan', () => {
  it('says when stored snapshots come from a newer base price or rule book', () => {
    expect(newerThan([stored({ rulesVersion: 8 })], inputs)).toBe('inputs');
    expect(newerThan([stored({ baseVersion: 4 })], inputs)).toBe('inputs');
  });

  it('says when the same inputs were computed later', () => {
    expect(newerThan([stored({ computedAt: '2026-11-27T12:00:01.000Z' })], inputs)).toBe('time');
    expect(newerThan([stored({})], inputs)).toBeUndefined();
    expect(
      newerThan([stored({ baseVersion: 2, computedAt: '2026-11-28T00:00:00.000Z' })], inputs),
    ).toBeUndefined();
  });
});

describe('unionOfScopes', () => {
  it('covers everything when one scope is unscoped', () => {
    expect(unionOfScopes([{ skus: ['A'] }, {}])).toEqual({ everything: true });
  });

  it('joins listed SKUs and categories', () => {
    expect(unionOfScopes([{ skus: ['A'] }, { skus: ['A', 'B'], categories: ['x'] }])).toEqual({
      everything: false,
      skus: ['A', 'B'],
      categories: ['x'],
    });
  });
});
