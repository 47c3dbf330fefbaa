import fc from 'fast-check';
import { DomainError } from '../../../shared/platform/errors';
import { CHANNELS, type Channel } from '../../../shared/platform/principals';
import { indexPriceBook } from '../../../shared/pricing/domain/book-index';
import {
  type CartLine,
  type PriceCartInput,
  type PricedCart,
  priceCart,
} from '../../../shared/pricing/domain/engine';
import { percentOf } from '../../../shared/pricing/domain/money';
import type { PriceRule, Promotion, PromotionKind } from '../../../shared/pricing/domain/price-book';
import {
  BASE_PRICES,
  line,
  MARKETPLACE_UPLIFT,
  promotion,
  rule,
  STORE_CLEARANCE,
} from '../../fixtures/pricing/book';

const NOW = '2026-11-27T12:00:00Z';

function price(
  lines: CartLine[],
  book: { rules?: PriceRule[]; promotions?: Promotion[] } = {},
  extra: Partial<PriceCartInput> = {},
): PricedCart {
  return priceCart({
    channel: 'web',
    currency: 'GBP',
    at: NOW,
    lines,
    basePrices: BASE_PRICES,
    rules: book.rules ?? [],
    promotions: book.promotions ?? [],
    ...extra,
  } as PriceCartInput);
}

const codesOf = (cart: PricedCart, index = 0) =>
  cart.lines[index]!.notApplied.map((n) => `${n.id}:${n.code}`);
const discountIds = (cart: PricedCart, index = 0) => cart.lines[index]!.discounts.map((d) => d.promotionId);

function rejection(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('priceCart: base prices and channel rules', () => {
  const cart = [line('TEE', 2), line('MUG', 1)];
  const rules = [MARKETPLACE_UPLIFT, STORE_CLEARANCE];

  it('prices the same cart the same for web and app', () => {
    const web = price(cart, { rules }, { channel: 'web' });
    const app = price(cart, { rules }, { channel: 'app' });

    expect(app.lines).toEqual(web.lines);
    expect(app.totals).toEqual({ subtotal: 2 * 1999 + 850, discount: 0, total: 2 * 1999 + 850 });
  });

  it('prices the marketplace exactly 5% above, and the trace names the rule', () => {
    const web = price(cart, { rules }, { channel: 'web' });
    const marketplace = price(cart, { rules }, { channel: 'marketplace' });

    for (const [i, webLine] of web.lines.entries()) {
      const mp = marketplace.lines[i]!;
      expect(mp.unitPrice - webLine.unitPrice).toBe(percentOf(webLine.unitBase, 500));
      expect(mp.trace[1]).toMatchObject({
        kind: 'rule',
        id: 'marketplace-uplift',
        name: 'Marketplace +5%',
        before: webLine.unitPrice,
        after: mp.unitPrice,
      });
    }
    expect(marketplace.lines[0]!.unitPrice).toBe(2099); // 1999 + 99.95 → 2099 (half-up on 0.95 → 100)
  });

  it('applies a category rule to the category and its sub-categories only', () => {
    const book = {
      rules: [
        rule('apparel-store', {
          channels: ['store'],
          scope: { categories: ['apparel'] },
          adjustment: { type: 'percent', bps: -1000 },
        }),
      ],
    };

    const priced = price([line('TEE'), line('MUG')], book, { channel: 'store' });

    expect(priced.lines[0]!.unitPrice).toBe(1999 - 200);
    expect(priced.lines[1]!.unitPrice).toBe(850);
  });

  it('applies a channel’s rules in priority order, each on what the previous left', () => {
    const book = {
      rules: [
        rule('b-amount', {
          priority: 20,
          adjustment: { type: 'amount', amount: { amount: -100, currency: 'GBP' } },
        }),
        rule('a-percent', { priority: 10, adjustment: { type: 'percent', bps: 1000 } }),
      ],
    };

    const priced = price([line('MUG')], book, { channel: 'marketplace' });

    // 850 + 10% = 935, then -100 = 835 (the other order would give 825).
    expect(priced.lines[0]!.unitPrice).toBe(835);
    expect(priced.lines[0]!.trace.map((s) => ('id' in s ? s.id : s.kind))).toEqual([
      'base',
      'a-percent',
      'b-amount',
    ]);
  });

  it('never takes a unit price below zero, and says so', () => {
    const book = {
      rules: [
        rule('huge-cut', { adjustment: { type: 'amount', amount: { amount: -5000, currency: 'GBP' } } }),
      ],
    };

    const priced = price([line('MUG')], book, { channel: 'marketplace' });

    expect(priced.lines[0]!.unitPrice).toBe(0);
    expect(priced.lines[0]!.trace[1]!.effect).toMatch(/does not go below zero/);
  });

  it('does not apply an amount rule of another currency, and says why', () => {
    const book = {
      rules: [
        rule('euro-cut', { adjustment: { type: 'amount', amount: { amount: -100, currency: 'EUR' } } }),
      ],
    };

    const priced = price([line('TEE')], book, { channel: 'marketplace' });

    expect(priced.lines[0]!.unitPrice).toBe(1999);
    expect(priced.lines[0]!.notApplied).toEqual([
      expect.objectContaining({ kind: 'rule', id: 'euro-cut', code: 'OTHER_CURRENCY' }),
    ]);
  });

  it('prices in the currency asked for', () => {
    expect(price([line('TEE')], {}, { currency: 'EUR' }).lines[0]!.unitPrice).toBe(2299);
  });

  it('names every line whose SKU has no base price in the currency (422 NO_PRICE)', () => {
    const error = rejection(() => price([line('TEE'), line('MUG'), line('NOPE')], {}, { currency: 'EUR' }));

    expect(error).toMatchObject({ status: 422, code: 'NO_PRICE' });
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'lines.1.sku', sku: 'MUG', currency: 'EUR' }),
      expect.objectContaining({ path: 'lines.2.sku', sku: 'NOPE', currency: 'EUR' }),
    ]);
  });
});

