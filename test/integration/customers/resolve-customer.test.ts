import { IDENTITY_RULES } from '../../../shared/customers/domain/policy';
import type { CustomerPorts } from '../../../shared/customers/use-cases/ports';
import { findCustomers, getCustomer, listReviews } from '../../../shared/customers/use-cases/queries';
import { linkOrderOp, resolveCustomer } from '../../../shared/customers/use-cases/resolve-customer';
import { logger } from '../../../shared/platform/logger';
import { customerPorts, minute, people, placeOrder, rejection } from './support';

const { ada, grace, household } = people;

describe('resolveCustomer', () => {
  let ports: CustomerPorts;
  beforeEach(async () => {
    ports = await customerPorts();
  });

  it('gives a store order with a phone and a later web order with that phone and an email one customer with both orders', async () => {
    const store = await placeOrder(ports, 'ord_store', 'store', { phone: ada.mobile }, minute(0));

    const web = await placeOrder(ports, 'ord_web', 'web', { phone: ada.mobile, email: ada.email }, minute(5));

    expect(store.decision).toMatchObject({ outcome: 'created', rule: IDENTITY_RULES.newCustomer });
    expect(web).toMatchObject({
      customerId: store.customerId,
      replayed: false,
      decision: {
        outcome: 'attached',
        rule: IDENTITY_RULES.strongMatch,
        matched: [{ type: 'phone', strength: 'strong', customerId: store.customerId }],
        added: ['email'],
      },
    });
    const customer = await getCustomer(ports, 'callcenter', store.customerId);
    expect(customer.identifiers.map((i) => [i.type, i.value])).toEqual([
      ['phone', '+447911123456'],
      ['email', 'ada.lovelace@example.com'],
    ]);
    expect(customer.orders.map((o) => [o.orderId, o.channel])).toEqual([
      ['ord_web', 'web'],
      ['ord_store', 'store'],
    ]);
    expect(customer.channels).toEqual(['store', 'web']);
  });

  it('finds the customer by email, phone or loyalty id however they are typed', async () => {
    const { customerId } = await placeOrder(
      ports,
      'ord_1',
      'store',
      { email: ada.email, phone: ada.mobile, loyaltyId: ada.loyaltyId },
      minute(0),
    );

    const byEmail = await findCustomers(ports, 'callcenter', { email: 'ADA.LOVELACE@example.com' });
    const byPhone = await findCustomers(ports, 'store', { phone: ' 447911123456' });
    const byLoyalty = await findCustomers(ports, 'ops', { loyaltyId: 'loy 1111 2222' });
    const nobody = await findCustomers(ports, 'ops', { email: 'nobody@example.com' });

    for (const found of [byEmail, byPhone, byLoyalty]) {
      expect(found.items.map((c) => c.customerId)).toEqual([customerId]);
      expect(found.items[0]?.orders.map((o) => o.orderId)).toEqual(['ord_1']);
    }
    expect(nobody.items).toEqual([]);
  });

  it('refuses the profile to a selling channel', async () => {
    const { customerId } = await placeOrder(ports, 'ord_1', 'web', { email: ada.email }, minute(0));

    const error = await rejection(getCustomer(ports, 'web', customerId));

    expect(error).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('answers a retried intake with the first answer', async () => {
    const first = await resolveCustomer(ports, {
      identifiers: { email: ada.email },
      orderId: 'ord_1',
      channel: 'web',
      at: minute(0),
    });

    const again = await resolveCustomer(ports, {
      identifiers: { email: ada.email, phone: ada.mobile },
      orderId: 'ord_1',
      channel: 'web',
      at: minute(1),
    });

    expect(again).toEqual({ ...first, replayed: true });
    expect((await getCustomer(ports, 'ops', first.customerId)).identifiers).toHaveLength(1);
  });

  it('links an order once: the link op of an order already linked fails its transaction', async () => {
    const { customerId } = await placeOrder(ports, 'ord_1', 'web', { email: ada.email }, minute(0));

    const twice = await ports.transact([linkOrderOp(ports, customerId, 'ord_1', 'web', minute(0))]);

    expect(twice).toMatchObject({ kind: 'cancelled', reasons: [{ code: 'ConditionalCheckFailed' }] });
  });

  it('records a review item, not a merge, for an order whose loyalty id conflicts with its phone’s profile', async () => {
    const store = await placeOrder(
      ports,
      'ord_store',
      'store',
      { phone: ada.mobile, loyaltyId: ada.loyaltyId },
      minute(0),
    );

    const web = await placeOrder(
      ports,
      'ord_web',
      'web',
      { phone: ada.mobile, loyaltyId: grace.loyaltyId },
      minute(5),
    );

    expect(web.decision).toMatchObject({ outcome: 'review', rule: IDENTITY_RULES.conflicting });
    expect(web.customerId).not.toBe(store.customerId);
    const { items } = await listReviews(ports);
    expect(items).toEqual([
      expect.objectContaining({
        reviewId: web.decision.reviewId,
        rule: IDENTITY_RULES.conflicting,
        customerIds: [store.customerId, web.customerId],
        placedOn: web.customerId,
        status: 'open',
      }),
    ]);
    const original = await getCustomer(ports, 'ops', store.customerId);
    expect(original.identifiers.map((i) => i.type)).toEqual(['loyaltyId', 'phone']);
    expect(original.mergedProfiles).toEqual([]);
    expect(original.orders.map((o) => o.orderId)).toEqual(['ord_store']);
    const placed = await getCustomer(ports, 'ops', web.customerId);
    expect(placed.identifiers.map((i) => i.value)).toEqual(['LOY33334444']);
    expect(placed.orders.map((o) => o.orderId)).toEqual(['ord_web']);
  });

  it('merges two profiles an order links by strong identifiers that agree, into the oldest', async () => {
    const web = await placeOrder(ports, 'ord_web', 'web', { email: ada.email }, minute(0));
    const store = await placeOrder(ports, 'ord_store', 'store', { phone: ada.mobile }, minute(5));

    const app = await placeOrder(
      ports,
      'ord_app',
      'app',
      { email: ada.email, phone: ada.mobile },
      minute(10),
    );

    expect(app).toMatchObject({
      customerId: web.customerId,
      decision: { outcome: 'merged', rule: IDENTITY_RULES.strongAgree, mergedIds: [store.customerId] },
    });
    const viaStore = await getCustomer(ports, 'store', store.customerId);
    expect(viaStore).toMatchObject({ customerId: web.customerId, requestedCustomerId: store.customerId });
    expect(viaStore.orders.map((o) => o.orderId)).toEqual(['ord_app', 'ord_store', 'ord_web']);
    expect(viaStore.mergedProfiles).toEqual([
      { customerId: store.customerId, mergeId: app.decision.mergeIds?.[0] },
    ]);
  });

  it('never attaches on a shared landline alone', async () => {
    const home = await placeOrder(ports, 'ord_1', 'callcenter', { phone: household.landline }, minute(0));

    const again = await placeOrder(ports, 'ord_2', 'callcenter', { phone: household.landline }, minute(5));

    expect(again.decision).toMatchObject({ outcome: 'review', rule: IDENTITY_RULES.weakOnly });
    expect(again.customerId).not.toBe(home.customerId);
    expect((await listReviews(ports)).items[0]?.customerIds).toEqual([home.customerId, again.customerId]);
  });

  it('ends twenty concurrent orders sharing one new email on one customer', async () => {
    // Half of them bring a phone of their own too: those land on the one profile as well.
    const phones = Array.from({ length: 10 }, (_, i) => `+4474000000${String(i).padStart(2, '0')}`);

    const resolutions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        placeOrder(
          ports,
          `ord_${i}`,
          'web',
          { email: grace.email, ...(phones[i] ? { phone: phones[i] } : {}) },
          minute(i % 3),
        ),
      ),
    );

    const ids = new Set(resolutions.map((r) => r.customerId));
    expect(ids.size).toBe(1);
    const [customerId] = [...ids] as [string];
    expect(resolutions.filter((r) => r.decision.outcome === 'created')).toHaveLength(1);
    const customer = await getCustomer(ports, 'ops', customerId);
    expect(customer.identifiers.filter((i) => i.type === 'email')).toHaveLength(1);
    expect(
      customer.identifiers
        .filter((i) => i.type === 'phone')
        .map((i) => i.value)
        .sort(),
    ).toEqual(phones);
    expect(customer.orders).toHaveLength(20);
    for (const phone of phones) {
      expect((await findCustomers(ports, 'ops', { phone })).items[0]?.customerId).toBe(customerId);
    }
  });

  it('records no more identifiers on a profile than it may hold, and says so', async () => {
    const phones = Array.from({ length: 20 }, (_, i) => `+4474000001${String(i).padStart(2, '0')}`);
    for (const [i, phone] of phones.entries()) {
      await placeOrder(ports, `ord_${i}`, 'web', { email: grace.email, phone }, minute(i));
    }

    const last = await placeOrder(
      ports,
      'ord_last',
      'web',
      { email: grace.email, phone: ada.mobile },
      minute(30),
    );

    expect(last.decision).toMatchObject({ outcome: 'attached', added: [], notRecorded: ['phone'] });
    expect((await findCustomers(ports, 'ops', { phone: ada.mobile })).items).toEqual([]);
    expect((await getCustomer(ports, 'ops', last.customerId)).orders).toHaveLength(21);
  });

  it('answers concurrent retries of one order with one answer', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 5 }, () =>
        resolveCustomer(ports, {
          identifiers: { email: ada.email },
          orderId: 'ord_1',
          channel: 'web',
          at: minute(0),
        }),
      ),
    );

    expect(new Set(attempts.map((a) => a.customerId)).size).toBe(1);
    expect(attempts.filter((a) => !a.replayed).length).toBeLessThanOrEqual(1);
  });

  it('refuses an order without an identifier, and a malformed one naming its field only', async () => {
    const none = await rejection(
      resolveCustomer(ports, { identifiers: {}, orderId: 'ord_1', channel: 'web', at: minute(0) }),
    );
    const malformed = await rejection(
      resolveCustomer(ports, {
        identifiers: { email: 'ada at home' },
        orderId: 'ord_2',
        channel: 'web',
        at: minute(0),
      }),
    );

    expect(none).toMatchObject({ status: 400, details: [{ path: 'customer' }] });
    expect(malformed).toMatchObject({ status: 400, details: [{ path: 'customer.email' }] });
    expect(JSON.stringify(malformed.details) + malformed.message).not.toContain('ada at home');
  });

  it('logs no personal data', async () => {
    const calls: unknown[] = [];
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        calls.push(args);
      }),
    );
    try {
      await placeOrder(ports, 'ord_1', 'store', { phone: ada.mobile, address: household.address }, minute(0));
      await placeOrder(ports, 'ord_2', 'web', { phone: ada.mobile, email: ada.email }, minute(1));
      await placeOrder(ports, 'ord_3', 'web', { phone: ada.mobile, loyaltyId: grace.loyaltyId }, minute(2));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    const logged = JSON.stringify(calls);
    expect(calls.length).toBeGreaterThan(0);
    for (const value of ['7911123456', 'ada.lovelace', 'LOY3333', 'main st', 'W1C']) {
      expect(logged.toLowerCase()).not.toContain(value.toLowerCase());
    }
  });
});
