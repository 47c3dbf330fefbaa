import {
  byPrecedence,
  type Identifier,
  type IdentifierType,
  identifierKey,
  identifierTypes,
  isStrong,
  type Strength,
  slotOf,
  strengthOf,
} from './identifiers';
import { byAge } from './profile';

/**
 * The identity policy: who an order's customer is, decided from the order's identifiers and the
 * profiles they already point to. Pure and deterministic (the same facts in any order give the
 * same decision), and every outcome names its rule and carries its evidence, so "why is this order
 * on this customer?" has an answer in words and data.
 *
 * The rules, by name:
 * - `new-customer`: no identifier of the order belongs to anyone: a new profile holds them all.
 * - `strong-identifier-match`: the order's strong identifiers point to one profile and none of its
 *   new identifiers contradicts it: the order goes there, with the identifiers nobody holds yet.
 * - `strong-identifiers-agree`: strong identifiers point to two or more profiles and no single-valued
 *   identifier (loyalty id; buyer id on one marketplace) disagrees among them or with the order:
 *   they merge automatically into the oldest.
 * - `weak-identifier-only` (review): only weak identifiers (landline, address) matched: a household
 *   shares them, so they never attach or merge by themselves.
 * - `conflicting-identifier` (review): a new identifier of the order disagrees with a matched
 *   profile's in a single-valued slot (loyalty id L2 on an order whose phone belongs to L1's profile).
 * - `strong-identifiers-disagree` (review): the matched profiles hold different values in a
 *   single-valued slot (two loyalty ids).
 * - `kept-apart` (review): operations separated two of the matched profiles (an unmerge).
 * - `merge-too-large` (review): the merge would move more identifiers than one transaction may.
 *
 * Where a review item is recorded, nothing is merged and no identifier is added to an existing
 * profile. The order is placed by the order's first strong identifier in {@link IDENTIFIER_PRECEDENCE}
 * order (loyalty id, marketplace buyer id, email, mobile): on the profile that holds it, or, when
 * nobody does (or the order has no strong identifier), on a new profile. A new profile is also made
 * whenever the order brings a strong identifier nobody holds: it takes the order's free identifiers,
 * so that operations can merge it if the review says they are one person.
 */

export const IDENTITY_RULES = {
  newCustomer: 'new-customer',
  strongMatch: 'strong-identifier-match',
  strongAgree: 'strong-identifiers-agree',
  weakOnly: 'weak-identifier-only',
  conflicting: 'conflicting-identifier',
  disagree: 'strong-identifiers-disagree',
  keptApart: 'kept-apart',
  tooLarge: 'merge-too-large',
} as const;
export type IdentityRule = (typeof IDENTITY_RULES)[keyof typeof IDENTITY_RULES];

/**
 * At most this many identifiers are added to a profile by orders (strong ones first): a customer who
 * ships to fifty addresses must not grow a profile past what one merge transaction can move.
 */
export const MAX_PROFILE_IDENTIFIERS = 20;

/** At most this many identifiers move in one automatic or operations merge (one transaction). */
export const MAX_MERGE_IDENTIFIERS = 60;

/** What the policy needs to know of a profile an identifier points to. */
export interface ProfileFacts {
  customerId: string;
  createdAt: string;
  identifiers: readonly Identifier[];
  keepApart: readonly string[];
}

export interface PolicyInput {
  /** The order's identifiers, normalised. */
  identifiers: readonly Identifier[];
  /** Identifier key → the active profile that holds it (identifiers nobody holds are absent). */
  owners: ReadonlyMap<string, string>;
  /** Every profile named in `owners`. */
  profiles: ReadonlyMap<string, ProfileFacts>;
}

/** An identifier of the order and the profile it pointed to. */
export interface Match {
  identifier: Identifier;
  customerId: string;
  strength: Strength;
}

/** A single-valued slot with more than one value among the profiles (and the order). */
export interface Conflict {
  slot: string;
  type: IdentifierType;
  /** The profiles holding a value in the slot. */
  customerIds: string[];
  /** True when one of the values is the order's own, new identifier. */
  fromOrder: boolean;
}

interface DecisionBase {
  rule: IdentityRule;
  /** In words, naming identifier types and profile ids, never values. */
  summary: string;
  matched: Match[];
}

export interface CreateDecision extends DecisionBase {
  outcome: 'create';
  add: Identifier[];
}

