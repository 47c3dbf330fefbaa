import fc from 'fast-check';
import { channelAvailability } from '../../../shared/inventory/domain/allocation';
import {
  type ChannelRule,
  channelLocationAvailable,
  computeAvailable,
  sellable,
} from '../../../shared/inventory/domain/stock';
import { CHANNELS, type Principal } from '../../../shared/platform/definitions';
import { position, protectRule, shareRule, UPDATED_AT } from '../../fixtures/domain/network';

const at = (available: number) => ({ available });

describe('sellable', () => {
  it('is the stored available figure when it is not negative', () => {
    expect(sellable(at(7))).toBe(7);
    expect(sellable(at(0))).toBe(0);
  });

  it('shows a negative stored available as zero', () => {
    expect(sellable(at(-4))).toBe(0);
  });

  it('is never negative and equals available whenever available is not negative', () => {
    fc.assert(
      fc.property(fc.integer(), (available) => {
        const result = sellable(at(available));
        expect(result).toBeGreaterThanOrEqual(0);
        if (available >= 0) expect(result).toBe(available);
      }),
    );
  });
});

describe('computeAvailable', () => {
  it('is on hand less reserved less safety stock', () => {
    expect(computeAvailable(20, 5, 3)).toBe(12);
  });

  it('goes negative when a count lowers on hand below what is reserved', () => {
    expect(computeAvailable(2, 5, 0)).toBe(-3);
  });
});

describe('channelLocationAvailable', () => {
  it('is the location stock when the channel may sell more than that', () => {
    expect(channelLocationAvailable(at(4), 10)).toBe(4);
  });

  it('is the channel total when the location holds more than the channel may sell', () => {
    expect(channelLocationAvailable(at(40), 10)).toBe(10);
  });

  it('shows a location with negative available as zero', () => {
    expect(channelLocationAvailable(at(-2), 10)).toBe(0);
  });
});

