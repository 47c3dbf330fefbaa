import { DomainError } from '../../platform/errors';
import type { Channel } from '../../platform/principals';
import { indexPriceBook, type Match, type MatchableLine, matchLines, type PriceBook } from './book-index';
import {
  allocateProportionally,
  BPS_PER_UNIT,
  compareRatios,
  formatBps,
  formatMinor,
  multiplyMinor,
  percentOf,
  scaleMinor,
} from './money';
import {
  categoryPath,
  type PriceRule,
  type Promotion,
  type PromotionType,
  type PromotionUsage,
  type UsageLimits,
} from './price-book';

/**
 * The pricing engine: one pure function that prices a cart for a channel at a moment, and says why
 * each line costs what it costs. Every channel and every path (quotes, orders, channel price
 * snapshots) prices through it, so a price shown is the price charged.
 *
 * Order of work, per line: the base price in the cart's currency; the channel's rules in priority
 * order (each on the unit price the previous one left); the line subtotal (unit price × quantity);
 * then the promotions in priority order, each on what earlier ones left of the line, under their
 * stacking rules and usage limits. Order-level promotions are allocated to the lines they cover.
 */

/** A line to price; `category` (from the catalog) lets category-scoped rules and promotions find it. */
export interface CartLine {
  sku: string;
  quantity: number;
  category?: string | undefined;
}

interface PriceCartCommon {
  channel: Channel;
  /** ISO 4217; every amount of the result is in it. */
  currency: string;
  /** The moment priced (ISO 8601): what is in its window then applies. */
  at: string;
  /** Needed for promotions limited per customer. */
  customerId?: string | undefined;
  lines: readonly CartLine[];
  /** Base prices by SKU: minor units by currency. */
  basePrices: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Uses so far of the limited promotions (absent: none used). */
  usage?: ReadonlyMap<string, PromotionUsage>;
}

/** The cart, and the price book as an index ({@link indexPriceBook}) or as plain lists. */
export type PriceCartInput = PriceCartCommon &
  ({ book: PriceBook } | { rules: readonly PriceRule[]; promotions: readonly Promotion[] });

/** Why a rule or promotion that could have applied to a line did not, machine-readably. */
export type NotAppliedCode =
  | 'NOT_STARTED'
  | 'ENDED'
  | 'OTHER_CURRENCY'
  | 'LIMIT_REACHED'
  | 'CUSTOMER_REQUIRED'
  | 'CUSTOMER_LIMIT_REACHED'
  | 'STOPPED'
  | 'EXCLUDED_BY_GROUP'
  | 'NOT_ENOUGH_UNITS'
  | 'BELOW_MINIMUM'
  | 'NOTHING_TO_DISCOUNT'
  | 'QUALIFYING_UNITS'
  | 'ZERO_SHARE';

/** A rule or promotion considered for a line but not applied to it, and why. */
export interface NotApplied {
  kind: 'rule' | 'promotion';
  id: string;
  name: string;
  code: NotAppliedCode;
  reason: string;
}

/**
 * One applied step of a line's price, in order: the base price, each channel rule (on the unit
 * price), each promotion (on the line's value). `effect` says it in words; the numbers say it exactly.
 */
export type TraceStep =
  | { kind: 'base'; effect: string; after: number }
  | {
      kind: 'rule';
      id: string;
      name: string;
      type: 'percent' | 'amount';
      effect: string;
      /** Unit price before and after the rule. */
      before: number;
      after: number;
    }
  | {
      kind: 'promotion';
      id: string;
      name: string;
      type: PromotionType;
      level: 'line' | 'order';
      effect: string;
      /** The line's value before and after the promotion. */
      before: number;
      after: number;
      amount: number;
      /** buyXGetY: how many of the line's units were discounted. */
      units?: number;
    };

/** A promotion's discount on one line: what a partial return refunds is worked out from these. */
export interface LineDiscount {
  promotionId: string;
  name: string;
  type: PromotionType;
  amount: number;
}