describe('priceCart: amounts that would not be exact', () => {
  const huge = new Map([
    ['BIG', { GBP: 2 ** 52 }],
    ['ALSO-BIG', { GBP: 2 ** 52 }],
  ]);

  it('refuses a line whose total would pass the safe-integer range, naming its quantity', () => {
    const error = rejection(() => price([{ sku: 'BIG', quantity: 3 }], {}, { basePrices: huge }));

    expect(error).toMatchObject({
      status: 422,
      code: 'AMOUNT_TOO_LARGE',
      details: [{ path: 'lines.0.quantity' }],
    });
  });

  it('refuses a cart whose total would', () => {
    const lines = [
      { sku: 'BIG', quantity: 1 },
      { sku: 'ALSO-BIG', quantity: 1 },
    ];

    expect(rejection(() => price(lines, {}, { basePrices: huge }))).toMatchObject({
      code: 'AMOUNT_TOO_LARGE',
    });
  });
});

describe('priceCart: promotion windows, to the second', () => {
  const starts = '2026-11-27T12:00:00Z';
  const ends = '2026-11-27T18:00:00Z';
  const book = { promotions: [promotion('flash', { validFrom: starts, validTo: ends })] };
  const at = (iso: string) => price([line('TEE')], book, { at: iso });

  it('has not started a second before validFrom', () => {
    const priced = at('2026-11-27T11:59:59Z');

    expect(priced.totals.discount).toBe(0);
    expect(priced.lines[0]!.notApplied).toEqual([
      expect.objectContaining({ id: 'flash', code: 'NOT_STARTED', reason: `starts at ${starts}` }),
    ]);
  });

  it('applies from validFrom exactly (inclusive)', () => {
    expect(discountIds(at(starts))).toEqual(['flash']);
  });

  it('applies until the last millisecond before validTo', () => {
    expect(discountIds(at('2026-11-27T17:59:59.999Z'))).toEqual(['flash']);
  });

  it('has ended at validTo exactly (exclusive)', () => {
    expect(codesOf(at(ends))).toEqual(['flash:ENDED']);
  });

  it('lets one deal end at the second the next starts, with no second in both', () => {
    const handover = {
      promotions: [
        promotion('day-1', { validFrom: '2026-11-27T00:00:00Z', validTo: starts }),
        promotion('day-2', { validFrom: starts }),
      ],
    };

    expect(discountIds(price([line('TEE')], handover, { at: '2026-11-27T11:59:59Z' }))).toEqual(['day-1']);
    expect(discountIds(price([line('TEE')], handover, { at: starts }))).toEqual(['day-2']);
  });
});

