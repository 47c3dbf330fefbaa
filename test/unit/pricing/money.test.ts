import fc from 'fast-check';
import {
  allocateProportionally,
  compareRatios,
  currencyExponent,
  formatBps,
  formatMinor,
  isCurrency,
  multiplyMinor,
  percentOf,
  refundForUnits,
  scaleMinor,
} from '../../../shared/pricing/domain/money';

/** The rounding rule computed the slow, obviously exact way: BigInt, halves away from zero. */
function reference(amount: number, numerator: number, denominator: number): number {
  const product = BigInt(amount) * BigInt(numerator);
  const negative = product < 0n;
  const magnitude = negative ? -product : product;
  const d = BigInt(denominator);
  const rounded = magnitude / d + (2n * (magnitude % d) >= d ? 1n : 0n);
  return Number(negative ? -rounded : rounded);
}

const amount = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

describe('currencies', () => {
  it.each([
    ['GBP', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
  ])('knows the minor-unit exponent of %s (%d)', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });

  it('refuses a code that is not ISO 4217', () => {
    expect(isCurrency('QQQ')).toBe(false);
    expect(() => currencyExponent('QQQ')).toThrow('not an ISO 4217 currency');
  });
});

describe('percentOf', () => {
  it.each([
    [1999, 500, 100], // 99.95 → 100
    [10, 2500, 3], // 2.5 → 3: a half rounds up
    [-10, 2500, -3], // -2.5 → -3: and away from zero when negative
    [30, 5000, 15],
    [1, 4999, 0], // 0.4999 → 0
    [2000, -2000, -400],
  ])('takes %d × %d bp = %d minor units', (value, bps, expected) => {
    expect(percentOf(value, bps)).toBe(expected);
  });

  it('never answers -0 (it would compare unequal to 0)', () => {
    expect(Object.is(percentOf(-1, 1), 0)).toBe(true);
  });

  it('is exact past 2^53 intermediate products', () => {
    expect(percentOf(9_007_199_254_740_991, 3333)).toBe(reference(9_007_199_254_740_991, 3333, 10_000));
  });

  it('rounds every product exactly by the stated rule', () => {
    fc.assert(
      fc.property(
        amount,
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1e9 }),
        (a, n, d) => {
          const expected = reference(a, n, d);
          fc.pre(Number.isSafeInteger(expected));
          expect(scaleMinor(a, n, d)).toBe(expected);
        },
      ),
    );
  });

  it('makes +x% and -x% of an amount equally large', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 0, max: 100_000 }), (a, bps) => {
        fc.pre(Math.abs(a) < 2 ** 40);
        expect(percentOf(a, -bps) + percentOf(a, bps)).toBe(0);
      }),
    );
  });
});

describe('multiplyMinor', () => {
  it('refuses a product that would not be exact', () => {
    expect(() => multiplyMinor(Number.MAX_SAFE_INTEGER, 2)).toThrow('not a safe integer');
    expect(multiplyMinor(1999, 3)).toBe(5997);
  });
});

describe('compareRatios', () => {
  it('orders fractions exactly', () => {
    fc.assert(
      fc.property(
        amount,
        fc.integer({ min: 1, max: 1e6 }),
        amount,
        fc.integer({ min: 1, max: 1e6 }),
        (a, b, c, d) => {
          const left = BigInt(a) * BigInt(d);
          const right = BigInt(c) * BigInt(b);
          expect(Math.sign(compareRatios(a, b, c, d))).toBe(left === right ? 0 : left < right ? -1 : 1);
        },
      ),
    );
  });
});