export interface PricedLine {
  sku: string;
  quantity: number;
  category?: string;
  /** The base price of one unit. */
  unitBase: number;
  /** One unit after the channel's rules, before promotions. */
  unitPrice: number;
  /** unitPrice × quantity. */
  lineSubtotal: number;
  discounts: LineDiscount[];
  discountTotal: number;
  /** What the line costs: lineSubtotal − discountTotal, never below zero. */
  lineTotal: number;
  trace: TraceStep[];
  notApplied: NotApplied[];
}

/** A promotion that applied to the cart, with its whole discount and its limits (for usage counting). */
export interface AppliedPromotion {
  promotionId: string;
  name: string;
  type: PromotionType;
  amount: number;
  limits?: UsageLimits;
}

export interface PricedCart {
  channel: Channel;
  currency: string;
  pricedAt: string;
  customerId?: string;
  lines: PricedLine[];
  totals: { subtotal: number; discount: number; total: number };
  /** In the order they applied. */
  promotions: AppliedPromotion[];
}

/** 422 `NO_PRICE`: lines whose SKU has no base price in the cart's currency, each by its path. */
export const noPrice = (missing: { index: number; sku: string }[], currency: string) =>
  new DomainError(
    422,
    'NO_PRICE',
    `No base price in ${currency} for ${missing.map((m) => m.sku).join(', ')}`,
    missing.map((m) => ({
      path: `lines.${m.index}.sku`,
      message: `no base price in ${currency}`,
      sku: m.sku,
      currency,
    })),
  );

const amountTooLarge = (path: string) =>
  new DomainError(422, 'AMOUNT_TOO_LARGE', 'The cart is worth more than an amount can hold exactly', [
    { path, message: 'the amount would not be exact; order fewer units' },
  ]);

/**
 * The unit price of one SKU on a channel after its rules (no promotions): what a line starts from,
 * and what a channel price snapshot records.
 */
export function applyChannelRules(
  book: PriceBook,
  channel: Channel,
  currency: string,
  line: MatchableLine,
  unitBase: number,
  atMs: number,
): { unitPrice: number; ruleIds: string[]; trace: TraceStep[]; notApplied: NotApplied[] } {
  const trace: TraceStep[] = [];
  const notApplied: NotApplied[] = [];
  const ruleIds: string[] = [];
  let unit = unitBase;
  for (const { entry } of matchLines(book.rules.get(channel), [line])) {
    const rule = entry.item;
    const skip = (code: NotAppliedCode, reason: string) =>
      notApplied.push({ kind: 'rule', id: rule.ruleId, name: rule.name, code, reason });
    if (atMs < entry.fromMs) {
      skip('NOT_STARTED', `starts at ${rule.validFrom}`);
      continue;
    }
    if (atMs >= entry.toMs) {
      skip('ENDED', `ended at ${rule.validTo}`);
      continue;
    }
    const adjustment = rule.adjustment;
    if (adjustment.type === 'amount' && adjustment.amount.currency !== currency) {
      skip('OTHER_CURRENCY', `its amount is in ${adjustment.amount.currency}, the price in ${currency}`);
      continue;
    }
    const change = adjustment.type === 'percent' ? percentOf(unit, adjustment.bps) : adjustment.amount.amount;
    const after = Math.max(0, unit + change);
    const what =
      adjustment.type === 'percent'
        ? formatBps(adjustment.bps, true)
        : `${change >= 0 ? '+' : ''}${formatMinor(change, currency)}`;
    trace.push({
      kind: 'rule',
      id: rule.ruleId,
      name: rule.name,
      type: adjustment.type,
      effect: `${what}: ${formatMinor(unit, currency)} → ${formatMinor(after, currency)} a unit${
        unit + change < 0 ? ' (a price does not go below zero)' : ''
      }`,
      before: unit,
      after,
    });
    ruleIds.push(rule.ruleId);
    unit = after;
  }
  return { unitPrice: unit, ruleIds, trace, notApplied };
}

