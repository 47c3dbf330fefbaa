import fc from 'fast-check';
import {
  type Constraint,
  constrainedAt,
  constrainedTotal,
  overlappingScopes,
  recomputeAllocation,
  reservationMove,
} from '../../../shared/inventory/domain/allocation';
import { sourceOrder } from '../../../shared/inventory/domain/sourcing';
import type { ChannelRule, Location } from '../../../shared/inventory/domain/stock';
import { protectRule, shareRule, UPDATED_AT } from '../../fixtures/domain/network';

const cap = (ruleId: string, value: number, scope?: string[]): Constraint => ({
  ruleId,
  name: ruleId,
  ...(scope ? { scope: new Set(scope) } : {}),
  cap: value,
  describe: (before, after) => `${before} → ${after}`,
});

describe('constrainedTotal', () => {
  const units = new Map([
    ['A', 5],
    ['B', 5],
    ['C', 10],
  ]);

  it('is the sum of the units without constraints', () => {
    expect(constrainedTotal(units, []).total).toBe(20);
  });

  it('limits a scope to its cap and leaves the other locations alone', () => {
    expect(constrainedTotal(units, [cap('ab', 3, ['A', 'B'])]).total).toBe(13);
  });

  it('nests scopes: an inner cap lowers what the outer one counts', () => {
    const result = constrainedTotal(units, [cap('net', 12), cap('a', 1, ['A'])]);

    expect(result.total).toBe(12);
    expect(constrainedTotal(units, [cap('net', 18), cap('a', 1, ['A'])]).total).toBe(16);
    expect(result.applied.map((a) => a.ruleId)).toEqual(['net', 'a']);
  });

  it('names only the rules that took units', () => {
    const result = constrainedTotal(units, [cap('loose', 50), cap('tight', 7, ['C'])]);

    expect(result.applied).toEqual([{ ruleId: 'tight', name: 'tight', effect: '10 → 7' }]);
  });

  it('is what greedy placement reaches, whatever the order of locations', () => {
    const location = (id: string): Location => ({
      locationId: id,
      name: id,
      type: 'dc',
      geo: { lat: 51, lon: 0 },
      postalCode: 'X',
      country: 'GB',
      fulfils: ['ship'],
      priority: 100,
      updatedAt: UPDATED_AT,
    });
    const ids = ['A', 'B', 'C', 'D'];
    // Laminar scopes: the network, {A,B}, {A}, {C}.
    const scenario = fc.record({
      stock: fc.tuple(...ids.map(() => fc.integer({ min: 0, max: 20 }))),
      caps: fc.tuple(
        ...[0, 1, 2, 3].map(() => fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined })),
      ),
      priorities: fc.tuple(...ids.map(() => fc.integer({ min: 0, max: 5 }))),
    });
    fc.assert(
      fc.property(scenario, ({ stock, caps, priorities }) => {
        const scopes = [undefined, ['A', 'B'], ['A'], ['C']];
        const constraints = caps.flatMap((c, i) => (c === undefined ? [] : [cap(`r${i}`, c, scopes[i])]));
        const units = new Map(ids.map((id, i) => [id, stock[i] ?? 0]));
        const total = constrainedTotal(units, constraints).total;
        const locations = new Map(
          ids.map((id, i) => [id, { ...location(id), priority: priorities[i] ?? 0 }]),
        );
        const positions = new Map([
          [
            'SKU',
            ids.map((id, i) => ({
              sku: 'SKU',
              locationId: id,
              onHand: stock[i] ?? 0,
              reserved: 0,
              safetyStock: 0,
              available: stock[i] ?? 0,
              version: 1,
            })),
          ],
        ]);
        const place = (quantity: number) =>
          sourceOrder({
            lines: [{ sku: 'SKU', quantity }],
            delivery: { type: 'ship', address: { line1: 'x', city: 'x', postalCode: 'x', country: 'GB' } },
            locations,
            positions,
            channelLimit: new Map([['SKU', total]]),
            constraints: new Map([['SKU', constraints]]),
          });
        if (total > 0) {
          const placed = place(total);
          expect(placed.ok).toBe(true);
          if (placed.ok) {
            for (const c of constraints) {
              const inScope = (placed.lines[0]?.allocations ?? [])
                .filter((a) => !c.scope || c.scope.has(a.locationId))
                .reduce((s, a) => s + a.quantity, 0);
              expect(inScope).toBeLessThanOrEqual(c.cap);
            }
          }
        }
        expect(place(total + 1).ok).toBe(false);
      }),
    );
  });
});