export interface AttachDecision extends DecisionBase {
  outcome: 'attach';
  customerId: string;
  /** Identifiers nobody holds, added to the profile. */
  add: Identifier[];
  /** Free identifiers left out (the profile is full). */
  notRecorded: Identifier[];
}

export interface MergeDecision extends DecisionBase {
  outcome: 'merge';
  survivorId: string;
  /** Oldest first; each is absorbed by the survivor in its own (undoable) merge. */
  mergedIds: string[];
  add: Identifier[];
  notRecorded: Identifier[];
}

export type Placement =
  | { kind: 'existing'; customerId: string; by: IdentifierType }
  | { kind: 'new'; by?: IdentifierType };

export interface ReviewDecision extends DecisionBase {
  outcome: 'review';
  reason: string;
  /** The existing profiles the review is about (oldest first). */
  customerIds: string[];
  placement: Placement;
  /** Present when a new profile is made: the identifiers it takes (possibly none). */
  newProfile?: Identifier[];
  conflicts: Conflict[];
}

export type IdentityDecision = CreateDecision | AttachDecision | MergeDecision | ReviewDecision;

const unique = <T>(values: T[]): T[] => [...new Set(values)];

/** The identifiers to add to a profile holding `held` of them: strong first, up to the cap. */
function capped(held: number, free: Identifier[]): { add: Identifier[]; notRecorded: Identifier[] } {
  const ordered = [...free.filter(isStrong), ...free.filter((i) => !isStrong(i))];
  const room = Math.max(0, MAX_PROFILE_IDENTIFIERS - held);
  return { add: ordered.slice(0, room), notRecorded: ordered.slice(room) };
}

/** Single-valued slots holding more than one value among the profiles, and the order if given. */
function slotConflicts(profiles: ProfileFacts[], order: readonly Identifier[] = []): Conflict[] {
  const slots = new Map<
    string,
    { type: IdentifierType; values: Set<string>; holders: string[]; order: boolean }
  >();
  const note = (identifier: Identifier, holder?: string) => {
    const slot = slotOf(identifier);
    if (!slot) return;
    const entry = slots.get(slot) ?? { type: identifier.type, values: new Set(), holders: [], order: false };
    entry.values.add(identifier.value);
    if (holder) entry.holders.push(holder);
    else entry.order = true;
    slots.set(slot, entry);
  };
  for (const profile of profiles)
    for (const identifier of profile.identifiers) note(identifier, profile.customerId);
  for (const identifier of order) note(identifier);
  return [...slots.entries()]
    .filter(([, entry]) => entry.values.size > 1)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([slot, entry]) => ({
      slot,
      type: entry.type,
      customerIds: unique(entry.holders),
      fromOrder: entry.order,
    }));
}

/** Pairs of profiles operations separated, among these. */
function keptApartPairs(profiles: ProfileFacts[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [i, a] of profiles.entries()) {
    for (const b of profiles.slice(i + 1)) {
      if (a.keepApart.includes(b.customerId) || b.keepApart.includes(a.customerId)) {
        pairs.push([a.customerId, b.customerId]);
      }
    }
  }
  return pairs;
}

const list = (values: readonly string[]) => values.join(', ');