interface LineState {
  sku: string;
  quantity: number;
  category?: string;
  unitBase: number;
  unitPrice: number;
  subtotal: number;
  /** What is left of the line after the promotions so far. */
  value: number;
  discounts: LineDiscount[];
  trace: TraceStep[];
  notApplied: NotApplied[];
  /** The stop-after promotion that ended promotions for this line. */
  stoppedBy?: string;
}

interface Note {
  code: NotAppliedCode;
  reason: string;
}

/** What a promotion would do to the cart as it stands: nothing (and why), or its amount per line. */
type Outcome =
  | { ok: false; note: Note }
  | {
      ok: true;
      total: number;
      amounts: Map<number, number>;
      units?: Map<number, number>;
      /** Lines in scope that it does not discount, and why. */
      notes: Map<number, Note>;
      effect: (line: number, amount: number) => string;
      level: 'line' | 'order';
    };

interface Context {
  currency: string;
  atMs: number;
  customerId?: string | undefined;
  usage?: ReadonlyMap<string, PromotionUsage> | undefined;
  lines: LineState[];
}

/** Whether a promotion may apply at all: its window, its limits, its currency. */
function gate(match: Match<Promotion>, ctx: Context): Note | undefined {
  const promotion = match.entry.item;
  if (ctx.atMs < match.entry.fromMs)
    return { code: 'NOT_STARTED', reason: `starts at ${promotion.validFrom}` };
  if (ctx.atMs >= match.entry.toMs) return { code: 'ENDED', reason: `ended at ${promotion.validTo}` };
  const limits = promotion.limits;
  if (limits) {
    const used = ctx.usage?.get(promotion.promotionId);
    if (limits.total !== undefined && (used?.total ?? 0) >= limits.total) {
      return { code: 'LIMIT_REACHED', reason: `all ${limits.total} uses are taken` };
    }
    if (limits.perCustomer !== undefined) {
      if (ctx.customerId === undefined) {
        return {
          code: 'CUSTOMER_REQUIRED',
          reason: `limited to ${limits.perCustomer} use(s) per customer: needs a known customer`,
        };
      }
      if ((used?.customer ?? 0) >= limits.perCustomer) {
        return {
          code: 'CUSTOMER_LIMIT_REACHED',
          reason: `the customer has used it ${used?.customer ?? 0} time(s), the most allowed`,
        };
      }
    }
  }
  const kind = promotion.kind;
  const money =
    kind.type === 'amountOff' || kind.type === 'orderAmountOff'
      ? [kind.amount, ...(kind.type === 'orderAmountOff' && kind.minSubtotal ? [kind.minSubtotal] : [])]
      : kind.type === 'orderPercentOff' && kind.minSubtotal
        ? [kind.minSubtotal]
        : [];
  const foreign = money.find((m) => m.currency !== ctx.currency);
  if (foreign) {
    return {
      code: 'OTHER_CURRENCY',
      reason: `its amounts are in ${foreign.currency}, the cart in ${ctx.currency}`,
    };
  }
  return undefined;
}

/** Units of `eligible` lines discounted by buy X get Y, by line. */
function buyXGetYUnits(eligible: number[], ctx: Context, buy: number, get: number): Map<number, number> {
  const group = buy + get;
  /** How many of the first n units (most expensive first) are discounted. */
  const discounted = (n: number) => Math.floor(n / group) * get + Math.max(0, (n % group) - buy);
  const byUnitValue = [...eligible].sort((a, b) => {
    const x = ctx.lines[a]!;
    const y = ctx.lines[b]!;
    return compareRatios(y.value, y.quantity, x.value, x.quantity) || a - b;
  });
  const units = new Map<number, number>();
  let position = 0;
  for (const index of byUnitValue) {
    const quantity = ctx.lines[index]!.quantity;
    units.set(index, discounted(position + quantity) - discounted(position));
    position += quantity;
  }
  return units;
}