describe('priceCart: stacking', () => {
  const tenOff = (id: string, fields: Partial<Promotion> = {}) =>
    promotion(id, { kind: { type: 'percentOff', bps: 1000 }, ...fields });
  const poundOff = (id: string, fields: Partial<Promotion> = {}) =>
    promotion(id, {
      kind: { type: 'amountOff', amount: { amount: 100, currency: 'GBP' }, per: 'unit' },
      ...fields,
    });

  it('applies promotions in priority order, each to what the earlier ones left', () => {
    const priced = price([line('TEE')], {
      promotions: [poundOff('second', { priority: 2 }), tenOff('first', { priority: 1 })],
    });

    // 1999 - 10% (200) = 1799, then -100 = 1699.
    expect(priced.lines[0]!.discounts).toEqual([
      { promotionId: 'first', name: 'first', type: 'percentOff', amount: 200 },
      { promotionId: 'second', name: 'second', type: 'amountOff', amount: 100 },
    ]);
    expect(priced.lines[0]!.lineTotal).toBe(1699);
  });

  it('applies equal priorities in id order', () => {
    const priced = price([line('TEE')], { promotions: [tenOff('b'), poundOff('a')] });

    expect(discountIds(priced)).toEqual(['a', 'b']);
  });

  it('stops after a stop-after promotion on the lines it applied to', () => {
    const promotions = [
      tenOff('tees', { priority: 1, stopAfter: true, scope: { categories: ['apparel.tees'] } }),
      poundOff('everything', { priority: 2 }),
    ];

    const priced = price([line('TEE'), line('MUG')], { promotions });

    expect(discountIds(priced, 0)).toEqual(['tees']);
    expect(codesOf(priced, 0)).toEqual(['everything:STOPPED']);
    expect(discountIds(priced, 1)).toEqual(['everything']);
  });

  it('applies only the best deal of an exclusive group, at the place of its first member', () => {
    const promotions = [
      tenOff('ten', { priority: 5, exclusiveGroup: 'welcome' }),
      poundOff('pound', { priority: 50, exclusiveGroup: 'welcome' }),
      promotion('fifteen', {
        priority: 60,
        exclusiveGroup: 'welcome',
        kind: { type: 'percentOff', bps: 1500 },
      }),
      poundOff('other', { priority: 10 }),
    ];

    const priced = price([line('TEE', 2)], { promotions });

    // The group is judged at priority 5, before `other`: 15% of 3998 (600) beats 10% (400) and 2 × 1.00.
    expect(discountIds(priced)).toEqual(['fifteen', 'other']);
    expect(priced.lines[0]!.notApplied).toEqual([
      expect.objectContaining({ id: 'ten', code: 'EXCLUDED_BY_GROUP' }),
      expect.objectContaining({ id: 'pound', code: 'EXCLUDED_BY_GROUP' }),
    ]);
    expect(priced.lines[0]!.notApplied[0]!.reason).toMatch(
      /welcome: fifteen \(fifteen\) gives more \(6.00 GBP against 4.00 GBP\)/,
    );
  });

  it('keeps a group member out for its own reason when it cannot apply', () => {
    const promotions = [
      tenOff('ten', { exclusiveGroup: 'g' }),
      tenOff('later', { exclusiveGroup: 'g', validFrom: '2027-01-01T00:00:00Z' }),
    ];

    const priced = price([line('TEE')], { promotions });

    expect(discountIds(priced)).toEqual(['ten']);
    expect(codesOf(priced)).toEqual(['later:NOT_STARTED']);
  });

  it('offers only the channels a promotion is for', () => {
    const promotions = [tenOff('app-only', { channels: ['app'] })];

    expect(price([line('TEE')], { promotions }, { channel: 'web' }).totals.discount).toBe(0);
    expect(price([line('TEE')], { promotions }, { channel: 'app' }).totals.discount).toBe(200);
  });
});

