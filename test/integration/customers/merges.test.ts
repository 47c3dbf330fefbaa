import { IDENTITY_RULES } from '../../../shared/customers/domain/policy';
import { dismissReview, mergeCustomers, unmergeCustomers } from '../../../shared/customers/use-cases/merges';
import type { CustomerPorts } from '../../../shared/customers/use-cases/ports';
import { findCustomers, getCustomer, listReviews } from '../../../shared/customers/use-cases/queries';
import { verifyEmail } from '../../../shared/customers/use-cases/verify-email';
import { customerPorts, minute, people, placeOrder, rejection } from './support';

const { ada, grace, guest } = people;

const ordersOf = async (ports: CustomerPorts, customerId: string) =>
  (await getCustomer(ports, 'ops', customerId)).orders.map((o) => o.orderId);
const identifiersOf = async (ports: CustomerPorts, customerId: string) =>
  (await getCustomer(ports, 'ops', customerId)).identifiers.map((i) => `${i.type}:${i.value}`);

describe('unmergeCustomers', () => {
  let ports: CustomerPorts;
  beforeEach(async () => {
    ports = await customerPorts();
  });

  it('restores both profiles of an automatic merge with their identifiers and orders, and keeps them apart', async () => {
    const web = await placeOrder(ports, 'ord_web', 'web', { email: ada.email }, minute(0));
    const store = await placeOrder(ports, 'ord_store', 'store', { phone: ada.mobile }, minute(5));
    const app = await placeOrder(
      ports,
      'ord_app',
      'app',
      { email: ada.email, phone: ada.mobile },
      minute(10),
    );
    // After the merge: one order through the store profile's phone alone (it brings a loyalty id),
    // one through the web profile's email alone.
    await placeOrder(ports, 'ord_till', 'store', { phone: ada.mobile, loyaltyId: ada.loyaltyId }, minute(15));
    await placeOrder(ports, 'ord_mail', 'web', { email: ada.email }, minute(20));
    const [mergeId] = app.decision.mergeIds ?? [];

    const undone = await unmergeCustomers(ports, mergeId!);

    expect(undone).toMatchObject({
      mergeId,
      status: 'undone',
      survivorId: web.customerId,
      mergedId: store.customerId,
      repointedOrderIds: ['ord_till'],
    });
    expect(await identifiersOf(ports, web.customerId)).toEqual(['email:ada.lovelace@example.com']);
    expect(await ordersOf(ports, web.customerId)).toEqual(['ord_mail', 'ord_app', 'ord_web']);
    expect(await identifiersOf(ports, store.customerId)).toEqual([
      'phone:+447911123456',
      'loyaltyId:LOY11112222',
    ]);
    expect(await ordersOf(ports, store.customerId)).toEqual(['ord_till', 'ord_store']);
    const restored = await getCustomer(ports, 'ops', store.customerId);
    expect(restored).toMatchObject({
      customerId: store.customerId,
      status: 'active',
      keptApartFrom: [web.customerId],
    });
    expect(restored).not.toHaveProperty('requestedCustomerId');
    expect((await findCustomers(ports, 'ops', { phone: ada.mobile })).items[0]?.customerId).toBe(
      store.customerId,
    );

    const again = await placeOrder(
      ports,
      'ord_again',
      'app',
      { email: ada.email, phone: ada.mobile },
      minute(30),
    );

    expect(again.decision).toMatchObject({ outcome: 'review', rule: IDENTITY_RULES.keptApart });
    expect(await unmergeCustomers(ports, mergeId!)).toMatchObject({
      status: 'undone',
      repointedOrderIds: ['ord_till'],
    });
  });

  it('undoes a merge only after a later merge of its survivor', async () => {
    await placeOrder(ports, 'ord_c', 'web', { email: grace.email }, minute(0));
    const a = await placeOrder(ports, 'ord_a', 'store', { phone: ada.mobile }, minute(1));
    const b = await placeOrder(ports, 'ord_b', 'store', { loyaltyId: ada.loyaltyId }, minute(2));
    const first = await placeOrder(
      ports,
      'ord_ab',
      'store',
      { phone: ada.mobile, loyaltyId: ada.loyaltyId },
      minute(3),
    );
    const second = await placeOrder(
      ports,
      'ord_ca',
      'web',
      { email: grace.email, phone: ada.mobile },
      minute(4),
    );
    const firstMerge = first.decision.mergeIds![0]!;
    const secondMerge = second.decision.mergeIds![0]!;

    const refused = await rejection(unmergeCustomers(ports, firstMerge));

    expect(first).toMatchObject({ customerId: a.customerId, decision: { mergedIds: [b.customerId] } });
    expect(refused).toMatchObject({ status: 409, code: 'MERGE_NOT_UNDOABLE' });
    expect(refused.details[0]).toMatchObject({ laterMergeId: secondMerge });

    await unmergeCustomers(ports, secondMerge);
    await unmergeCustomers(ports, firstMerge);

    expect(await ordersOf(ports, b.customerId)).toEqual(['ord_b']);
    expect(await ordersOf(ports, a.customerId)).toEqual(['ord_ab', 'ord_a']);
  });

  it('answers an unknown merge with NOT_FOUND', async () => {
    expect(await rejection(unmergeCustomers(ports, 'mrg_nope'))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
  });
});

describe('review items', () => {
  let ports: CustomerPorts;
  beforeEach(async () => {
    ports = await customerPorts();
  });

  /** A store profile with loyalty L1 and a web profile with loyalty L2, linked by one app order. */
  async function disagreement() {
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
      { email: ada.email, loyaltyId: grace.loyaltyId },
      minute(5),
    );
    const app = await placeOrder(
      ports,
      'ord_app',
      'app',
      { email: ada.email, phone: ada.mobile },
      minute(10),
    );
    return { store, web, app, reviewId: app.decision.reviewId! };
  }

  it('holds two profiles with different loyalty ids for review, the order on its email’s profile', async () => {
    const { store, web, app, reviewId } = await disagreement();

    expect(app).toMatchObject({
      customerId: web.customerId,
      decision: { outcome: 'review', rule: IDENTITY_RULES.disagree },
    });
    expect((await listReviews(ports)).items).toEqual([
      expect.objectContaining({
        reviewId,
        customerIds: [store.customerId, web.customerId],
        placedOn: web.customerId,
      }),
    ]);
  });

  it('merges a review by operations, and the merge undoes back to both profiles with their orders', async () => {
    const { store, web, reviewId } = await disagreement();

    const merged = await mergeCustomers(ports, reviewId);

    expect(merged.review).toMatchObject({ status: 'merged', mergeIds: [merged.merges[0]?.mergeId] });
    expect(merged.merges[0]).toMatchObject({
      rule: 'ops-review',
      by: 'ops',
      survivorId: store.customerId,
      mergedId: web.customerId,
      orderIds: ['ord_app', 'ord_web'],
    });
    expect(await ordersOf(ports, store.customerId)).toEqual(['ord_app', 'ord_web', 'ord_store']);
    expect((await identifiersOf(ports, store.customerId)).sort()).toEqual([
      'email:ada.lovelace@example.com',
      'loyaltyId:LOY11112222',
      'loyaltyId:LOY33334444',
      'phone:+447911123456',
    ]);
    expect((await listReviews(ports)).items).toEqual([]);
    expect((await listReviews(ports, 'merged')).items.map((r) => r.reviewId)).toEqual([reviewId]);
    expect((await mergeCustomers(ports, reviewId)).review.status).toBe('merged');

    await unmergeCustomers(ports, merged.merges[0]!.mergeId);

    expect(await identifiersOf(ports, store.customerId)).toEqual([
      'loyaltyId:LOY11112222',
      'phone:+447911123456',
    ]);
    expect(await ordersOf(ports, store.customerId)).toEqual(['ord_store']);
    expect(await identifiersOf(ports, web.customerId)).toEqual([
      'loyaltyId:LOY33334444',
      'email:ada.lovelace@example.com',
    ]);
    expect(await ordersOf(ports, web.customerId)).toEqual(['ord_app', 'ord_web']);
  });

  it('dismisses a review for good: no merge from it, no new item for the same profiles', async () => {
    const { reviewId } = await disagreement();

    const dismissed = await dismissReview(ports, reviewId);
    const refused = await rejection(mergeCustomers(ports, reviewId));
    const again = await placeOrder(
      ports,
      'ord_again',
      'app',
      { email: ada.email, phone: ada.mobile },
      minute(20),
    );

    expect(dismissed.review.status).toBe('dismissed');
    expect(refused).toMatchObject({ status: 409, code: 'REVIEW_NOT_OPEN' });
    expect(again.decision).toMatchObject({ outcome: 'review', reviewId });
    expect((await listReviews(ports)).items).toEqual([]);
    expect((await listReviews(ports, 'dismissed')).items).toHaveLength(1);
  });
});

