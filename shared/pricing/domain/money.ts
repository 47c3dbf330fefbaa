/**
 * Money is exact: an amount is an integer number of minor units (pence, cents, yen) of an explicit
 * ISO 4217 currency, and every amount stays a safe integer. Nothing here goes through binary floating
 * point on an amount: products that could pass 2^52 are computed in BigInt.
 *
 * **The rounding rule, stated once for the whole system.** An amount that is not a whole number of
 * minor units — a percentage of a price, a part of a line's value — is the exact rational value
 * rounded to the nearest minor unit, a half rounding away from zero (half-up on the magnitude: 0.5p
 * → 1p, −0.5p → −1p, so a +x% and a −x% change of the same amount are equally large). Percentages are
 * integer basis points (1 bp = 0.01 %, 10,000 bp = 100 %).
 *
 * Splitting one amount over several parts (an order-level discount over lines, a line's paid total
 * over its units) never rounds each part on its own, which could lose or invent a unit: see
 * {@link allocateProportionally} and {@link refundForUnits}, whose parts always add up exactly.
 */

/** An amount of money: integer minor units of a currency. */
export interface Money {
  /** Minor units (e.g. pence for GBP); a safe integer. */
  amount: number;
  /** ISO 4217 code, e.g. `GBP`. */
  currency: string;
}

/** 100 % in basis points. */
export const BPS_PER_UNIT = 10_000;

/** Products below this are exact in a double; above it we switch to BigInt. */
const EXACT_NUMBER_LIMIT = 2 ** 52;

let knownCurrencies: Set<string> | undefined;
const exponents = new Map<string, number>();

/** True for an ISO 4217 code the runtime's Intl data knows (`GBP`, `JPY`, `KWD`…). */
export function isCurrency(code: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf('currency'));
  return knownCurrencies.has(code);
}

/**
 * How many minor units make a major unit, as a power of ten: 2 for GBP (pence), 0 for JPY, 3 for
 * KWD. Taken from the runtime's ICU data (ISO 4217), so no table of our own can drift from it.
 */
export function currencyExponent(currency: string): number {
  const known = exponents.get(currency);
  if (known !== undefined) return known;
  if (!isCurrency(currency)) throw new RangeError(`${currency} is not an ISO 4217 currency`);
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
    .maximumFractionDigits as number;
  exponents.set(currency, digits);
  return digits;
}

/** Throws unless `amount` is a safe integer: an amount that lost precision would be a wrong price. */
export function assertMinor(amount: number, what = 'amount'): number {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`${what} ${amount} is not a safe integer`);
  return amount;
}

/** The sum of amounts, refusing to leave the safe-integer range. */
export function sumMinor(amounts: readonly number[]): number {
  let total = 0;
  for (const amount of amounts) total += amount;
  return assertMinor(total, 'sum');
}

/** A unit amount times a quantity, refusing to leave the safe-integer range. */
export function multiplyMinor(unit: number, quantity: number): number {
  return assertMinor(unit * quantity, `${unit} × ${quantity}`);
}

/**
 * `numerator / denominator` rounded by the rule above (nearest, halves away from zero), exactly.
 * `denominator` must be positive.
 */
function roundedQuotient(numerator: number, denominator: number): number {
  const negative = numerator < 0;
  const n = Math.abs(numerator);
  let q = Math.floor(n / denominator);
  // The division above is correctly rounded, not exact: settle the integer quotient by its remainder.
  let r = n - q * denominator;
  if (r < 0) {
    q -= 1;
    r += denominator;
  } else if (r >= denominator) {
    q += 1;
    r -= denominator;
  }
  const rounded = 2 * r >= denominator ? q + 1 : q;
  // No -0: it would compare unequal to 0 under Object.is and leak into stored amounts.
  return negative && rounded !== 0 ? -rounded : rounded;
}

function roundedQuotientBig(numerator: bigint, denominator: bigint): number {
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  const q = n / denominator;
  const r = n % denominator;
  const rounded = 2n * r >= denominator ? q + 1n : q;
  return assertMinor(Number(negative ? -rounded : rounded), 'result');
}

/**
 * `amount × numerator / denominator`, rounded once by the rule above. The one primitive behind every
 * percentage and every fractional part of an amount.
 */
export function scaleMinor(amount: number, numerator: number, denominator: number): number {
  assertMinor(amount);
  assertMinor(numerator, 'numerator');
  if (!Number.isSafeInteger(denominator) || denominator <= 0)
    throw new RangeError(`denominator ${denominator} must be a positive safe integer`);
  if (Math.abs(amount) * Math.abs(numerator) < EXACT_NUMBER_LIMIT) {
    return roundedQuotient(amount * numerator, denominator);
  }
  return roundedQuotientBig(BigInt(amount) * BigInt(numerator), BigInt(denominator));
}

/** `bps` basis points of `amount` (signed), rounded by the rule above: `percentOf(1999, 500)` = 100. */
export function percentOf(amount: number, bps: number): number {
  return scaleMinor(amount, bps, BPS_PER_UNIT);
}