describe('constrainedAt', () => {
  it('is the location’s units within every cap that covers it', () => {
    const constraints = [cap('net', 8), cap('a', 2, ['A']), cap('b', 1, ['B'])];

    expect(constrainedAt('A', 5, constraints)).toBe(2);
    expect(constrainedAt('C', 10, constraints)).toBe(8);
  });
});

describe('recomputeAllocation', () => {
  const positions = [
    { locationId: 'S1', available: 4 },
    { locationId: 'DC1', available: 10 },
    { locationId: 'S9', available: 50 },
  ];
  const locations = new Map([
    ['S1', { fulfils: ['ship' as const] }],
    ['DC1', { fulfils: ['ship' as const] }],
    ['S9', { fulfils: [] }],
  ]);

  it('measures each rule over the active locations of its scope and keeps what a share holds', () => {
    const rules: ChannelRule[] = [
      { ...protectRule('keep', 'store', 3), locations: ['S1'] },
      shareRule('web', 'web', 10),
    ];
    const state = recomputeAllocation('SKU-1', positions, locations, rules, {
      version: 3,
      ruleSet: 'old',
      rulesVersion: 0,
      atp: {},
      room: {},
      held: { 'web:web': 6 },
    });

    expect(state.atp).toEqual({ keep: 4, web: 14 });
    // ⌊10% × (14 + 6)⌋ − 6
    expect(state.room).toEqual({ web: -4 });
    expect(state.held).toEqual({ 'web:web': 6 });
  });
});

describe('reservationMove', () => {
  const rules: ChannelRule[] = [
    protectRule('keep', 'store', 3),
    { ...protectRule('keep-s1', 'store', 2), locations: ['S1'] },
    shareRule('web', 'web', 10),
    shareRule('mp', 'marketplace', 50),
  ];

  it('guards the protections of other channels (adding up nested ones) and the channel’s own share', () => {
    const move = reservationMove('web', rules, 'set', [
      { locationId: 'S1', quantity: 2 },
      { locationId: 'DC1', quantity: 3 },
    ]);

    expect(move?.decrements).toEqual([
      { attribute: 'atp:keep', by: 5, atLeast: 10 },
      { attribute: 'atp:keep-s1', by: 2, atLeast: 4 },
      { attribute: 'atp:web', by: 5 },
      { attribute: 'room:web', by: 5, atLeast: 5 },
      { attribute: 'atp:mp', by: 5 },
      { attribute: 'room:mp', by: 3 },
    ]);
    expect(move?.counted).toEqual([{ key: 'web:web', quantity: 5 }]);
  });

  it('lets the protected channel itself take protected units', () => {
    const move = reservationMove('store', rules, 'set', [{ locationId: 'S1', quantity: 1 }]);

    expect(move?.decrements.filter((d) => d.atLeast !== undefined)).toEqual([]);
  });
});

describe('overlappingScopes', () => {
  const rules: ChannelRule[] = [
    { ...protectRule('ab', 'store', 1), locations: ['A', 'B'] },
    protectRule('net', 'store', 1),
  ];

  it('accepts nested, disjoint and network-wide scopes', () => {
    expect(overlappingScopes({ ruleId: 'x', locations: ['A'] }, rules)).toEqual([]);
    expect(overlappingScopes({ ruleId: 'x', locations: ['A', 'B', 'C'] }, rules)).toEqual([]);
    expect(overlappingScopes({ ruleId: 'x', locations: ['C'] }, rules)).toEqual([]);
    expect(overlappingScopes({ ruleId: 'x' }, rules)).toEqual([]);
  });

  it('names a rule whose scope it partly overlaps', () => {
    expect(overlappingScopes({ ruleId: 'x', locations: ['B', 'C'] }, rules)).toEqual(['ab']);
  });
});
