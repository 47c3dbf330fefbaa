import type { Principal } from '../../platform/principals';
import { customerNotFound, customersForbidden } from '../domain/errors';
import {
  type Identifier,
  identifierKey,
  normaliseEmail,
  normaliseLoyaltyId,
  normalisePhone,
  strengthOf,
} from '../domain/identifiers';
import { isGuest, type Profile, type ReviewItem, type ReviewStatus } from '../domain/profile';
import { activeProfile, orderHistory } from './history';
import type { CustomerQueryPorts } from './ports';

/**
 * Who may read customer profiles: operations, and the channels that serve a customer in person or on
 * the phone (a store's till, the call centre). The routes are open to every channel key (`any`) at
 * the gateway, which has no finer grain; the web, app and marketplace channels are refused here.
 */
export const PROFILE_READERS: readonly Principal[] = ['ops', 'store', 'callcenter'];

/** Refuses (FORBIDDEN) a principal that is not one of the {@link PROFILE_READERS}. */
export function assertMayReadProfiles(principal: Principal): void {
  if (!PROFILE_READERS.includes(principal)) throw customersForbidden();
}

/** A profile view lists this many of its newest orders; `orderCount` counts them all. */
export const MAX_SHOWN_ORDERS = 200;

/** A profile with its identifiers and its order history from every channel (its own and absorbed profiles'). */
export async function customerView(ports: CustomerQueryPorts, profile: Profile) {
  const orders = await orderHistory(ports, profile);
  return {
    customerId: profile.customerId,
    status: profile.status,
    guest: isGuest(profile),
    createdAt: profile.createdAt,
    createdFrom: profile.createdFrom,
    identifiers: profile.identifiers.map((i) => ({
      type: i.type,
      value: i.value,
      strength: strengthOf(i),
      ...(i.kind ? { kind: i.kind } : {}),
      ...(i.verifiedAt ? { verifiedAt: i.verifiedAt } : {}),
      addedAt: i.addedAt,
    })),
    mergedProfiles: profile.absorbed,
    ...(profile.keepApart.length > 0 ? { keptApartFrom: profile.keepApart } : {}),
    channels: [...new Set(orders.map((o) => o.channel))].sort(),
    orders: orders.map((o) => ({
      orderId: o.orderId,
      channel: o.channel,
      at: o.at,
      profileId: o.customerId,
    })),
  };
}

/** What `GET /customers/{customerId}` and the lookup answer with. */
export type CustomerView = Awaited<ReturnType<typeof customerView>>;

/**
 * One customer: a merged profile answers with the profile it lives on now (`requestedCustomerId`
 * says which was asked for).
 */
export async function getCustomer(
  ports: CustomerQueryPorts,
  principal: Principal,
  customerId: string,
): Promise<CustomerView & { requestedCustomerId?: string }> {
  assertMayReadProfiles(principal);
  const profile = await ports.customers.getProfile(customerId);
  if (!profile) throw customerNotFound(customerId);
  const active = await activeProfile(ports, profile);
  const view = await customerView(ports, active);
  return active.customerId === customerId ? view : { ...view, requestedCustomerId: customerId };
}

/** Exactly one identifier to look a customer up by, as a call centre or a till types it. */
export type CustomerLookup = { email: string } | { phone: string } | { loyaltyId: string };

function lookupIdentifier(lookup: CustomerLookup): Identifier {
  if ('email' in lookup) return normaliseEmail(lookup.email, 'query.email');
  if ('loyaltyId' in lookup) return normaliseLoyaltyId(lookup.loyaltyId, 'query.loyaltyId');
  // A `+` left unencoded in a query string arrives as a space: digits alone are read as international.
  const typed = lookup.phone.trim();
  return normalisePhone(/^\d+$/.test(typed) ? `+${typed}` : typed, 'query.phone');
}

/**
 * The customer an email, phone or loyalty id belongs to, normalised the way orders are (so
 * ` Ada@Example.com ` finds `ada@example.com`): none or one.
 */
export async function findCustomers(ports: CustomerQueryPorts, principal: Principal, lookup: CustomerLookup) {
  assertMayReadProfiles(principal);
  const key = identifierKey(lookupIdentifier(lookup));
  const holder = (await ports.customers.owners([key])).get(key);
  const profile = holder ? await ports.customers.getProfile(holder) : undefined;
  if (!profile) return { items: [] as CustomerView[] };
  return { items: [await customerView(ports, await activeProfile(ports, profile))] };
}

/** Review items in a status, oldest first: the operations work queue. */
export async function listReviews(
  ports: CustomerQueryPorts,
  status: ReviewStatus = 'open',
  limit = 50,
): Promise<{ items: ReviewItem[] }> {
  return { items: await ports.customers.listReviews(status, limit) };
}