/** Compares a/b with c/d exactly (b, d > 0): negative, zero or positive. */
export function compareRatios(a: number, b: number, c: number, d: number): number {
  if (Math.abs(a) * d < EXACT_NUMBER_LIMIT && Math.abs(c) * b < EXACT_NUMBER_LIMIT) return a * d - c * b;
  const left = BigInt(a) * BigInt(d);
  const right = BigInt(c) * BigInt(b);
  return left === right ? 0 : left < right ? -1 : 1;
}

/**
 * Splits `total` (≥ 0) over parts in proportion to `weights` (≥ 0), exactly: the parts add up to
 * `total`. Each part is its exact share rounded down; the units left over (fewer than the number of
 * parts) go one each to the parts with the largest fractional remainders — ties to the larger weight,
 * then to the earlier part. So the owner of every remainder unit is deterministic, and each part is
 * within one minor unit of its exact share: a part never exceeds its weight when `total` does not
 * exceed the sum of the weights (a discount never takes a line below zero).
 */
export function allocateProportionally(total: number, weights: readonly number[]): number[] {
  assertMinor(total, 'total');
  if (total < 0) throw new RangeError('total must not be negative');
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0))
    throw new RangeError('weights must be non-negative safe integers');
  const sum = weights.reduce((s, w) => s + w, 0);
  if (total === 0) return weights.map(() => 0);
  if (sum === 0) throw new RangeError('cannot allocate over parts that all weigh nothing');
  const big = !Number.isSafeInteger(sum) || total * sum >= EXACT_NUMBER_LIMIT;
  const parts: number[] = [];
  const remainders: { index: number; remainder: bigint; weight: number }[] = [];
  let given = 0;
  for (const [index, weight] of weights.entries()) {
    let share: number;
    let remainder: bigint;
    if (big) {
      const product = BigInt(total) * BigInt(weight);
      share = Number(product / BigInt(sum));
      remainder = product % BigInt(sum);
    } else {
      const product = total * weight;
      share = Math.floor(product / sum);
      let r = product - share * sum;
      if (r < 0) {
        share -= 1;
        r += sum;
      } else if (r >= sum) {
        share += 1;
        r -= sum;
      }
      remainder = BigInt(r);
    }
    parts.push(share);
    given += share;
    remainders.push({ index, remainder, weight });
  }
  remainders.sort((x, y) =>
    x.remainder !== y.remainder
      ? x.remainder > y.remainder
        ? -1
        : 1
      : x.weight !== y.weight
        ? y.weight - x.weight
        : x.index - y.index,
  );
  for (let left = total - given, i = 0; left > 0; left--, i++) {
    const owner = remainders[i]!.index;
    parts[owner] = parts[owner]! + 1;
  }
  return parts;
}

/**
 * What returning `returning` units of a line refunds, when `alreadyReturned` of its `quantity` units
 * came back before and the line was paid `paid` in all (after its discounts). The paid total is
 * spread over the units in order — after k units come back, exactly ⌊paid × k / quantity⌋ has been
 * refunded — so refunds for any sequence of partial returns add up to what was paid, never more, and
 * the last unit returned carries the rounding remainder.
 */
export function refundForUnits(
  paid: number,
  quantity: number,
  alreadyReturned: number,
  returning: number,
): number {
  assertMinor(paid, 'paid');
  if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError('quantity must be positive');
  if (!Number.isSafeInteger(alreadyReturned) || alreadyReturned < 0 || alreadyReturned > quantity)
    throw new RangeError('alreadyReturned must be between 0 and the quantity');
  if (!Number.isSafeInteger(returning) || returning < 0 || alreadyReturned + returning > quantity)
    throw new RangeError('cannot return more units than the line has left');
  const refundedAfter = (units: number) => Number((BigInt(paid) * BigInt(units)) / BigInt(quantity));
  return refundedAfter(alreadyReturned + returning) - refundedAfter(alreadyReturned);
}

/**
 * An amount in words for traces and messages, exactly (string arithmetic, no floats):
 * `formatMinor(-105, 'GBP')` = `-1.05 GBP`, `formatMinor(500, 'JPY')` = `500 JPY`.
 */
export function formatMinor(amount: number, currency: string): string {
  const exponent = isCurrency(currency) ? currencyExponent(currency) : 2;
  const digits = Math.abs(amount)
    .toString()
    .padStart(exponent + 1, '0');
  const major = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${amount < 0 ? '-' : ''}${major} ${currency}`;
}

/** Basis points in words: `500` → `5%`, `-2000` → `-20%`, `1250` → `12.5%`. */
export function formatBps(bps: number, signed = false): string {
  const whole = Math.trunc(Math.abs(bps) / 100);
  const fraction = (Math.abs(bps) % 100).toString().padStart(2, '0').replace(/0+$/, '');
  const sign = bps < 0 ? '-' : signed && bps > 0 ? '+' : '';
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}%`;
}
