import fc from 'fast-check';
import { type Identifier, identifierKey } from '../../../shared/customers/domain/identifiers';
import { type LaterOrder, mergeProfiles, unmergeProfiles } from '../../../shared/customers/domain/merge';
import type { Profile, ProfileIdentifier } from '../../../shared/customers/domain/profile';
import { address, email, loyalty, mobile } from './arbitraries';

const JAN = '2024-01-01T00:00:00.000Z';
const MERGED_AT = '2024-03-01T00:00:00.000Z';
const UNDONE_AT = '2024-04-01T00:00:00.000Z';

const held = (identifier: Identifier, orderId = 'ord_0'): ProfileIdentifier => ({
  ...identifier,
  addedAt: JAN,
  orderId,
});

const stored = (customerId: string, identifiers: Identifier[], extra: Partial<Profile> = {}): Profile => ({
  customerId,
  status: 'active',
  createdFrom: { channel: 'store', orderId: `ord_${customerId}` },
  identifiers: identifiers.map((i) => held(i)),
  absorbed: [],
  keepApart: [],
  createdAt: JAN,
  updatedAt: JAN,
  version: 3,
  ...extra,
});

const meta = {
  rule: 'strong-identifiers-agree',
  by: 'policy' as const,
  evidence: { summary: 'test', matched: [] },
  at: MERGED_AT,
};

describe('mergeProfiles', () => {
  it('moves the identifiers to the survivor and keeps what undoes it in the record', () => {
    const survivor = stored('cus_a', [mobile('+447400000001')]);
    const absorbed = stored('cus_b', [email('b@example.com'), address('GB:X:1')]);

    const plan = mergeProfiles(
      survivor,
      [{ profile: absorbed, mergeId: 'mrg_1', orderIds: ['ord_9'] }],
      meta,
    );

    expect(plan.survivor.identifiers.map(identifierKey)).toEqual([
      'phone#+447400000001',
      'email#b@example.com',
      'address#GB:X:1',
    ]);
    expect(plan.survivor.absorbed).toEqual([{ customerId: 'cus_b', mergeId: 'mrg_1' }]);
    expect(plan.merged[0]).toMatchObject({
      status: 'merged',
      mergedInto: 'cus_a',
      mergeId: 'mrg_1',
      identifiers: [],
    });
    expect(plan.records[0]).toMatchObject({
      mergeId: 'mrg_1',
      survivorId: 'cus_a',
      mergedId: 'cus_b',
      identifiers: absorbed.identifiers,
      orderIds: ['ord_9'],
      status: 'applied',
      version: 1,
    });
    expect(plan.moves.map((m) => m.from)).toEqual(['cus_b', 'cus_b']);
  });

  it('lists at most 500 of the orders that came along, and counts them all', () => {
    const orderIds = Array.from({ length: 600 }, (_, i) => `ord_${i}`);

    const plan = mergeProfiles(
      stored('cus_a', []),
      [{ profile: stored('cus_b', []), mergeId: 'mrg_1', orderIds }],
      meta,
    );

    expect(plan.records[0]?.orderIds).toEqual(orderIds.slice(0, 500));
    expect(plan.records[0]?.orderCount).toBe(600);
  });

  it('marks the verified email on the survivor but records it unverified, as the guest had it', () => {
    const account = stored('cus_acct', [loyalty('L1')]);
    const guest = stored('cus_guest', [email('g@example.com')], { createdFrom: { channel: 'web' } });

    const plan = mergeProfiles(
      account,
      [{ profile: guest, mergeId: 'mrg_g', orderIds: [] }],
      { ...meta, rule: 'guest-claim', by: 'verification' },
      { verify: 'email#g@example.com' },
    );

    expect(plan.survivor.identifiers.find((i) => i.type === 'email')?.verifiedAt).toBe(MERGED_AT);
    expect(plan.records[0]?.identifiers[0]?.verifiedAt).toBeUndefined();
  });
});