/** What a promotion that passed its gate would take off each line in its scope, as the cart stands. */
function evaluate(match: Match<Promotion>, ctx: Context): Outcome {
  const gated = gate(match, ctx);
  if (gated) return { ok: false, note: gated };
  const promotion = match.entry.item;
  const kind = promotion.kind;
  const { currency } = ctx;
  const notes = new Map<number, Note>();
  const eligible: number[] = [];
  for (const index of match.lines) {
    const line = ctx.lines[index]!;
    if (line.stoppedBy !== undefined) {
      notes.set(index, {
        code: 'STOPPED',
        reason: `no promotion applies after ${line.stoppedBy} (stop-after)`,
      });
    } else if (line.value === 0) {
      notes.set(index, { code: 'NOTHING_TO_DISCOUNT', reason: 'nothing is left of the line to discount' });
    } else {
      eligible.push(index);
    }
  }
  const amounts = new Map<number, number>();
  const money = (amount: number) => formatMinor(amount, currency);
  let units: Map<number, number> | undefined;
  let level: 'line' | 'order' = 'line';
  let effect: (line: number, amount: number) => string;
  let whenNothing: Note = { code: 'NOTHING_TO_DISCOUNT', reason: 'it takes nothing off the cart' };

  switch (kind.type) {
    case 'percentOff':
      for (const i of eligible) amounts.set(i, percentOf(ctx.lines[i]!.value, kind.bps));
      effect = (_, amount) => `${formatBps(kind.bps)} off the line: -${money(amount)}`;
      break;
    case 'amountOff':
      for (const i of eligible) {
        const line = ctx.lines[i]!;
        const off =
          kind.per === 'unit' ? multiplyMinor(kind.amount.amount, line.quantity) : kind.amount.amount;
        amounts.set(i, Math.min(line.value, off));
      }
      effect = (i, amount) => {
        const line = ctx.lines[i]!;
        const what =
          kind.per === 'unit'
            ? `${money(kind.amount.amount)} off each of ${line.quantity} unit(s)`
            : `${money(kind.amount.amount)} off the line`;
        const capped =
          amount < (kind.per === 'unit' ? kind.amount.amount * line.quantity : kind.amount.amount);
        return `${what}: -${money(amount)}${capped ? ' (no more than what was left of the line)' : ''}`;
      };
      break;
    case 'buyXGetY': {
      units = buyXGetYUnits(eligible, ctx, kind.buy, kind.get);
      const inScope = eligible.reduce((n, i) => n + ctx.lines[i]!.quantity, 0);
      for (const i of eligible) {
        const line = ctx.lines[i]!;
        const discounted = units.get(i) ?? 0;
        // The discounted units' part of the line's value, `bps` of it: value × units × bps / (qty × 100%).
        amounts.set(i, scaleMinor(line.value, discounted * kind.bps, line.quantity * BPS_PER_UNIT));
        if (discounted === 0 && inScope > kind.buy) {
          notes.set(i, {
            code: 'QUALIFYING_UNITS',
            reason: `its units count towards buy ${kind.buy} get ${kind.get}; the cheaper units get the discount`,
          });
        }
      }
      const deal = kind.bps === BPS_PER_UNIT ? 'free' : `${formatBps(kind.bps)} off`;
      effect = (i, amount) =>
        `buy ${kind.buy} get ${kind.get} ${deal}: ${units?.get(i) ?? 0} of ${ctx.lines[i]!.quantity} unit(s) discounted, -${money(amount)}`;
      whenNothing = {
        code: 'NOT_ENOUGH_UNITS',
        reason: `needs more than ${kind.buy} unit(s) in its scope; the cart has ${inScope}`,
      };
      break;
    }
    case 'orderAmountOff':
    case 'orderPercentOff': {
      level = 'order';
      const weights = eligible.map((i) => ctx.lines[i]!.value);
      const base = weights.reduce((s, w) => s + w, 0);
      const minimum = kind.minSubtotal?.amount ?? 0;
      let off = 0;
      if (base < minimum) {
        whenNothing = {
          code: 'BELOW_MINIMUM',
          reason: `needs ${money(minimum)} of the cart in its scope; there is ${money(base)}`,
        };
      } else if (base > 0) {
        off = kind.type === 'orderAmountOff' ? Math.min(kind.amount.amount, base) : percentOf(base, kind.bps);
        const shares = allocateProportionally(off, weights);
        for (const [k, i] of eligible.entries()) amounts.set(i, shares[k]!);
      }
      const whole =
        kind.type === 'orderAmountOff'
          ? `${money(off)} off the order`
          : `${formatBps(kind.bps)} off the order (${money(off)})`;
      effect = (_, amount) => `share of ${whole}, in proportion to line value: -${money(amount)}`;
      break;
    }
  }
  let total = 0;
  for (const amount of amounts.values()) total += amount;
  const rounded: Note = { code: 'ZERO_SHARE', reason: 'its part of the discount rounds to nothing' };
  for (const i of eligible) {
    if ((amounts.get(i) ?? 0) === 0 && !notes.has(i)) notes.set(i, total === 0 ? whenNothing : rounded);
  }
  return { ok: true, total, amounts, ...(units ? { units } : {}), notes, effect, level };
}