describe('priceCart: kinds of deal', () => {
  it('takes an amount off each unit, or once off the line, never more than the line is worth', () => {
    const promotions = [
      promotion('unit', {
        kind: { type: 'amountOff', amount: { amount: 300, currency: 'GBP' }, per: 'unit' },
        scope: { skus: ['SOCKS'] },
      }),
      promotion('line', {
        kind: { type: 'amountOff', amount: { amount: 300, currency: 'GBP' }, per: 'line' },
        scope: { skus: ['MUG'] },
      }),
      promotion('too-much', {
        priority: 200,
        kind: { type: 'amountOff', amount: { amount: 5000, currency: 'GBP' }, per: 'line' },
      }),
    ];

    const priced = price([line('SOCKS', 3), line('MUG', 2)], { promotions });

    expect(priced.lines[0]!.discounts.map((d) => d.amount)).toEqual([900, 3 * 499 - 900]);
    expect(priced.lines[1]!.discounts.map((d) => d.amount)).toEqual([300, 2 * 850 - 300]);
    expect(priced.lines.map((l) => l.lineTotal)).toEqual([0, 0]);
  });

  it('gives buy 2 get 1 free on the cheapest unit of each group, across lines', () => {
    const promotions = [
      promotion('3for2', {
        kind: { type: 'buyXGetY', buy: 2, get: 1, bps: 10_000 },
        scope: { categories: ['apparel'] },
      }),
    ];

    // Units by price: TEE 1999, TEE 1999, CAP 1200 | SOCKS 499, SOCKS 499, SOCKS 499.
    const priced = price([line('TEE', 2), line('CAP', 1), line('SOCKS', 3)], { promotions });

    expect(priced.lines.map((l) => l.discountTotal)).toEqual([0, 1200, 499]);
    expect(priced.lines[2]!.trace.at(-1)).toMatchObject({
      kind: 'promotion',
      units: 1,
      effect: expect.stringMatching(/1 of 3 unit/),
    });
    expect(codesOf(priced, 0)).toEqual(['3for2:QUALIFYING_UNITS']);
  });

  it('says buy X get Y needs more units when the cart has too few', () => {
    const promotions = [promotion('3for2', { kind: { type: 'buyXGetY', buy: 2, get: 1, bps: 10_000 } })];

    const priced = price([line('TEE', 2)], { promotions });

    expect(priced.totals.discount).toBe(0);
    expect(priced.lines[0]!.notApplied[0]).toMatchObject({
      code: 'NOT_ENOUGH_UNITS',
      reason: expect.stringMatching(/more than 2 unit/),
    });
  });

  it('allocates an order discount to lines in proportion to their value, stored per line', () => {
    const promotions = [
      promotion('ten-pounds', {
        kind: { type: 'orderAmountOff', amount: { amount: 1000, currency: 'GBP' } },
      }),
    ];

    const priced = price([line('TEE', 1), line('MUG', 1), line('SOCKS', 1)], { promotions });

    // 1000 × (1999, 850, 499) / 3348 = 597.07, 253.88, 149.04 → 597, 253, 149 and the one unit left
    // goes to the largest remainder (MUG's .88).
    expect(priced.lines.map((l) => l.discountTotal)).toEqual([597, 254, 149]);
    expect(priced.promotions).toEqual([
      expect.objectContaining({ promotionId: 'ten-pounds', amount: 1000, type: 'orderAmountOff' }),
    ]);
  });

  it('takes an order percentage once off the total, then allocates it', () => {
    const promotions = [promotion('order-10', { kind: { type: 'orderPercentOff', bps: 1000 } })];

    const priced = price([line('TEE'), line('MUG'), line('SOCKS')], { promotions });

    expect(priced.totals.discount).toBe(percentOf(1999 + 850 + 499, 1000));
  });

  it('holds an order discount back below its minimum subtotal, and says so', () => {
    const promotions = [
      promotion('over-50', {
        kind: {
          type: 'orderAmountOff',
          amount: { amount: 500, currency: 'GBP' },
          minSubtotal: { amount: 5000, currency: 'GBP' },
        },
      }),
    ];

    const priced = price([line('TEE')], { promotions });

    expect(priced.totals.discount).toBe(0);
    expect(priced.lines[0]!.notApplied[0]).toMatchObject({
      code: 'BELOW_MINIMUM',
      reason: 'needs 50.00 GBP of the cart in its scope; there is 19.99 GBP',
    });
  });
});

