import type { z } from 'zod';
import {
  basePriceInputSchema,
  priceRuleInputSchema,
  promotionInputSchema,
  quoteInputSchema,
} from '../../../shared/pricing/schemas';

function problemPaths(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return [...new Set(result.error.issues.map((issue) => issue.path.map(String).join('.')))];
}

const RULE = {
  name: 'Marketplace +5%',
  channels: ['marketplace'],
  adjustment: { type: 'percent', bps: 500 },
  validFrom: '2026-11-27T00:00:00Z',
};

const PROMOTION = {
  name: 'Black Friday 20%',
  channels: ['web', 'app'],
  scope: { categories: ['apparel'] },
  kind: { type: 'percentOff', bps: 2000 },
  validFrom: '2026-11-27T00:00:00Z',
  validTo: '2026-11-28T00:00:00Z',
  limits: { total: 100 },
};

describe('priceRuleInputSchema', () => {
  it('accepts a named, dated rule and fills its defaults', () => {
    expect(priceRuleInputSchema.parse(RULE)).toEqual({ ...RULE, scope: {}, priority: 100 });
  });

  it('stores times to the second in UTC', () => {
    const parsed = priceRuleInputSchema.parse({ ...RULE, validFrom: '2026-11-27T01:00:00+01:00' });

    expect(parsed.validFrom).toBe('2026-11-27T00:00:00Z');
  });

  it.each([
    ['a fraction of a second', { validFrom: '2026-11-27T00:00:00.500Z' }, 'validFrom'],
    ['a time without an offset', { validFrom: '2026-11-27T00:00:00' }, 'validFrom'],
    ['an end before its start', { validTo: '2026-11-26T00:00:00Z' }, 'validTo'],
    ['an end at its start', { validTo: '2026-11-27T00:00:00Z' }, 'validTo'],
    ['a change of zero', { adjustment: { type: 'percent', bps: 0 } }, 'adjustment.bps'],
    ['a cut of more than 100%', { adjustment: { type: 'percent', bps: -10_001 } }, 'adjustment.bps'],
    ['a fraction of a basis point', { adjustment: { type: 'percent', bps: 2.5 } }, 'adjustment.bps'],
    [
      'an unknown currency',
      { adjustment: { type: 'amount', amount: { amount: -100, currency: 'QQQ' } } },
      'adjustment.amount.currency',
    ],
    [
      'a fractional amount',
      { adjustment: { type: 'amount', amount: { amount: -1.5, currency: 'GBP' } } },
      'adjustment.amount.amount',
    ],
    ['a channel twice', { channels: ['web', 'web'] }, 'channels'],
    ['no channel', { channels: [] }, 'channels'],
    ['an unknown channel', { channels: ['fax'] }, 'channels.0'],
  ])('refuses %s', (_, change, path) => {
    expect(problemPaths(priceRuleInputSchema, { ...RULE, ...change })).toEqual([path]);
  });
});

describe('promotionInputSchema', () => {
  it('accepts a promotion with its stacking rules and limits', () => {
    expect(promotionInputSchema.parse(PROMOTION)).toMatchObject({
      stopAfter: false,
      priority: 100,
      limits: { total: 100 },
    });
  });

  it('defaults buy X get Y to free units and amounts off to each unit', () => {
    expect(
      promotionInputSchema.parse({ ...PROMOTION, kind: { type: 'buyXGetY', buy: 2, get: 1 } }).kind,
    ).toEqual({
      type: 'buyXGetY',
      buy: 2,
      get: 1,
      bps: 10_000,
    });
    expect(
      promotionInputSchema.parse({
        ...PROMOTION,
        kind: { type: 'amountOff', amount: { amount: 500, currency: 'GBP' } },
      }).kind,
    ).toMatchObject({ per: 'unit' });
  });

  it.each([
    ['more than 100% off', { kind: { type: 'percentOff', bps: 10_001 } }, 'kind.bps'],
    ['nothing off', { kind: { type: 'percentOff', bps: 0 } }, 'kind.bps'],
    ['an unknown kind', { kind: { type: 'mystery' } }, 'kind.type'],
    ['limits with no limit', { limits: {} }, 'limits'],
    ['a zero limit', { limits: { total: 0 } }, 'limits.total'],
    [
      'a minimum in another currency',
      {
        kind: {
          type: 'orderAmountOff',
          amount: { amount: 500, currency: 'GBP' },
          minSubtotal: { amount: 5000, currency: 'EUR' },
        },
      },
      'kind.minSubtotal.currency',
    ],
    ['a SKU twice in its scope', { scope: { skus: ['A', 'A'] } }, 'scope.skus'],
  ])('refuses %s', (_, change, path) => {
    expect(problemPaths(promotionInputSchema, { ...PROMOTION, ...change })).toEqual([path]);
  });
});

describe('basePriceInputSchema', () => {
  it('refuses a currency twice, a negative or fractional amount', () => {
    expect(
      problemPaths(basePriceInputSchema, {
        prices: [
          { currency: 'GBP', amount: 1999 },
          { currency: 'GBP', amount: 2000 },
        ],
      }),
    ).toEqual(['prices']);
    expect(problemPaths(basePriceInputSchema, { prices: [{ currency: 'GBP', amount: -1 }] })).toEqual([
      'prices.0.amount',
    ]);
    expect(problemPaths(basePriceInputSchema, { prices: [{ currency: 'GBP', amount: 19.99 }] })).toEqual([
      'prices.0.amount',
    ]);
  });
});

describe('quoteInputSchema', () => {
  it('prices in GBP unless told otherwise', () => {
    expect(quoteInputSchema.parse({ lines: [{ sku: 'TEE', quantity: 1 }] }).currency).toBe('GBP');
  });

  it('names a SKU that appears on two lines', () => {
    const lines = [
      { sku: 'TEE', quantity: 1 },
      { sku: 'TEE', quantity: 2 },
    ];

    expect(problemPaths(quoteInputSchema, { lines })).toEqual(['lines.1.sku']);
  });

  it('takes at most 50 lines', () => {
    const lines = Array.from({ length: 51 }, (_, i) => ({ sku: `S${i}`, quantity: 1 }));

    expect(problemPaths(quoteInputSchema, { lines })).toEqual(['lines']);
  });
});