describe('verifyEmail', () => {
  let ports: CustomerPorts;
  beforeEach(async () => {
    ports = await customerPorts();
  });

  it("claims a guest's orders when its email is verified on a profile, and the claim undoes", async () => {
    const g1 = await placeOrder(ports, 'ord_g1', 'web', { email: guest.email }, minute(0));
    await placeOrder(ports, 'ord_g2', 'app', { email: guest.email }, minute(5));
    const member = await placeOrder(
      ports,
      'ord_p',
      'store',
      { loyaltyId: ada.loyaltyId, phone: ada.mobile },
      minute(10),
    );
    expect((await getCustomer(ports, 'ops', g1.customerId)).guest).toBe(true);

    const verified = await verifyEmail(ports, {
      customerId: member.customerId,
      email: ' Guest.Buyer@Example.net ',
    });

    expect(verified).toEqual({
      customerId: member.customerId,
      claimed: { customerId: g1.customerId, mergeId: expect.any(String), orderIds: ['ord_g2', 'ord_g1'] },
    });
    const claimant = await getCustomer(ports, 'ops', member.customerId);
    expect(claimant.orders.map((o) => o.orderId)).toEqual(['ord_p', 'ord_g2', 'ord_g1']);
    expect(claimant.identifiers.find((i) => i.type === 'email')).toMatchObject({
      value: 'guest.buyer@example.net',
      verifiedAt: expect.any(String),
    });
    expect(await getCustomer(ports, 'ops', g1.customerId)).toMatchObject({
      customerId: member.customerId,
      requestedCustomerId: g1.customerId,
    });
    expect(await verifyEmail(ports, { customerId: member.customerId, email: guest.email })).toEqual({
      customerId: member.customerId,
    });

    await unmergeCustomers(ports, verified.claimed!.mergeId);

    const back = await getCustomer(ports, 'ops', g1.customerId);
    expect(back).toMatchObject({ customerId: g1.customerId, guest: true });
    expect(back.orders.map((o) => o.orderId)).toEqual(['ord_g2', 'ord_g1']);
    expect(back.identifiers[0]).not.toHaveProperty('verifiedAt');
    expect(await identifiersOf(ports, member.customerId)).toEqual([
      'loyaltyId:LOY11112222',
      'phone:+447911123456',
    ]);
  });

  it('adds an email nobody holds as verified, and verifies one the profile holds', async () => {
    const member = await placeOrder(ports, 'ord_p', 'store', { loyaltyId: ada.loyaltyId }, minute(0));
    const other = await placeOrder(
      ports,
      'ord_q',
      'web',
      { email: grace.email, phone: grace.mobile },
      minute(1),
    );

    await verifyEmail(ports, { customerId: member.customerId, email: ada.email });
    await verifyEmail(ports, { customerId: other.customerId, email: grace.email });

    expect((await getCustomer(ports, 'ops', member.customerId)).identifiers).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'email', verifiedAt: expect.any(String) })]),
    );
    expect((await getCustomer(ports, 'ops', other.customerId)).identifiers[0]).toMatchObject({
      type: 'email',
      verifiedAt: expect.any(String),
    });
  });

  it('refuses an email held by a customer who is not a guest, without naming it', async () => {
    const member = await placeOrder(ports, 'ord_p', 'store', { loyaltyId: ada.loyaltyId }, minute(0));
    // Typed at a till: a store order is not a guest checkout.
    await placeOrder(ports, 'ord_s', 'store', { email: grace.email }, minute(1));

    const refused = await rejection(
      verifyEmail(ports, { customerId: member.customerId, email: grace.email }),
    );

    expect(refused).toMatchObject({ status: 409, code: 'EMAIL_BELONGS_TO_ANOTHER_CUSTOMER' });
    expect(JSON.stringify(refused.details) + refused.message).not.toContain('grace');
  });
});