describe('allocateProportionally', () => {
  const weights = fc.array(fc.integer({ min: 0, max: 10_000_000_000 }), { minLength: 1, maxLength: 50 });

  it('splits a total so that the parts add up to it exactly', () => {
    fc.assert(
      fc.property(weights, fc.integer({ min: 0, max: 1e12 }), (w, total) => {
        fc.pre(w.some((x) => x > 0));
        const parts = allocateProportionally(total, w);
        expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
      }),
    );
  });

  it('gives each part its exact share rounded down or up, never more than its weight', () => {
    fc.assert(
      fc.property(weights, fc.double({ min: 0, max: 1, noNaN: true }), (w, fraction) => {
        const sum = w.reduce((s, x) => s + x, 0);
        fc.pre(sum > 0);
        const total = Math.floor(sum * fraction);
        const parts = allocateProportionally(total, w);
        for (const [i, part] of parts.entries()) {
          const exact = (BigInt(total) * BigInt(w[i]!)) / BigInt(sum);
          expect(BigInt(part) === exact || BigInt(part) === exact + 1n).toBe(true);
          expect(part).toBeLessThanOrEqual(w[i]!);
          expect(part).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('gives the remainder to the largest fractional shares, ties to the larger weight, then the earlier part', () => {
    // 100 over 3, 3, 3: shares 33⅓ each; one unit left goes to the first part.
    expect(allocateProportionally(100, [3, 3, 3])).toEqual([34, 33, 33]);
    // 10 over 1, 2: shares 3⅓ and 6⅔; the larger remainder takes the unit.
    expect(allocateProportionally(10, [1, 2])).toEqual([3, 7]);
    // 1 over 5, 5, 10: shares ¼, ¼, ½: the half (the larger weight) owns the unit.
    expect(allocateProportionally(1, [5, 5, 10])).toEqual([0, 0, 1]);
    // 2 over 1, 1, 1 cannot give any part more than its weight.
    expect(allocateProportionally(2, [1, 1, 1])).toEqual([1, 1, 0]);
  });

  it('gives the same answer every time for the same input', () => {
    fc.assert(
      fc.property(weights, fc.integer({ min: 0, max: 1e9 }), (w, total) => {
        fc.pre(w.some((x) => x > 0));
        expect(allocateProportionally(total, w)).toEqual(allocateProportionally(total, [...w]));
      }),
    );
  });
});

describe('refundForUnits', () => {
  it('refunds exactly what was paid over any sequence of partial returns', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc
          .integer({ min: 1, max: 10_000 })
          .chain((quantity) =>
            fc.tuple(
              fc.constant(quantity),
              fc.array(fc.integer({ min: 1, max: quantity }), { maxLength: 20 }),
            ),
          ),
        (paid, [quantity, returns]) => {
          let returned = 0;
          let refunded = 0;
          for (const units of returns) {
            const take = Math.min(units, quantity - returned);
            refunded += refundForUnits(paid, quantity, returned, take);
            returned += take;
            expect(refunded).toBeLessThanOrEqual(paid);
          }
          refunded += refundForUnits(paid, quantity, returned, quantity - returned);
          expect(refunded).toBe(paid);
        },
      ),
    );
  });

  it('refunds one unit of three units paid 10.00 as 3.33, and the last unit carries the remainder', () => {
    expect(refundForUnits(1000, 3, 0, 1)).toBe(333);
    expect(refundForUnits(1000, 3, 1, 1)).toBe(333);
    expect(refundForUnits(1000, 3, 2, 1)).toBe(334);
  });

  it('refuses to return more units than the line has left', () => {
    expect(() => refundForUnits(1000, 3, 2, 2)).toThrow('cannot return more units');
  });
});

describe('formatting', () => {
  it('writes amounts exactly in their currency', () => {
    expect(formatMinor(-105, 'GBP')).toBe('-1.05 GBP');
    expect(formatMinor(5, 'GBP')).toBe('0.05 GBP');
    expect(formatMinor(500, 'JPY')).toBe('500 JPY');
    expect(formatMinor(1234567, 'KWD')).toBe('1234.567 KWD');
  });

  it('writes basis points as percentages', () => {
    expect(formatBps(500, true)).toBe('+5%');
    expect(formatBps(-2000)).toBe('-20%');
    expect(formatBps(1250)).toBe('12.5%');
    expect(formatBps(1)).toBe('0.01%');
  });
});
