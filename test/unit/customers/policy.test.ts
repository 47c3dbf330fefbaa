import fc from 'fast-check';
import {
  byPrecedence,
  type Identifier,
  identifierKey,
  isStrong,
  slotOf,
} from '../../../shared/customers/domain/identifiers';
import {
  decideIdentity,
  IDENTITY_RULES,
  MAX_MERGE_IDENTIFIERS,
  type PolicyInput,
  type ProfileFacts,
} from '../../../shared/customers/domain/policy';
import { byAge } from '../../../shared/customers/domain/profile';
import { address, buyer, email, landline, loyalty, mobile, policyWorld, profile, world } from './arbitraries';

const JAN = '2024-01-01T00:00:00.000Z';
const FEB = '2024-02-01T00:00:00.000Z';

const ADA_MAIL = email('ada@example.com');
const ADA_MOBILE = mobile('+447911123456');
const HOME = landline('+442079460000');
const HOUSE = address('GB:W1C1DX:10 main st flat 2');

describe('decideIdentity', () => {
  it('creates a profile when no identifier of the order belongs to anyone (new-customer)', () => {
    const decision = decideIdentity(world([ADA_MAIL, ADA_MOBILE], []));

    expect(decision).toMatchObject({ outcome: 'create', rule: IDENTITY_RULES.newCustomer });
    expect(decision.outcome === 'create' && decision.add).toEqual([ADA_MAIL, ADA_MOBILE]);
  });

  it('attaches an order whose mobile belongs to a profile, adding its new email (strong-identifier-match)', () => {
    const store = profile('cus_store', JAN, [ADA_MOBILE]);

    const decision = decideIdentity(world([ADA_MOBILE, ADA_MAIL], [store]));

    expect(decision).toMatchObject({
      outcome: 'attach',
      rule: IDENTITY_RULES.strongMatch,
      customerId: 'cus_store',
      add: [ADA_MAIL],
    });
    expect(decision.summary).toBe("cus_store holds the order's phone; the order added its email");
  });

  it('never attaches on a landline alone: a new profile and a review item (weak-identifier-only)', () => {
    const household = profile('cus_home', JAN, [HOME]);

    const decision = decideIdentity(world([HOME], [household]));

    expect(decision).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.weakOnly,
      customerIds: ['cus_home'],
      placement: { kind: 'new' },
      newProfile: [],
    });
  });

  it("puts a new email sharing a household's address on a new profile, with a review item", () => {
    const household = profile('cus_home', JAN, [HOUSE]);

    const decision = decideIdentity(world([ADA_MAIL, HOUSE], [household]));

    expect(decision).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.weakOnly,
      placement: { kind: 'new', by: 'email' },
      newProfile: [ADA_MAIL],
    });
  });

  it('ignores a shared weak identifier when a strong one decides', () => {
    const ada = profile('cus_ada', FEB, [ADA_MAIL]);
    const household = profile('cus_home', JAN, [HOUSE]);

    const decision = decideIdentity(world([ADA_MAIL, HOUSE], [ada, household]));

    expect(decision).toMatchObject({ outcome: 'attach', customerId: 'cus_ada', add: [] });
  });

  it('records a review, not an attach, when the order brings a loyalty id other than the profile’s (conflicting-identifier)', () => {
    const store = profile('cus_store', JAN, [ADA_MOBILE, loyalty('L1')]);

    const decision = decideIdentity(world([ADA_MOBILE, loyalty('L2')], [store]));

    expect(decision).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.conflicting,
      customerIds: ['cus_store'],
      placement: { kind: 'new', by: 'loyaltyId' },
      newProfile: [loyalty('L2')],
      conflicts: [{ slot: 'loyaltyId', type: 'loyaltyId', customerIds: ['cus_store'], fromOrder: true }],
    });
    expect(decision.summary).not.toContain('L2');
  });

  it('places a conflicting order on the profile of its loyalty id when it holds one', () => {
    const ada = profile('cus_ada', JAN, [loyalty('L1'), buyer('amazon', 'A')]);

    const decision = decideIdentity(world([loyalty('L1'), buyer('amazon', 'B'), ADA_MAIL], [ada]));

    expect(decision).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.conflicting,
      placement: { kind: 'existing', customerId: 'cus_ada', by: 'loyaltyId' },
      newProfile: [buyer('amazon', 'B'), ADA_MAIL],
    });
  });

  it('does not see buyer ids of two marketplaces as a conflict', () => {
    const ada = profile('cus_ada', JAN, [ADA_MAIL, buyer('amazon', 'A')]);

    const decision = decideIdentity(world([ADA_MAIL, buyer('ebay', 'A')], [ada]));

    expect(decision).toMatchObject({ outcome: 'attach', add: [buyer('ebay', 'A')] });
  });

  it('merges profiles matched by strong identifiers that agree into the oldest (strong-identifiers-agree)', () => {
    const web = profile('cus_web', FEB, [ADA_MAIL]);
    const store = profile('cus_store', JAN, [ADA_MOBILE, loyalty('L1')]);

    const decision = decideIdentity(world([ADA_MAIL, ADA_MOBILE, HOUSE], [web, store]));

    expect(decision).toMatchObject({
      outcome: 'merge',
      rule: IDENTITY_RULES.strongAgree,
      survivorId: 'cus_store',
      mergedIds: ['cus_web'],
      add: [HOUSE],
    });
  });

  it('blocks the merge when the profiles hold two different loyalty ids (strong-identifiers-disagree)', () => {
    const web = profile('cus_web', FEB, [ADA_MAIL, loyalty('L2')]);
    const store = profile('cus_store', JAN, [ADA_MOBILE, loyalty('L1')]);

    const decision = decideIdentity(world([ADA_MOBILE, ADA_MAIL], [web, store]));

    expect(decision).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.disagree,
      customerIds: ['cus_store', 'cus_web'],
      // email comes before phone in precedence: the order goes to the email's profile
      placement: { kind: 'existing', customerId: 'cus_web', by: 'email' },
    });
    expect(decision).not.toHaveProperty('newProfile');
  });

  it('does not merge again what operations separated (kept-apart)', () => {
    const web = profile('cus_web', FEB, [ADA_MAIL], ['cus_store']);
    const store = profile('cus_store', JAN, [ADA_MOBILE], ['cus_web']);

    expect(decideIdentity(world([ADA_MAIL, ADA_MOBILE], [web, store]))).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.keptApart,
    });
  });

  it('leaves a merge too large for one transaction to a review (merge-too-large)', () => {
    const many = Array.from({ length: MAX_MERGE_IDENTIFIERS }, (_, i) => address(`GB:X:${i}`));
    const web = profile('cus_web', FEB, [ADA_MAIL, ...many]);
    const store = profile('cus_store', JAN, [ADA_MOBILE]);

    expect(decideIdentity(world([ADA_MAIL, ADA_MOBILE, loyalty('L9')], [web, store]))).toMatchObject({
      outcome: 'review',
      rule: IDENTITY_RULES.tooLarge,
    });
  });

  it('adds no more identifiers to a full profile than the cap, strong ones first', () => {
    const full = profile('cus_full', JAN, [
      ADA_MAIL,
      ...Array.from({ length: 18 }, (_, i) => address(`GB:X:${i}`)),
    ]);

    const decision = decideIdentity(world([ADA_MAIL, HOUSE, ADA_MOBILE], [full]));

    expect(decision).toMatchObject({ outcome: 'attach', add: [ADA_MOBILE], notRecorded: [HOUSE] });
  });
});