/** Decides who the order's customer is. See the module comment for the rules. */
export function decideIdentity(input: PolicyInput): IdentityDecision {
  const identifiers = [...input.identifiers].sort(byPrecedence);
  const matched: Match[] = [];
  const free: Identifier[] = [];
  for (const identifier of identifiers) {
    const owner = input.owners.get(identifierKey(identifier));
    if (owner === undefined) free.push(identifier);
    else matched.push({ identifier, customerId: owner, strength: strengthOf(identifier) });
  }
  const facts = (customerId: string): ProfileFacts => {
    const found = input.profiles.get(customerId);
    if (!found) throw new Error(`The identity policy was not given profile ${customerId}`);
    return found;
  };
  const profilesOf = (strength: Strength, except: string[] = []) =>
    unique(matched.filter((m) => m.strength === strength).map((m) => m.customerId))
      .filter((id) => !except.includes(id))
      .map(facts)
      .sort(byAge);
  const strong = profilesOf('strong');
  const strongIds = strong.map((p) => p.customerId);
  const weak = profilesOf('weak', strongIds);

  const review = (
    rule: IdentityRule,
    reason: string,
    customerIds: string[],
    conflicts: Conflict[] = [],
  ): ReviewDecision => {
    const first = identifiers.find(isStrong);
    const owner = first ? input.owners.get(identifierKey(first)) : undefined;
    const placement: Placement = owner
      ? { kind: 'existing', customerId: owner, by: first!.type }
      : { kind: 'new', ...(first ? { by: first.type } : {}) };
    const makesProfile = placement.kind === 'new' || free.some(isStrong);
    const where =
      placement.kind === 'existing'
        ? `placed on ${placement.customerId}, which holds the order's ${placement.by}`
        : `placed on a new profile${placement.by ? ` for the order's new ${placement.by}` : ''}`;
    return {
      outcome: 'review',
      rule,
      reason,
      summary: `Possible match for review (${rule}): ${reason}; ${where}, nothing merged`,
      matched,
      customerIds,
      placement,
      ...(makesProfile ? { newProfile: capped(0, free).add } : {}),
      conflicts,
    };
  };

  if (strong.length === 0) {
    if (weak.length === 0) {
      return {
        outcome: 'create',
        rule: IDENTITY_RULES.newCustomer,
        summary: `No identifier of the order belongs to a customer: a new profile holds its ${list(identifierTypes(free))}`,
        matched,
        add: capped(0, free).add,
      };
    }
    const weakTypes = identifierTypes(matched.map((m) => m.identifier));
    return review(
      IDENTITY_RULES.weakOnly,
      `only weak identifiers (${list(weakTypes)}) matched ${list(weak.map((p) => p.customerId))}; a household shares them`,
      weak.map((p) => p.customerId),
    );
  }

  if (strong.length === 1) {
    const [profile] = strong as [ProfileFacts];
    const conflicts = slotConflicts([profile], free);
    if (conflicts.length > 0) {
      return review(
        IDENTITY_RULES.conflicting,
        conflicts
          .map((c) => `the order's ${c.type} differs from the ${c.type} of ${profile.customerId}`)
          .join('; '),
        [profile.customerId],
        conflicts,
      );
    }
    const { add, notRecorded } = capped(profile.identifiers.length, free);
    const by = identifierTypes(
      matched.filter((m) => m.customerId === profile.customerId).map((m) => m.identifier),
    );
    return {
      outcome: 'attach',
      rule: IDENTITY_RULES.strongMatch,
      summary: `${profile.customerId} holds the order's ${list(by)}${add.length > 0 ? `; the order added its ${list(identifierTypes(add))}` : ''}`,
      matched,
      customerId: profile.customerId,
      add,
      notRecorded,
    };
  }

  const between = slotConflicts(strong);
  if (between.length > 0) {
    return review(
      IDENTITY_RULES.disagree,
      between.map((c) => `${list(c.customerIds)} hold different ${c.type}s`).join('; '),
      strongIds,
      between,
    );
  }
  const withOrder = slotConflicts(strong, free);
  if (withOrder.length > 0) {
    return review(
      IDENTITY_RULES.conflicting,
      withOrder
        .map((c) => `the order's ${c.type} differs from the ${c.type} of ${list(c.customerIds)}`)
        .join('; '),
      strongIds,
      withOrder,
    );
  }
  const separated = keptApartPairs(strong);
  if (separated.length > 0) {
    return review(
      IDENTITY_RULES.keptApart,
      `operations separated ${separated.map(([a, b]) => `${a} and ${b}`).join('; ')}`,
      strongIds,
    );
  }
  const [survivor, ...merged] = strong as [ProfileFacts, ...ProfileFacts[]];
  const moving = merged.reduce((n, p) => n + p.identifiers.length, 0);
  const held = survivor.identifiers.length + moving;
  const { add, notRecorded } = capped(held, free);
  if (moving + add.length > MAX_MERGE_IDENTIFIERS) {
    return review(
      IDENTITY_RULES.tooLarge,
      `merging would move ${moving + add.length} identifiers, more than ${MAX_MERGE_IDENTIFIERS} at once`,
      strongIds,
    );
  }
  const by = identifierTypes(matched.filter((m) => m.strength === 'strong').map((m) => m.identifier));
  return {
    outcome: 'merge',
    rule: IDENTITY_RULES.strongAgree,
    summary: `${list(strongIds)} hold the order's ${list(by)} and no loyalty or marketplace id disagrees: merged into the oldest, ${survivor.customerId}`,
    matched,
    survivorId: survivor.customerId,
    mergedIds: merged.map((p) => p.customerId),
    add,
    notRecorded,
  };
}
