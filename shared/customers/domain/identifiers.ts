import { type CountryCode, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { z } from 'zod';
import { validationFailed } from '../../platform/errors';

/**
 * What identifies a customer, in one normal form per type, so that the same person typed twice (at a
 * till, on the web, through a marketplace) lands on the same identifier key. Pure: the values here
 * are personal data and never leave this context in an event, a log line or an error message.
 */

/** Every kind of identifier, in the order profiles and events list them. */
export const IDENTIFIER_TYPES = ['email', 'phone', 'loyaltyId', 'marketplaceBuyerId', 'address'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];

/**
 * What a phone number is, by the numbering plan (libphonenumber's full metadata). `unknown` covers
 * plans that do not tell mobiles from landlines (`FIXED_LINE_OR_MOBILE`, e.g. the US), VoIP and
 * personal numbers.
 */
export type PhoneKind = 'mobile' | 'fixed-line' | 'unknown';

/** One identifier in normal form. `kind` is set for phones only. */
export interface Identifier {
  type: IdentifierType;
  value: string;
  kind?: PhoneKind;
}

/**
 * Strong identifiers belong to one person: an email address, a loyalty id, a marketplace buyer
 * account, a mobile phone. Weak ones are shared by a household: a landline, a delivery address. A
 * phone of `unknown` kind counts as weak: it may be the household's landline, and a wrong automatic
 * merge costs more than a review item.
 */
export type Strength = 'strong' | 'weak';

/** How strongly an identifier points to one person (see {@link Strength}). */
export function strengthOf(identifier: Identifier): Strength {
  switch (identifier.type) {
    case 'email':
    case 'loyaltyId':
    case 'marketplaceBuyerId':
      return 'strong';
    case 'phone':
      return identifier.kind === 'mobile' ? 'strong' : 'weak';
    case 'address':
      return 'weak';
  }
}

/** True for an identifier that belongs to one person (see {@link Strength}). */
export const isStrong = (identifier: Identifier): boolean => strengthOf(identifier) === 'strong';

/**
 * The single-valued "slot" an identifier fills on a profile, if any: a person has one loyalty
 * account, and one buyer account per marketplace; emails, phones and addresses are many. Two
 * different values in one slot are a disagreement that blocks an automatic merge.
 */
export function slotOf(identifier: Identifier): string | undefined {
  if (identifier.type === 'loyaltyId') return 'loyaltyId';
  if (identifier.type === 'marketplaceBuyerId')
    return `marketplaceBuyerId:${marketplaceOf(identifier.value)}`;
  return undefined;
}

/** The marketplace part of a scoped buyer id (`<marketplace>:<buyerId>`). */
export const marketplaceOf = (value: string): string => value.slice(0, value.indexOf(':'));

/**
 * Which identifier of an order speaks first when the order cannot be attached or merged and must be
 * placed on one profile: ids issued to one person by an account system (our loyalty scheme, a
 * marketplace) before contact details the person typed in.
 */
export const IDENTIFIER_PRECEDENCE: readonly IdentifierType[] = [
  'loyaltyId',
  'marketplaceBuyerId',
  'email',
  'phone',
  'address',
];

/** Orders identifiers by precedence, then by value, so every reader picks the same first one. */
export function byPrecedence(a: Identifier, b: Identifier): number {
  const rank = IDENTIFIER_PRECEDENCE.indexOf(a.type) - IDENTIFIER_PRECEDENCE.indexOf(b.type);
  if (rank !== 0) return rank;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** The key under which an identifier is claimed: `<type>#<value>`. */
export const identifierKey = (identifier: Pick<Identifier, 'type' | 'value'>): string =>
  `${identifier.type}#${identifier.value}`;

const emailSchema = z.email().max(254);

/** Field paths for error details: where the identifier came from in the caller's request. */
export interface IdentifierPaths {
  email?: string;
  phone?: string;
  loyaltyId?: string;
  marketplaceBuyerId?: string;
  address?: string;
}

/** An identifier that cannot be read; the detail names the field, never the value. */
const invalid = (path: string, message: string) =>
  validationFailed([{ path, message }], 'A customer identifier is not valid');

/** Trimmed and lower-cased. Providers that ignore dots or `+tags` are not second-guessed. */
export function normaliseEmail(raw: string, path = 'email'): Identifier {
  const value = raw.trim().toLowerCase();
  if (!emailSchema.safeParse(value).success) throw invalid(path, 'not a valid email address');
  return { type: 'email', value };
}

const PHONE_KINDS: Record<string, PhoneKind> = { MOBILE: 'mobile', FIXED_LINE: 'fixed-line' };

/**
 * E.164, with its kind from the full numbering-plan metadata. National formats need the caller's
 * country (a store knows its own).
 */
export function normalisePhone(raw: string, path = 'phone', defaultCountry?: CountryCode): Identifier {
  let parsed: ReturnType<typeof parsePhoneNumberWithError>;
  try {
    parsed = parsePhoneNumberWithError(raw.trim(), defaultCountry);
  } catch {
    throw invalid(path, 'not a phone number; use international format, e.g. +447911123456');
  }
  if (!parsed.isValid()) throw invalid(path, 'not a valid phone number for its country');
  return { type: 'phone', value: parsed.number, kind: PHONE_KINDS[parsed.getType() ?? ''] ?? 'unknown' };
}

/**
 * Upper-cased without spaces or dashes: cards print loyalty numbers in groups (`1234 5678`), tills
 * and web forms take them as typed.
 */
export function normaliseLoyaltyId(raw: string, path = 'loyaltyId'): Identifier {
  const value = raw.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[A-Z0-9._]{1,64}$/.test(value)) {
    throw invalid(path, '1 to 64 letters or digits (spaces and dashes are ignored)');
  }
  return { type: 'loyaltyId', value };
}

/**
 * A marketplace's buyer id is unique only on that marketplace: scoped as `<marketplace>:<buyerId>`,
 * the marketplace lower-cased, the buyer id as the marketplace gives it (it may be case-sensitive).
 */
export function normaliseMarketplaceBuyer(
  marketplace: string,
  buyerId: string,
  path = 'marketplaceBuyerId',
): Identifier {
  const scope = marketplace.trim().toLowerCase();
  const id = buyerId.trim();
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(scope))
    throw invalid(`${path}.marketplace`, 'not a marketplace name');
  if (id.length === 0 || id.length > 128) throw invalid(`${path}.buyerId`, '1 to 128 characters');
  return { type: 'marketplaceBuyerId', value: `${scope}:${id}` };
}