function noteLines(match: Match<Promotion>, ctx: Context, note: (line: number) => Note | undefined): void {
  const promotion = match.entry.item;
  for (const index of match.lines) {
    const found = note(index);
    if (found) {
      ctx.lines[index]!.notApplied.push({
        kind: 'promotion',
        id: promotion.promotionId,
        name: promotion.name,
        ...found,
      });
    }
  }
}

/** Applies an outcome: discounts and trace on the lines it takes from, notes on the others. */
function apply(match: Match<Promotion>, outcome: Outcome, ctx: Context): number {
  const promotion = match.entry.item;
  if (!outcome.ok) {
    noteLines(match, ctx, () => outcome.note);
    return 0;
  }
  for (const [index, amount] of outcome.amounts) {
    if (amount === 0) continue;
    const line = ctx.lines[index]!;
    const before = line.value;
    line.value = before - amount;
    line.discounts.push({
      promotionId: promotion.promotionId,
      name: promotion.name,
      type: promotion.kind.type,
      amount,
    });
    const units = outcome.units?.get(index);
    line.trace.push({
      kind: 'promotion',
      id: promotion.promotionId,
      name: promotion.name,
      type: promotion.kind.type,
      level: outcome.level,
      effect: outcome.effect(index, amount),
      before,
      after: line.value,
      amount,
      ...(units !== undefined ? { units } : {}),
    });
    if (promotion.stopAfter) line.stoppedBy = `${promotion.name} (${promotion.promotionId})`;
  }
  noteLines(match, ctx, (index) => outcome.notes.get(index));
  return outcome.total;
}

/**
 * Prices a cart: each line's unit and line price with the trace of every step applied and of every
 * rule or promotion considered but not applied, the cart's totals, and the promotions applied.
 * Throws 422 `NO_PRICE` naming every line whose SKU has no base price in the currency.
 */
