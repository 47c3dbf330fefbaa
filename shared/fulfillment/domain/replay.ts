/**
 * Re-runs a decision record. A record keeps the order, `now` and the decisive candidates (see
 * `replayCandidates` in `sourcing.ts`), and names its profile by id and version; sourcing that
 * input again under that profile must give the recorded plan. A replay that differs means the
 * engine's rules changed since the decision was made (or the record was altered).
 */
import type { SourcingProfile } from './profile';
import { type DecisionRecord, type SourcingGroup, source, type UnfilledLine } from './sourcing';

export interface ReplayResult {
  plan: SourcingGroup[];
  unfilled: UnfilledLine[];
  /** Whether the plan and the unfilled lines equal the recorded ones. */
  matches: boolean;
}

/** Sources the record's input again; the profile must be the one the record names. */
export function replay(record: DecisionRecord, profile: SourcingProfile): ReplayResult {
  if (profile.profileId !== record.profileId || profile.version !== record.profileVersion) {
    throw new RangeError(
      `the record was decided under ${record.profileId} v${record.profileVersion}, ` +
        `not ${profile.profileId} v${profile.version}`,
    );
  }
  const { groups, unfilled } = source(record.input, profile);
  return {
    plan: groups,
    unfilled,
    matches: sameJson(groups, record.plan) && sameJson(unfilled, record.unfilled),
  };
}

/**
 * Structural equality of plain JSON data (objects compared by their keys, in any order), so that a
 * record read back from storage compares equal to a freshly computed plan.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const otherKeys = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return keys.length === otherKeys.length && keys.every((k) => sameJson(ra[k], rb[k]));
}