/** A postal address as orders carry it (a ship delivery's). */
export interface PostalAddress {
  line1: string;
  line2?: string;
  city?: string;
  postalCode: string;
  country: string;
}

/** Lower case, accents dropped, punctuation as spaces, spaces collapsed: `Flat 2, 10 Main St.` ≡ `flat 2 10 main st`. */
const street = (text: string): string =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

/**
 * A delivery address as a weak "household" identifier: `<country>:<postal code>:<street lines>`. The
 * city is left out (the postal code already places it, and towns are spelt many ways).
 */
export function normaliseAddress(address: PostalAddress, path = 'address'): Identifier {
  const country = address.country.trim().toUpperCase();
  const postal = address.postalCode.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const lines = street([address.line1, address.line2 ?? ''].join(' '));
  if (!/^[A-Z]{2}$/.test(country)) throw invalid(`${path}.country`, 'an ISO 3166-1 alpha-2 country code');
  if (postal.length === 0) throw invalid(`${path}.postalCode`, 'a postal code');
  if (lines.length === 0) throw invalid(`${path}.line1`, 'a street address');
  return { type: 'address', value: `${country}:${postal}:${lines}` };
}

/** What an order says about its customer, as the order intake has it (not yet normalised). */
export interface OrderIdentifiers {
  email?: string;
  /** International format, or national with `phoneCountry`. */
  phone?: string;
  phoneCountry?: CountryCode;
  loyaltyId?: string;
  marketplaceBuyer?: { marketplace: string; buyerId: string };
  /** A ship order's delivery address: the household. */
  address?: PostalAddress;
}

/** Where each identifier sits in an order request, for the error that names the field. */
export const ORDER_IDENTIFIER_PATHS: Required<IdentifierPaths> = {
  email: 'customer.email',
  phone: 'customer.phone',
  loyaltyId: 'customer.loyaltyId',
  marketplaceBuyerId: 'customer.marketplaceBuyerId',
  address: 'delivery.address',
};

/** Every identifier of an order in normal form, each key once. */
export function normaliseOrderIdentifiers(
  input: OrderIdentifiers,
  paths: Required<IdentifierPaths> = ORDER_IDENTIFIER_PATHS,
): Identifier[] {
  const found: Identifier[] = [];
  if (input.email !== undefined) found.push(normaliseEmail(input.email, paths.email));
  if (input.phone !== undefined) found.push(normalisePhone(input.phone, paths.phone, input.phoneCountry));
  if (input.loyaltyId !== undefined) found.push(normaliseLoyaltyId(input.loyaltyId, paths.loyaltyId));
  if (input.marketplaceBuyer !== undefined) {
    const { marketplace, buyerId } = input.marketplaceBuyer;
    found.push(normaliseMarketplaceBuyer(marketplace, buyerId, paths.marketplaceBuyerId));
  }
  if (input.address !== undefined) found.push(normaliseAddress(input.address, paths.address));
  const seen = new Set<string>();
  return found.filter((i) => !seen.has(identifierKey(i)) && seen.add(identifierKey(i)));
}

/** The types of some identifiers, sorted and each once: what events and logs may say about them. */
export const identifierTypes = (identifiers: readonly Pick<Identifier, 'type'>[]): IdentifierType[] =>
  [...new Set(identifiers.map((i) => i.type))].sort(
    (a, b) => IDENTIFIER_TYPES.indexOf(a) - IDENTIFIER_TYPES.indexOf(b),
  );
