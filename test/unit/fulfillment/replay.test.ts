import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { SourcingProfile } from '../../../shared/fulfillment/domain/profile';
import { replay, sameJson } from '../../../shared/fulfillment/domain/replay';
import {
  type DecisionRecord,
  MAX_LISTED_CANDIDATES,
  source,
} from '../../../shared/fulfillment/domain/sourcing';
import { profileArb, requestArb } from './arbitraries';
import { lines, location, profile, request, shipOrder, strategy } from './network';
import { type DecisionFixture, FIXTURE } from './scenarios';

const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as DecisionFixture;

/** The profile as recorded in the fixture: a decision is replayed under the rules it was made with. */
const recordedProfile = (record: DecisionRecord): SourcingProfile => {
  const found = fixture.profiles.find(
    (p) => p.profileId === record.profileId && p.version === record.profileVersion,
  );
  if (!found) throw new Error(`the fixture has no profile ${record.profileId} v${record.profileVersion}`);
  return found;
};

describe('replay', () => {
  describe('the recorded decisions', () => {
    it.each(fixture.decisions.map((d) => [d.scenario, d.record] as const))(
      'replays "%s" to the same plan',
      (_, record) => {
        const replayed = replay(record, recordedProfile(record));

        expect(replayed.plan).toEqual(record.plan);
        expect(replayed.unfilled).toEqual(record.unfilled);
        expect(replayed.matches).toBe(true);
      },
    );

    it('cover splits, the split rule, fallbacks, ship-to-store, unfilled lines and trimmed inputs', () => {
      const records = fixture.decisions.map((d) => d.record);

      expect(records.some((r) => r.plan.length >= 2)).toBe(true);
      expect(records.some((r) => r.splitChecks.some((c) => c.applied))).toBe(true);
      expect(records.some((r) => r.splitChecks.some((c) => !c.applied))).toBe(true);
      expect(records.some((r) => r.fallbacksUsed.length > 0)).toBe(true);
      expect(records.some((r) => r.plan.some((g) => g.transferTo !== undefined))).toBe(true);
      expect(new Set(records.flatMap((r) => r.unfilled.map((u) => u.reason))).size).toBeGreaterThanOrEqual(2);
      expect(records.filter((r) => r.candidatesConsidered >= 300)).not.toHaveLength(0);
      for (const r of records)
        expect(r.input.candidates.length).toBeLessThanOrEqual(MAX_LISTED_CANDIDATES + 5);
    });
  });

  it('gives the recorded plan from the trimmed input of any decision, also after a JSON round trip', () => {
    let trimmed = 0;
    fc.assert(
      fc.property(requestArb(10, 60), profileArb, (req, p) => {
        const { decision } = source(req, p);
        if (decision.input.candidates.length < req.candidates.length) trimmed++;

        const stored = JSON.parse(JSON.stringify(decision)) as DecisionRecord;
        const replayed = replay(stored, p);

        expect(replayed.plan).toEqual(decision.plan);
        expect(replayed.unfilled).toEqual(decision.unfilled);
        expect(replayed.matches).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(trimmed).toBeGreaterThan(300);
  });

  it('needs only the decisive candidates, which every record keeps: the chosen, the split checks, the store', () => {
    fc.assert(
      fc.property(requestArb(10, 60), profileArb, (req, p) => {
        const { decision } = source(req, p);
        const { delivery } = req.order;
        const decisive = new Set([
          ...decision.plan.map((g) => g.locationId),
          ...decision.splitChecks.flatMap((c) => [c.singleLocationId, ...c.splitLocationIds]),
          ...(delivery.type === 'pickup' && req.candidates.some((c) => c.locationId === delivery.locationId)
            ? [delivery.locationId]
            : []),
        ]);
        const kept = decision.input.candidates.map((c) => c.locationId);
        expect(kept).toEqual(expect.arrayContaining([...decisive]));

        const minimal = structuredClone(decision);
        minimal.input.candidates = minimal.input.candidates.filter((c) => decisive.has(c.locationId));
        const replayed = replay(minimal, p);

        expect(replayed.plan).toEqual(decision.plan);
        expect(replayed.unfilled).toEqual(decision.unfilled);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the single location of a split-rule check in the record even when it is not listed', () => {
    const fillers = Array.from({ length: 25 }, (_, i) => location(`F${String(i).padStart(2, '0')}`, 1, {}));
    const network = [
      ...fillers,
      location('DC1', 40, { X: 9, Y: 9 }),
      location('S1', 2, { X: 9 }),
      location('S2', 3, { Y: 9 }),
    ];
    const p = profile({
      defaults: { maxSplit: 3, splitRule: { minDistanceSavedKm: 10 } },
      strategies: [strategy('s', { criteria: [{ name: 'distance' }] })],
    });

    const { decision } = source(request(shipOrder(lines(['X', 1], ['Y', 1])), network), p);

    expect(decision.plan.map((g) => g.locationId)).toEqual(['S1', 'S2']);
    expect(decision.candidates.map((c) => c.locationId)).not.toContain('DC1');
    expect(decision.input.candidates.map((c) => c.locationId)).toContain('DC1');
    expect(replay(decision, p).matches).toBe(true);
  });

  it('reports a different plan when the recorded input no longer gives it', () => {
    const { record } = fixture.decisions.find((d) => d.scenario === 'ship to the nearest store')!;
    const altered = structuredClone(record);
    const chosen = altered.input.candidates.find((c) => c.locationId === record.plan[0]!.locationId)!;
    chosen.stock = {};

    const replayed = replay(altered, recordedProfile(record));

    expect(replayed.matches).toBe(false);
    expect(replayed.plan.map((g) => g.locationId)).not.toEqual(record.plan.map((g) => g.locationId));
  });

  it('refuses a profile other than the one the record names', () => {
    const { record } = fixture.decisions[0]!;
    const profile = recordedProfile(record);

    expect(() => replay(record, { ...profile, version: profile.version + 1 })).toThrow(/decided under/);
  });

  describe('sameJson', () => {
    it('compares plain data by value, ignoring key order and keys that are undefined', () => {
      expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
      expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
      expect(sameJson([1, 2], [2, 1])).toBe(false);
      expect(sameJson({ a: 1 }, { a: 2 })).toBe(false);
      expect(sameJson({ a: [] }, { a: {} })).toBe(false);
      expect(sameJson(null, {})).toBe(false);
    });
  });
});