export function priceCart(input: PriceCartInput): PricedCart {
  const book = 'book' in input ? input.book : indexPriceBook(input.rules, input.promotions);
  const { channel, currency } = input;
  const atMs = Date.parse(input.at);
  if (Number.isNaN(atMs)) throw new RangeError(`at ${input.at} is not a time`);

  const missing: { index: number; sku: string }[] = [];
  const matchable: MatchableLine[] = [];
  const lines: LineState[] = [];
  for (const [index, line] of input.lines.entries()) {
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0)
      throw new RangeError(`line ${index}: quantity must be a positive integer`);
    const unitBase = input.basePrices.get(line.sku)?.[currency];
    if (unitBase === undefined) {
      missing.push({ index, sku: line.sku });
      continue;
    }
    const target: MatchableLine = { sku: line.sku, categoryPath: categoryPath(line.category) };
    matchable.push(target);
    const ruled = applyChannelRules(book, channel, currency, target, unitBase, atMs);
    let subtotal: number;
    try {
      subtotal = multiplyMinor(ruled.unitPrice, line.quantity);
    } catch {
      throw amountTooLarge(`lines.${index}.quantity`);
    }
    lines.push({
      sku: line.sku,
      quantity: line.quantity,
      ...(line.category !== undefined ? { category: line.category } : {}),
      unitBase,
      unitPrice: ruled.unitPrice,
      subtotal,
      value: subtotal,
      discounts: [],
      trace: [
        { kind: 'base', effect: `base price ${formatMinor(unitBase, currency)} a unit`, after: unitBase },
        ...ruled.trace,
      ],
      notApplied: ruled.notApplied,
    });
  }
  if (missing.length > 0) throw noPrice(missing, currency);
  // Every later sum (an order discount's base, the totals) stays below the cart's subtotal.
  if (!Number.isSafeInteger(lines.reduce((sum, l) => sum + l.subtotal, 0))) throw amountTooLarge('lines');

  const ctx: Context = { currency, atMs, customerId: input.customerId, usage: input.usage, lines };
  const matches = matchLines(book.promotions.get(channel), matchable);
  const groups = new Map<string, Match<Promotion>[]>();
  for (const match of matches) {
    const group = match.entry.item.exclusiveGroup;
    if (group !== undefined) groups.set(group, [...(groups.get(group) ?? []), match]);
  }
  const applied: AppliedPromotion[] = [];
  const record = (promotion: Promotion, amount: number) => {
    if (amount <= 0) return;
    applied.push({
      promotionId: promotion.promotionId,
      name: promotion.name,
      type: promotion.kind.type,
      amount,
      ...(promotion.limits ? { limits: promotion.limits } : {}),
    });
  };
  const groupsDone = new Set<string>();
  for (const match of matches) {
    const group = match.entry.item.exclusiveGroup;
    if (group === undefined) {
      record(match.entry.item, apply(match, evaluate(match, ctx), ctx));
      continue;
    }
    if (groupsDone.has(group)) continue;
    groupsDone.add(group);
    // Every member is judged on the cart as it stands at the group's place; the best deal applies.
    const members = groups.get(group) ?? [];
    const outcomes = members.map((m) => evaluate(m, ctx));
    let best = -1;
    for (const [k, outcome] of outcomes.entries()) {
      const bestOutcome = outcomes[best];
      if (outcome.ok && outcome.total > 0 && (!bestOutcome?.ok || outcome.total > bestOutcome.total))
        best = k;
    }
    const winner = members[best];
    const winning = outcomes[best];
    for (const [k, member] of members.entries()) {
      const outcome = outcomes[k]!;
      if (k === best) {
        record(member.entry.item, apply(member, outcome, ctx));
      } else if (outcome.ok && outcome.total > 0 && winner && winning?.ok) {
        const loser: Note = {
          code: 'EXCLUDED_BY_GROUP',
          reason: `exclusive group ${group}: ${winner.entry.item.name} (${winner.entry.item.promotionId}) gives more (${formatMinor(winning.total, currency)} against ${formatMinor(outcome.total, currency)})`,
        };
        noteLines(member, ctx, (index) =>
          (outcome.amounts.get(index) ?? 0) > 0 ? loser : outcome.notes.get(index),
        );
      } else {
        apply(member, outcome, ctx);
      }
    }
  }

  const priced: PricedLine[] = lines.map((line) => {
    const discountTotal = line.subtotal - line.value;
    return {
      sku: line.sku,
      quantity: line.quantity,
      ...(line.category !== undefined ? { category: line.category } : {}),
      unitBase: line.unitBase,
      unitPrice: line.unitPrice,
      lineSubtotal: line.subtotal,
      discounts: line.discounts,
      discountTotal,
      lineTotal: line.value,
      trace: line.trace,
      notApplied: line.notApplied,
    };
  });
  let subtotal = 0;
  let discount = 0;
  for (const line of priced) {
    subtotal += line.lineSubtotal;
    discount += line.discountTotal;
  }
  return {
    channel,
    currency,
    pricedAt: input.at,
    ...(input.customerId !== undefined ? { customerId: input.customerId } : {}),
    lines: priced,
    totals: { subtotal, discount, total: subtotal - discount },
    promotions: applied,
  };
}