describe('channelAvailability', () => {
  const positions = [position('SKU-1', 'DC1', 60), position('SKU-1', 'S1', 40)];

  it('gives every channel the network ATP when there are no rules', () => {
    const result = channelAvailability('SKU-1', 'web', positions, []);

    expect(result).toEqual({
      sku: 'SKU-1',
      channel: 'web',
      networkAtp: 100,
      available: 100,
      appliedRules: [],
    });
  });

  it('caps a channel at its share of network ATP, rounding down', () => {
    const odd = [position('SKU-1', 'DC1', 7), position('SKU-1', 'S1', 4)];
    const rules = [shareRule('r-share', 'marketplace', 50)];

    const result = channelAvailability('SKU-1', 'marketplace', odd, rules);

    expect(result.networkAtp).toBe(11);
    expect(result.available).toBe(5);
    expect(result.appliedRules).toEqual([
      { ruleId: 'r-share', name: 'marketplace at most 50%', effect: 'at most 50% of network ATP 11: 11 → 5' },
    ]);
  });

  it('does not cap a channel with another channel’s share rule', () => {
    const rules = [shareRule('r-share', 'marketplace', 50)];

    const result = channelAvailability('SKU-1', 'web', positions, rules);

    expect(result.available).toBe(100);
    expect(result.appliedRules).toEqual([]);
  });

  it('keeps protected units away from every other channel', () => {
    const rules = [protectRule('r-protect', 'store', 30)];

    const web = channelAvailability('SKU-1', 'web', positions, rules);

    expect(web.available).toBe(70);
    expect(web.appliedRules).toEqual([
      {
        ruleId: 'r-protect',
        name: '30 units kept for store',
        effect: '30 units protected for store: 100 → 70',
      },
    ]);
  });

  it('lets the protected channel itself sell the protected units', () => {
    const rules = [protectRule('r-protect', 'store', 30)];

    const store = channelAvailability('SKU-1', 'store', positions, rules);

    expect(store.available).toBe(100);
    expect(store.appliedRules).toEqual([]);
  });

  it('adds up protections for several other channels', () => {
    const rules = [protectRule('r1', 'store', 30), protectRule('r2', 'callcenter', 20)];

    expect(channelAvailability('SKU-1', 'web', positions, rules).available).toBe(50);
    expect(channelAvailability('SKU-1', 'store', positions, rules).available).toBe(80);
  });

  it('never goes below zero when more units are protected than exist', () => {
    const rules = [protectRule('r-protect', 'store', 500)];

    const result = channelAvailability('SKU-1', 'web', positions, rules);

    expect(result.available).toBe(0);
    expect(result.appliedRules[0]?.effect).toBe('500 units protected for store: 100 → 0');
  });

  it('ignores a protection of zero units', () => {
    const rules = [protectRule('r-protect', 'store', 0)];

    const result = channelAvailability('SKU-1', 'web', positions, rules);

    expect(result.available).toBe(100);
    expect(result.appliedRules).toEqual([]);
  });

  it('applies a share cap after protections, measured against the whole network ATP', () => {
    const rules = [shareRule('r-share', 'web', 50), protectRule('r-protect', 'store', 30)];

    const result = channelAvailability('SKU-1', 'web', positions, rules);

    expect(result.available).toBe(50);
    expect(result.appliedRules.map((r) => r.ruleId)).toEqual(['r-protect', 'r-share']);
  });

  it('does not let a share cap raise what protections already lowered', () => {
    const rules = [shareRule('r-share', 'web', 50), protectRule('r-protect', 'store', 60)];

    const result = channelAvailability('SKU-1', 'web', positions, rules);

    expect(result.available).toBe(40);
    expect(result.appliedRules.map((r) => r.ruleId)).toEqual(['r-protect']);
  });

  it('uses the tightest of several share rules', () => {
    const rules = [shareRule('r-60', 'web', 60), shareRule('r-25', 'web', 25), shareRule('r-40', 'web', 40)];

    const result = channelAvailability('SKU-1', 'web', positions, rules);

    expect(result.available).toBe(25);
  });

  it('applies a rule scoped to SKUs only to those SKUs', () => {
    const rules = [
      shareRule('r-share', 'web', 10, ['SKU-2']),
      protectRule('r-protect', 'store', 30, ['SKU-3']),
    ];
    const other = [position('SKU-2', 'DC1', 100)];

    expect(channelAvailability('SKU-1', 'web', positions, rules).available).toBe(100);
    expect(channelAvailability('SKU-2', 'web', other, rules).available).toBe(10);
  });

  it('lets ops see the raw network ATP whatever the rules say', () => {
    const rules = [shareRule('r-share', 'web', 10), protectRule('r-protect', 'store', 90)];

    const result = channelAvailability('SKU-1', 'ops', positions, rules);

    expect(result).toEqual({
      sku: 'SKU-1',
      channel: 'ops',
      networkAtp: 100,
      available: 100,
      appliedRules: [],
    });
  });

  it('counts a position with negative stored available as zero, not as a debt against the others', () => {
    const mixed = [position('SKU-1', 'DC1', -5), position('SKU-1', 'S1', 8)];

    const result = channelAvailability('SKU-1', 'web', mixed, []);

    expect(result.networkAtp).toBe(8);
    expect(result.available).toBe(8);
  });

  it('is zero for a SKU with no positions', () => {
    expect(channelAvailability('SKU-1', 'web', [], [shareRule('r', 'web', 50)]).available).toBe(0);
  });

  describe('invariants', () => {
    const SKUS = ['A', 'B'];
    const principal: fc.Arbitrary<Principal> = fc.constantFrom(...CHANNELS, 'ops');
    const channel = fc.constantFrom(...CHANNELS);
    const scope = fc.option(fc.subarray(SKUS, { minLength: 1 }), { nil: undefined });
    const rule: fc.Arbitrary<ChannelRule> = fc.oneof(
      fc.record({
        ruleId: fc.uuid(),
        type: fc.constant('maxShareOfAtp' as const),
        name: fc.constant('share'),
        channel,
        percent: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 100, noNaN: true })),
        skus: scope,
        updatedAt: fc.constant(UPDATED_AT),
      }),
      fc.record({
        ruleId: fc.uuid(),
        type: fc.constant('protectUnits' as const),
        name: fc.constant('protect'),
        channel,
        units: fc.integer({ min: 0, max: 1000 }),
        skus: scope,
        updatedAt: fc.constant(UPDATED_AT),
      }),
    );
    const scenario = fc.record({
      sku: fc.constantFrom(...SKUS),
      principal,
      available: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }),
      rules: fc.array(rule, { maxLength: 6 }),
    });
    const applies = (r: ChannelRule, sku: string) => !r.skus || r.skus.includes(sku);

    it('reports network ATP as the sum of sellable positions', () => {
      fc.assert(
        fc.property(scenario, ({ sku, principal, available, rules }) => {
          const result = channelAvailability(
            sku,
            principal,
            available.map((a, i) => ({ locationId: `L${i}`, available: a })),
            rules,
          );

          expect(result.networkAtp).toBe(available.reduce((sum, a) => sum + Math.max(0, a), 0));
        }),
      );
    });

    it('is never negative and never above network ATP', () => {
      fc.assert(
        fc.property(scenario, ({ sku, principal, available, rules }) => {
          const result = channelAvailability(
            sku,
            principal,
            available.map((a, i) => ({ locationId: `L${i}`, available: a })),
            rules,
          );

          expect(result.available).toBeGreaterThanOrEqual(0);
          expect(result.available).toBeLessThanOrEqual(result.networkAtp);
          expect(Number.isInteger(result.available)).toBe(true);
        }),
      );
    });

    it('never exceeds the share of network ATP that an applicable share rule allows', () => {
      fc.assert(
        fc.property(scenario, channel, fc.integer({ min: 0, max: 100 }), (s, own, percent) => {
          // One share rule of the channel asking is always present, among whatever else was drawn.
          const { sku, available } = s;
          const principal: Principal = own;
          const rules = [...s.rules, shareRule('own-share', own, percent)];
          const result = channelAvailability(
            sku,
            principal,
            available.map((a, i) => ({ locationId: `L${i}`, available: a })),
            rules,
          );

          for (const r of rules) {
            if (r.type !== 'maxShareOfAtp' || r.channel !== principal) continue;
            if (!applies(r, sku)) continue;
            expect(result.available).toBeLessThanOrEqual(Math.floor((result.networkAtp * r.percent) / 100));
          }
        }),
      );
    });

    it('never exceeds network ATP less the units protected for other channels', () => {
      fc.assert(
        fc.property(scenario, ({ sku, principal, available, rules }) => {
          const result = channelAvailability(
            sku,
            principal,
            available.map((a, i) => ({ locationId: `L${i}`, available: a })),
            rules,
          );
          if (principal === 'ops') return;
          const protectedForOthers = rules
            .filter((r) => r.type === 'protectUnits' && r.channel !== principal && applies(r, sku))
            .reduce((sum, r) => sum + (r.type === 'protectUnits' ? r.units : 0), 0);

          expect(result.available).toBeLessThanOrEqual(Math.max(0, result.networkAtp - protectedForOthers));
        }),
      );
    });

    it('gives ops the whole network ATP', () => {
      fc.assert(
        fc.property(scenario, ({ sku, available, rules }) => {
          const result = channelAvailability(
            sku,
            'ops',
            available.map((a, i) => ({ locationId: `L${i}`, available: a })),
            rules,
          );

          expect(result.available).toBe(result.networkAtp);
        }),
      );
    });
  });
});