describe('decideIdentity: properties', () => {
  const ownerOf = (input: PolicyInput, identifier: Identifier) => input.owners.get(identifierKey(identifier));
  const strongOwners = (input: PolicyInput) =>
    new Set(input.identifiers.filter(isStrong).flatMap((i) => ownerOf(input, i) ?? []));
  const freeOf = (input: PolicyInput) => input.identifiers.filter((i) => ownerOf(input, i) === undefined);
  const disagree = (profiles: readonly ProfileFacts[], extra: readonly Identifier[] = []) => {
    const values = new Map<string, Set<string>>();
    for (const i of [...profiles.flatMap((p) => p.identifiers), ...extra]) {
      const slot = slotOf(i);
      if (slot) values.set(slot, (values.get(slot) ?? new Set()).add(i.value));
    }
    return [...values.values()].some((v) => v.size > 1);
  };

  it('never attaches or merges when only weak identifiers match', () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        fc.pre(strongOwners(input).size === 0);
        const decision = decideIdentity(input);

        expect(['create', 'review']).toContain(decision.outcome);
        if (decision.outcome === 'review') expect(decision.placement.kind).toBe('new');
      }),
    );
  });

  it('never merges automatically when a single-valued identifier disagrees', () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        const matched = [...strongOwners(input)].map((id) => input.profiles.get(id)!);
        fc.pre(matched.length >= 2 && disagree(matched, input.identifiers));

        expect(decideIdentity(input).outcome).not.toBe('merge');
      }),
    );
  });

  it('attaches or merges exactly the profiles its strong identifiers point to, with no disagreement', () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        const decision = decideIdentity(input);
        const owners = strongOwners(input);
        if (decision.outcome === 'attach') {
          expect(new Set([decision.customerId])).toEqual(owners);
          expect(disagree([input.profiles.get(decision.customerId)!], input.identifiers)).toBe(false);
        }
        if (decision.outcome === 'merge') {
          const involved = [decision.survivorId, ...decision.mergedIds];
          expect(new Set(involved)).toEqual(owners);
          const profiles = involved.map((id) => input.profiles.get(id)!);
          expect(disagree(profiles, input.identifiers)).toBe(false);
          expect(decision.survivorId).toBe([...profiles].sort(byAge)[0]!.customerId);
          for (const p of profiles) {
            expect(p.keepApart.filter((id) => involved.includes(id))).toEqual([]);
          }
        }
      }),
    );
  });

  it('gives a profile only identifiers nobody holds: each identifier has one owner', () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        const decision = decideIdentity(input);
        const free = freeOf(input).map(identifierKey);
        const given = decision.outcome === 'review' ? (decision.newProfile ?? []) : [...decision.add];
        for (const identifier of given) expect(free).toContain(identifierKey(identifier));
      }),
    );
  });

  it("places a review's order by the order's first strong identifier", () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        const decision = decideIdentity(input);
        fc.pre(decision.outcome === 'review');
        if (decision.outcome !== 'review') return;
        const first = [...input.identifiers].sort(byPrecedence).find(isStrong);
        const owner = first ? ownerOf(input, first) : undefined;

        expect(decision.placement).toEqual(
          owner
            ? { kind: 'existing', customerId: owner, by: first!.type }
            : { kind: 'new', ...(first ? { by: first.type } : {}) },
        );
        if (decision.placement.kind === 'new') expect(decision.newProfile).toBeDefined();
      }),
    );
  });

  it('decides the same whatever order the facts come in', () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        const shuffled: PolicyInput = {
          identifiers: [...input.identifiers].reverse(),
          owners: new Map([...input.owners].reverse()),
          profiles: new Map([...input.profiles].reverse()),
        };

        expect(decideIdentity(shuffled)).toEqual(decideIdentity(input));
      }),
    );
  });

  it('says why in words that name identifier types and profile ids, never values', () => {
    fc.assert(
      fc.property(policyWorld, (input) => {
        const decision = decideIdentity(input);
        const words = `${decision.summary} ${decision.outcome === 'review' ? decision.reason : ''}`;
        for (const i of input.identifiers) expect(words).not.toContain(i.value);
      }),
    );
  });
});