describe('unmergeProfiles', () => {
  const survivor = stored('cus_a', [mobile('+447400000001')]);
  const absorbed = stored('cus_b', [email('b@example.com'), loyalty('LB')]);
  const merged = () => mergeProfiles(survivor, [{ profile: absorbed, mergeId: 'mrg_1', orderIds: [] }], meta);

  it('restores both profiles with their identifiers, keeping them apart from then on', () => {
    const plan = merged();

    const undo = unmergeProfiles(plan.records[0]!, plan.survivor, plan.merged[0]!, [], UNDONE_AT, 97);

    expect(undo.survivor.identifiers).toEqual(survivor.identifiers);
    expect(undo.survivor.absorbed).toEqual([]);
    expect(undo.restored).toMatchObject({ status: 'active', identifiers: absorbed.identifiers });
    expect(undo.restored).not.toHaveProperty('mergedInto');
    expect(undo.survivor.keepApart).toEqual(['cus_b']);
    expect(undo.restored.keepApart).toEqual(['cus_a']);
    expect(undo.record).toMatchObject({
      status: 'undone',
      undoneAt: UNDONE_AT,
      repointedOrderIds: [],
      version: 2,
    });
  });

  it('gives back an order placed after the merge through the absorbed identifiers alone, with what it added', () => {
    const plan = merged();
    const laterPhone = held(mobile('+447400000009'), 'ord_later');
    const afterMerge: Profile = { ...plan.survivor, identifiers: [...plan.survivor.identifiers, laterPhone] };
    const later: LaterOrder[] = [
      { orderId: 'ord_later', matchedKeys: ['email#b@example.com'], addedKeys: [identifierKey(laterPhone)] },
      { orderId: 'ord_mixed', matchedKeys: ['email#b@example.com', 'phone#+447400000001'], addedKeys: [] },
      { orderId: 'ord_own', matchedKeys: ['phone#+447400000001'], addedKeys: [] },
    ];

    const undo = unmergeProfiles(plan.records[0]!, afterMerge, plan.merged[0]!, later, UNDONE_AT, 97);

    expect(undo.repointed).toEqual(['ord_later']);
    expect(undo.restored.identifiers.map(identifierKey)).toEqual([
      'email#b@example.com',
      'loyaltyId#LB',
      'phone#+447400000009',
    ]);
    expect(undo.survivor.identifiers.map(identifierKey)).toEqual(['phone#+447400000001']);
  });

  it('leaves later orders on the survivor when they do not fit the transaction', () => {
    const plan = merged();
    const later = ['ord_1', 'ord_2', 'ord_3'].map((orderId) => ({
      orderId,
      matchedKeys: ['loyaltyId#LB'],
      addedKeys: [],
    }));

    const undo = unmergeProfiles(plan.records[0]!, plan.survivor, plan.merged[0]!, later, UNDONE_AT, 4);

    expect(undo.repointed).toEqual(['ord_1', 'ord_2']);
    expect(undo.leftOnSurvivor).toEqual(['ord_3']);
  });

  it('undoes any merge back to the profiles as they were', () => {
    const pool = [
      email('a@x.co'),
      email('b@x.co'),
      mobile('+447400000001'),
      mobile('+447400000002'),
      loyalty('L1'),
      address('GB:X:1'),
    ];
    const split = fc
      .array(fc.constantFrom('a', 'b', '-'), { minLength: pool.length, maxLength: pool.length })
      .map((owners) => ({
        a: stored(
          'cus_a',
          pool.filter((_, i) => owners[i] === 'a'),
        ),
        b: stored(
          'cus_b',
          pool.filter((_, i) => owners[i] === 'b'),
          { absorbed: [{ customerId: 'cus_c', mergeId: 'mrg_0' }] },
        ),
      }));
    fc.assert(
      fc.property(split, ({ a, b }) => {
        const plan = mergeProfiles(a, [{ profile: b, mergeId: 'mrg_1', orderIds: [] }], meta);

        const undo = unmergeProfiles(plan.records[0]!, plan.survivor, plan.merged[0]!, [], UNDONE_AT, 97);

        const { updatedAt: _u1, version: _v1, keepApart: _k1, ...survivorNow } = undo.survivor;
        const { updatedAt: _u2, version: _v2, keepApart: _k2, ...survivorBefore } = a;
        expect(survivorNow).toEqual(survivorBefore);
        const { updatedAt: _u3, version: _v3, keepApart: _k3, ...restoredNow } = undo.restored;
        const { updatedAt: _u4, version: _v4, keepApart: _k4, ...restoredBefore } = b;
        expect(restoredNow).toEqual(restoredBefore);
      }),
    );
  });
});