describe('priceCart: usage limits', () => {
  const limited = promotion('first-100', { limits: { total: 100 } });
  const perCustomer = promotion('once-each', { limits: { perCustomer: 1 } });

  it('offers a limited promotion while uses are left', () => {
    const usage = new Map([['first-100', { total: 99 }]]);

    const priced = price([line('TEE')], { promotions: [limited] }, { usage });

    expect(priced.promotions).toEqual([
      expect.objectContaining({ promotionId: 'first-100', limits: { total: 100 } }),
    ]);
  });

  it('holds it back once every use is taken', () => {
    const usage = new Map([['first-100', { total: 100 }]]);

    expect(codesOf(price([line('TEE')], { promotions: [limited] }, { usage }))).toEqual([
      'first-100:LIMIT_REACHED',
    ]);
  });

  it('needs a known customer for a per-customer limit, and counts that customer’s uses', () => {
    expect(codesOf(price([line('TEE')], { promotions: [perCustomer] }))).toEqual([
      'once-each:CUSTOMER_REQUIRED',
    ]);
    expect(discountIds(price([line('TEE')], { promotions: [perCustomer] }, { customerId: 'c1' }))).toEqual([
      'once-each',
    ]);
    const usage = new Map([['once-each', { total: 5, customer: 1 }]]);
    expect(codesOf(price([line('TEE')], { promotions: [perCustomer] }, { customerId: 'c1', usage }))).toEqual(
      ['once-each:CUSTOMER_LIMIT_REACHED'],
    );
  });
});

describe('priceCart: the index', () => {
  it('gives the same prices from a prebuilt index as from the plain lists', () => {
    const promotions = [
      promotion('p1', { scope: { skus: ['TEE'] } }),
      promotion('p2', { scope: { categories: ['home'] } }),
    ];
    const rules = [MARKETPLACE_UPLIFT];
    const lines = [line('TEE'), line('MUG')];
    const plain = price(lines, { rules, promotions }, { channel: 'marketplace' });
    const indexed = priceCart({
      channel: 'marketplace',
      currency: 'GBP',
      at: NOW,
      lines,
      basePrices: BASE_PRICES,
      book: indexPriceBook(rules, promotions),
    });

    expect(indexed).toEqual(plain);
  });

  it('matches a promotion naming a line by SKU and by category once', () => {
    const promotions = [promotion('both', { scope: { skus: ['TEE'], categories: ['apparel'] } })];

    expect(price([line('TEE')], { promotions }).lines[0]!.discounts).toHaveLength(1);
  });
});

