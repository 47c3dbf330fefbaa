import fc from 'fast-check';
import { type Identifier, identifierKey } from '../../../shared/customers/domain/identifiers';
import type { PolicyInput, ProfileFacts } from '../../../shared/customers/domain/policy';

/** Identifiers in normal form, built directly (the policy never sees raw input). */
export const email = (value: string): Identifier => ({ type: 'email', value });
export const mobile = (value: string): Identifier => ({ type: 'phone', value, kind: 'mobile' });
export const landline = (value: string): Identifier => ({ type: 'phone', value, kind: 'fixed-line' });
export const address = (value: string): Identifier => ({ type: 'address', value });
export const loyalty = (value: string): Identifier => ({ type: 'loyaltyId', value });
export const buyer = (marketplace: string, id: string): Identifier => ({
  type: 'marketplaceBuyerId',
  value: `${marketplace}:${id}`,
});

/** A profile as the policy sees it. */
export const profile = (
  customerId: string,
  createdAt: string,
  identifiers: Identifier[],
  keepApart: string[] = [],
): ProfileFacts => ({ customerId, createdAt, identifiers, keepApart });

/** The policy's input for an order against some profiles: each profile holds its identifiers. */
export function world(order: Identifier[], profiles: ProfileFacts[]): PolicyInput {
  const owners = new Map<string, string>();
  for (const p of profiles) for (const i of p.identifiers) owners.set(identifierKey(i), p.customerId);
  return { identifiers: order, owners, profiles: new Map(profiles.map((p) => [p.customerId, p])) };
}

/** A small pool, so that generated orders often hit the same identifiers as generated profiles. */
const POOL = {
  email: ['e0', 'e1', 'e2', 'e3'].map((v) => email(`${v}@example.com`)),
  phone: [
    ...['+447400000001', '+447400000002', '+447400000003'].map(mobile),
    ...['+442000000001', '+442000000002'].map(landline),
  ],
  loyaltyId: ['L0', 'L1', 'L2'].map(loyalty),
  marketplaceBuyerId: [buyer('amazon', 'b0'), buyer('amazon', 'b1'), buyer('ebay', 'b0')],
  address: ['GB:A1:1 a st', 'GB:A1:2 a st'].map(address),
};
const ALL: Identifier[] = Object.values(POOL).flat();
const MAX_PROFILES = 4;
const DATES = ['2024-01-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'];

/**
 * Some profiles holding identifiers from the pool (each identifier held by at most one), some pairs
 * kept apart, and an order with at most one identifier of each type.
 */
export const policyWorld: fc.Arbitrary<PolicyInput> = fc
  .record({
    count: fc.integer({ min: 1, max: MAX_PROFILES }),
    owners: fc.array(fc.option(fc.nat(MAX_PROFILES - 1), { nil: undefined }), {
      minLength: ALL.length,
      maxLength: ALL.length,
    }),
    ages: fc.array(fc.constantFrom(...DATES), { minLength: MAX_PROFILES, maxLength: MAX_PROFILES }),
    apart: fc.array(fc.tuple(fc.nat(MAX_PROFILES - 1), fc.nat(MAX_PROFILES - 1)), { maxLength: 2 }),
    order: fc.record({
      email: fc.option(fc.nat(POOL.email.length - 1), { nil: undefined }),
      phone: fc.option(fc.nat(POOL.phone.length - 1), { nil: undefined }),
      loyaltyId: fc.option(fc.nat(POOL.loyaltyId.length - 1), { nil: undefined }),
      marketplaceBuyerId: fc.option(fc.nat(POOL.marketplaceBuyerId.length - 1), { nil: undefined }),
      address: fc.option(fc.nat(POOL.address.length - 1), { nil: undefined }),
    }),
  })
  .map(({ count, owners, ages, apart, order }) => {
    const ids = Array.from({ length: count }, (_, i) => `cus_${i}`);
    const profiles = ids.map((id, i) =>
      profile(
        id,
        ages[i]!,
        ALL.filter((_, k) => owners[k] !== undefined && owners[k]! % count === i),
        apart.flatMap(([a, b]) => {
          const [x, y] = [a % count, b % count];
          if (x === y) return [];
          return x === i ? [ids[y]!] : y === i ? [ids[x]!] : [];
        }),
      ),
    );
    const identifiers = (Object.keys(order) as (keyof typeof POOL)[]).flatMap((type) => {
      const index = order[type];
      return index === undefined ? [] : [POOL[type][index]!];
    });
    return world(identifiers, profiles);
  })
  .filter((input) => input.identifiers.length > 0);
