import fc from 'fast-check';
import { z } from 'zod';
import {
  identifierKey,
  identifierTypes,
  normaliseAddress,
  normaliseEmail,
  normaliseLoyaltyId,
  normaliseMarketplaceBuyer,
  normaliseOrderIdentifiers,
  normalisePhone,
  slotOf,
  strengthOf,
} from '../../../shared/customers/domain/identifiers';
import { DomainError } from '../../../shared/platform/errors';
import people from '../../fixtures/customers/people.json';

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail(people.ada.email)).toEqual({ type: 'email', value: 'ada.lovelace@example.com' });
  });

  it('gives the same value however the address is cased or padded, and is idempotent', () => {
    // The addresses the order intake accepts (zod's email check, stricter than RFC 5322).
    const accepted = fc.emailAddress().filter((e) => z.email().safeParse(e.toLowerCase()).success);
    fc.assert(
      fc.property(accepted, fc.boolean(), (email, upper) => {
        const typed = ` ${upper ? email.toUpperCase() : email}\t`;
        const once = normaliseEmail(typed).value;
        expect(once).toBe(normaliseEmail(email).value);
        expect(normaliseEmail(once).value).toBe(once);
      }),
    );
  });

  it('refuses a non-address naming the field, never the value', () => {
    const error = refusal(() => normaliseEmail('not-an-email', 'customer.email'));

    expect(error).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(error.details).toEqual([{ path: 'customer.email', message: 'not a valid email address' }]);
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('not-an-email');
  });
});

describe('normalisePhone', () => {
  it('gives E.164 and the kind of number', () => {
    expect(normalisePhone(people.ada.mobile)).toEqual({
      type: 'phone',
      value: '+447911123456',
      kind: 'mobile',
    });
    expect(normalisePhone(people.household.landline)).toEqual({
      type: 'phone',
      value: '+442079460000',
      kind: 'fixed-line',
    });
  });

  it('calls a number whose plan does not tell mobiles from landlines unknown', () => {
    expect(normalisePhone('+1 202 555 0123').kind).toBe('unknown');
  });

  it('reads a national number with the caller country', () => {
    expect(normalisePhone('07911 123456', 'phone', 'GB').value).toBe('+447911123456');
  });

  it('refuses an invalid number naming the field, never the value', () => {
    const error = refusal(() => normalisePhone('+44 12', 'query.phone'));

    expect(error.details[0]?.path).toBe('query.phone');
    expect(JSON.stringify(error.details)).not.toContain('12');
  });
});

describe('normaliseLoyaltyId', () => {
  it('drops spaces and dashes and upper-cases', () => {
    expect(normaliseLoyaltyId(people.ada.loyaltyId).value).toBe('LOY11112222');
    expect(normaliseLoyaltyId(' loy 1111-2222 ').value).toBe('LOY11112222');
  });
});

describe('normaliseMarketplaceBuyer', () => {
  it('scopes the buyer id by its marketplace', () => {
    const buyer = normaliseMarketplaceBuyer(' Amazon ', ' A1b2 ');

    expect(buyer).toEqual({ type: 'marketplaceBuyerId', value: 'amazon:A1b2' });
    expect(slotOf(buyer)).toBe('marketplaceBuyerId:amazon');
  });
});

describe('normaliseAddress', () => {
  it('gives one household value however the same address is typed', () => {
    const first = normaliseAddress(people.household.address);

    expect(first.value).toBe('GB:W1C1DX:10 main st flat 2');
    expect(normaliseAddress(people.household.sameAddressTypedAgain)).toEqual(first);
  });
});

describe('strength', () => {
  it('holds email, loyalty id, marketplace buyer id and mobile strong; landline, unknown phone and address weak', () => {
    expect(strengthOf(normaliseEmail('a@b.co'))).toBe('strong');
    expect(strengthOf(normaliseLoyaltyId('L1'))).toBe('strong');
    expect(strengthOf(normaliseMarketplaceBuyer('ebay', 'x'))).toBe('strong');
    expect(strengthOf(normalisePhone(people.ada.mobile))).toBe('strong');
    expect(strengthOf(normalisePhone(people.household.landline))).toBe('weak');
    expect(strengthOf(normalisePhone('+1 202 555 0123'))).toBe('weak');
    expect(strengthOf(normaliseAddress(people.household.address))).toBe('weak');
  });

  it('gives single-valued slots to loyalty ids and marketplace buyer ids only', () => {
    expect(slotOf(normaliseLoyaltyId('L1'))).toBe('loyaltyId');
    expect(slotOf(normaliseEmail('a@b.co'))).toBeUndefined();
    expect(slotOf(normalisePhone(people.ada.mobile))).toBeUndefined();
  });
});

describe('normaliseOrderIdentifiers', () => {
  it('normalises every identifier of an order once, naming the order fields on error', () => {
    const identifiers = normaliseOrderIdentifiers({
      email: people.ada.email,
      phone: people.ada.mobile,
      loyaltyId: people.ada.loyaltyId,
      marketplaceBuyer: { marketplace: 'amazon', buyerId: 'B-1' },
      address: people.household.address,
    });

    expect(identifiers.map(identifierKey)).toEqual([
      'email#ada.lovelace@example.com',
      'phone#+447911123456',
      'loyaltyId#LOY11112222',
      'marketplaceBuyerId#amazon:B-1',
      'address#GB:W1C1DX:10 main st flat 2',
    ]);
    expect(identifierTypes(identifiers)).toEqual([
      'email',
      'phone',
      'loyaltyId',
      'marketplaceBuyerId',
      'address',
    ]);
    expect(refusal(() => normaliseOrderIdentifiers({ phone: 'call me' })).details[0]?.path).toBe(
      'customer.phone',
    );
  });
});