describe('priceCart: properties', () => {
  const skus = [...BASE_PRICES.keys()];
  const kind: fc.Arbitrary<PromotionKind> = fc.oneof(
    fc.record({ type: fc.constant('percentOff' as const), bps: fc.integer({ min: 1, max: 10_000 }) }),
    fc.record({
      type: fc.constant('amountOff' as const),
      amount: fc.record({ amount: fc.integer({ min: 1, max: 5000 }), currency: fc.constant('GBP') }),
      per: fc.constantFrom('unit' as const, 'line' as const),
    }),
    fc.record({
      type: fc.constant('buyXGetY' as const),
      buy: fc.integer({ min: 1, max: 4 }),
      get: fc.integer({ min: 1, max: 3 }),
      bps: fc.integer({ min: 1, max: 10_000 }),
    }),
    fc.record({
      type: fc.constant('orderAmountOff' as const),
      amount: fc.record({ amount: fc.integer({ min: 1, max: 20_000 }), currency: fc.constant('GBP') }),
    }),
    fc.record({ type: fc.constant('orderPercentOff' as const), bps: fc.integer({ min: 1, max: 10_000 }) }),
  );
  const promotions = fc
    .array(
      fc.record({
        kind,
        priority: fc.integer({ min: 0, max: 5 }),
        stopAfter: fc.boolean(),
        group: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
        scope: fc.oneof(
          fc.constant({}),
          fc.record({ skus: fc.uniqueArray(fc.constantFrom(...skus), { minLength: 1 }) }),
          fc.record({ categories: fc.constant<string[]>(['apparel']) }),
        ),
      }),
      { maxLength: 12 },
    )
    .map((specs) =>
      specs.map((s, i) =>
        promotion(`p${i}`, {
          kind: s.kind,
          priority: s.priority,
          stopAfter: s.stopAfter,
          scope: s.scope,
          ...(s.group ? { exclusiveGroup: s.group } : {}),
        }),
      ),
    );
  const cart = fc
    .uniqueArray(fc.constantFrom(...skus), { minLength: 1 })
    .chain((chosen) =>
      fc.tuple(
        ...chosen.map((sku) => fc.integer({ min: 1, max: 20 }).map((quantity) => line(sku, quantity))),
      ),
    );
  const channel = fc.constantFrom<Channel>(...CHANNELS);

  it('never takes a line below zero, and its totals add up exactly', () => {
    fc.assert(
      fc.property(cart, promotions, channel, (lines, book, ch) => {
        const priced = price(
          lines,
          { promotions: book, rules: [MARKETPLACE_UPLIFT, STORE_CLEARANCE] },
          { channel: ch },
        );
        for (const l of priced.lines) {
          expect(l.lineTotal).toBeGreaterThanOrEqual(0);
          expect(l.lineSubtotal).toBe(l.unitPrice * l.quantity);
          expect(l.discountTotal).toBe(l.discounts.reduce((s, d) => s + d.amount, 0));
          expect(l.lineTotal).toBe(l.lineSubtotal - l.discountTotal);
          expect(l.discounts.every((d) => Number.isSafeInteger(d.amount) && d.amount > 0)).toBe(true);
        }
        expect(priced.totals.total).toBe(priced.lines.reduce((s, l) => s + l.lineTotal, 0));
        expect(priced.totals.total).toBe(priced.totals.subtotal - priced.totals.discount);
      }),
    );
  });

  it('allocates each promotion’s discount to lines so the lines add up to it exactly', () => {
    fc.assert(
      fc.property(cart, promotions, (lines, book) => {
        const priced = price(lines, { promotions: book });
        for (const applied of priced.promotions) {
          const onLines = priced.lines
            .flatMap((l) => l.discounts)
            .filter((d) => d.promotionId === applied.promotionId)
            .reduce((s, d) => s + d.amount, 0);
          expect(onLines).toBe(applied.amount);
        }
      }),
    );
  });

  it('applies at most one promotion of an exclusive group, and none after a stop-after on its lines', () => {
    fc.assert(
      fc.property(cart, promotions, (lines, book) => {
        const priced = price(lines, { promotions: book });
        const byId = new Map(book.map((p) => [p.promotionId, p]));
        for (const group of ['g1', 'g2']) {
          expect(
            priced.promotions.filter((p) => byId.get(p.promotionId)?.exclusiveGroup === group).length,
          ).toBeLessThanOrEqual(1);
        }
        for (const l of priced.lines) {
          const stop = l.discounts.findIndex((d) => byId.get(d.promotionId)?.stopAfter);
          if (stop >= 0) expect(l.discounts).toHaveLength(stop + 1);
        }
      }),
    );
  });

  it('does not depend on the order the book lists its promotions in', () => {
    fc.assert(
      fc.property(cart, promotions, (lines, book) => {
        expect(price(lines, { promotions: [...book].reverse() })).toEqual(price(lines, { promotions: book }));
      }),
    );
  });

  it('prices web and app alike when no rule or promotion tells them apart', () => {
    fc.assert(
      fc.property(cart, promotions, (lines, book) => {
        const web = price(lines, { promotions: book, rules: [MARKETPLACE_UPLIFT] }, { channel: 'web' });
        const app = price(lines, { promotions: book, rules: [MARKETPLACE_UPLIFT] }, { channel: 'app' });
        expect(app.lines).toEqual(web.lines);
      }),
    );
  });
});
