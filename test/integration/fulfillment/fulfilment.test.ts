import { randomUUID } from 'node:crypto';
import { makeCatalogPorts } from '../../../shared/catalog';
import type { CatalogPorts } from '../../../shared/catalog/use-cases/ports';
import { FulfilmentStore } from '../../../shared/fulfillment/adapters/fulfilment-store';
import { ProfileStore } from '../../../shared/fulfillment/adapters/profile-store';
import { makeFulfilmentPorts } from '../../../shared/fulfillment/adapters/runtime';
import { DEFAULT_PROFILE } from '../../../shared/fulfillment/domain/profile';
import { stopFulfillment } from '../../../shared/fulfillment/use-cases/lifecycle';
import { answerWork, listWork } from '../../../shared/fulfillment/use-cases/location-work';
import type { FulfilmentPorts, WorkflowPort } from '../../../shared/fulfillment/use-cases/ports';
import { activateProfile, putProfile } from '../../../shared/fulfillment/use-cases/profiles';
import {
  abandonGroup,
  askLocation,
  completeOrder,
  resolveTimeout,
} from '../../../shared/fulfillment/use-cases/progress';
import { profilePlanner, rerouteGroup, routeOrder } from '../../../shared/fulfillment/use-cases/routing';
import { orderTimeline } from '../../../shared/fulfillment/use-cases/timeline';
import { makeInventoryPorts } from '../../../shared/inventory/adapters/runtime';
import type { LocationInput } from '../../../shared/inventory/schemas';
import type { InventoryPorts } from '../../../shared/inventory/use-cases/ports';
import {
  getInventory,
  putLocation,
  setCount,
  setLocationStatus,
} from '../../../shared/inventory/use-cases/stock';
import { makeOrderPorts } from '../../../shared/orders/adapters/runtime';
import type { OrderInput } from '../../../shared/orders/schemas';
import { cancelOrder, getOrder, placeOrder } from '../../../shared/orders/use-cases/orders';
import type { OrderPorts } from '../../../shared/orders/use-cases/ports';
import { documentClient } from '../../../shared/platform/clients';
import type { DomainError } from '../../../shared/platform/errors';
import { catalogProductFacts, makePricingPorts, type PricingPorts } from '../../../shared/pricing';
import { ensureProducts } from '../../support/catalog';
import { freshTables, tablesOf } from '../../support/dynamo';
import { DC, storeAt } from '../../support/network';

/**
 * The fulfilment use cases on DynamoDB Local, stepped as the group workflow steps them (ask the
 * location, take its answer, record it): routing by the sourcing engine, answers through the
 * location API, reroutes, pickups, cancels and what each moves in stock. The workflows are a fake
 * that records the answers (the real ASL under the local runner is the end-to-end suite's).
 */

const CUSTOMER_NEAR_LONDON = { lat: 51.52, lon: -0.1 };

const NETWORK: Record<string, LocationInput> = {
  'STORE-LON': storeAt('London Oxford St', 51.5154, -0.1419),
  'STORE-BHM': storeAt('Birmingham Bullring', 52.4778, -1.8936),
  // Preferred by priority (10): the built-in placement would choose it; the profile ranks by distance.
  'DC-DAV': DC,
};

const shipTo = (lines: { sku: string; quantity: number }[]): OrderInput => ({
  customer: { email: 'ada@example.com' },
  lines,
  delivery: {
    type: 'ship',
    address: {
      line1: '1 Main St',
      city: 'London',
      postalCode: 'EC1A 1BB',
      country: 'GB',
      ...CUSTOMER_NEAR_LONDON,
    },
  },
});

const pickupAt = (locationId: string, lines: { sku: string; quantity: number }[]): OrderInput => ({
  customer: { email: 'ada@example.com' },
  lines,
  delivery: { type: 'pickup', locationId },
});

describe('fulfilment', () => {
  let inventory: InventoryPorts;
  let catalog: CatalogPorts;
  let prices: PricingPorts;
  let orders: OrderPorts;
  let ports: FulfilmentPorts;
  let answers: { token: string; outcome: unknown }[];
  let expired: Set<string>;
  let profileStore: ProfileStore;

  beforeEach(async () => {
    const { client, names } = await freshTables();
    const doc = documentClient(client);
    inventory = makeInventoryPorts(doc, names.inventory ?? '');
    catalog = makeCatalogPorts(doc, names.catalog ?? '');
    prices = makePricingPorts(doc, names.pricing ?? '', catalogProductFacts(catalog));
    profileStore = new ProfileStore(doc, names.fulfillment ?? '');
    orders = makeOrderPorts(
      doc,
      tablesOf(names),
      inventory,
      profilePlanner(profileStore, new FulfilmentStore(doc, names.fulfillment ?? '')),
    );
    answers = [];
    expired = new Set();
    const workflows: WorkflowPort = {
      startOrder: async () => 'started',
      stop: async () => {},
      answer: async (token, outcome) => {
        if (expired.has(token)) return 'notWaiting';
        answers.push({ token, outcome });
        return 'delivered';
      },
      history: async () => [],
    };
    ports = makeFulfilmentPorts(
      doc,
      { fulfillment: names.fulfillment ?? '', orders: names.orders ?? '' },
      inventory,
      workflows,
    );
    for (const [id, location] of Object.entries(NETWORK)) await putLocation(inventory, id, location);
  });

  const count = async (sku: string, locationId: string, onHand: number) => {
    await ensureProducts(catalog, [sku], prices);
    return setCount(inventory, sku, locationId, { onHand });
  };
  const place = async (input: OrderInput, channel: 'web' | 'store' = 'web') => {
    const result = await placeOrder(orders, {
      channel,
      scope: channel,
      idempotencyKey: randomUUID(),
      idempotencyKeyPath: 'headers.Idempotency-Key',
      input,
    });
    return (result.body as { orderId: string }).orderId;
  };
  const position = async (sku: string, locationId: string) =>
    (await getInventory(inventory, sku)).positions.find((p) => p.locationId === locationId);
  const locationKey = (locationId: string) => `location:${locationId}` as const;
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: DomainError) => e,
    );
  /** An order placed, routed to one group, and that group's location asked for its answer. */
  const requested = async (input: OrderInput, token: string) => {
    const orderId = await place(input);
    const groupId = `${orderId}-G1`;
    await routeOrder(ports, orderId);
    await askLocation(ports, { taskToken: token, orderId, groupId, step: 'answer' });
    return { orderId, groupId };
  };
  /** The group workflow's first steps: the location is asked and accepts, then is asked to dispatch. */
  const acceptAt = async (orderId: string, groupId: string, locationId: string) => {
    await askLocation(ports, { taskToken: `${groupId}-answer`, orderId, groupId, step: 'answer' });
    await answerWork(ports, locationKey(locationId), { locationId, groupId, action: 'accept' });
    await askLocation(ports, { taskToken: `${groupId}-dispatch`, orderId, groupId, step: 'dispatch' });
  };

  it('routes a ship order to the store nearest the customer, says why, and ships it from there', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 20);

    const orderId = await place(shipTo([{ sku: 'TEE', quantity: 2 }]));
    const { groups } = await routeOrder(ports, orderId);

    expect(groups).toEqual([expect.objectContaining({ groupId: `${orderId}-G1`, locationId: 'STORE-LON' })]);
    const routed = await getOrder(orders, 'web', orderId);
    expect(routed.status).toBe('ROUTED');
    expect(routed.decision).toMatchObject({
      rule: 'sourcing-profile',
      profileId: 'default',
      profileVersion: 1,
    });
    expect(routed.decision.summary).toContain('STORE-LON');
    expect(await routeOrder(ports, orderId)).toEqual({ groups });

    await acceptAt(orderId, `${orderId}-G1`, 'STORE-LON');
    expect((await getOrder(orders, 'web', orderId)).status).toBe('IN_FULFILLMENT');
    const shipped = await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId: `${orderId}-G1`,
      action: 'ship',
      details: { carrier: 'DPD', trackingNumber: '155012' },
    });

    expect(shipped).toMatchObject({ status: 'SHIPPED', step: 'dispatch', repeated: false });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect(await completeOrder(ports, orderId)).toEqual({ status: 'COMPLETED' });
    const done = await getOrder(orders, 'web', orderId);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      lines: [{ sku: 'TEE', quantity: 2, fulfilledQuantity: 2, status: 'FULFILLED', allocations: [] }],
      groups: [{ status: 'SHIPPED', carrier: 'DPD', trackingNumber: '155012' }],
    });
    expect(answers.map((a) => a.outcome)).toEqual([
      { output: { action: 'accept', status: 'ACCEPTED', next: 'dispatch' } },
      {
        output: { action: 'ship', status: 'SHIPPED', next: 'done', carrier: 'DPD', trackingNumber: '155012' },
      },
    ]);
  });

  it('routes to the next best location when the nearest is disabled, and the decision says so', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 20);
    await setLocationStatus(inventory, 'STORE-LON', { state: 'disabled', reason: 'stock take' });

    const orderId = await place(shipTo([{ sku: 'TEE', quantity: 1 }]));
    const { groups } = await routeOrder(ports, orderId);

    expect(groups.map((g) => g.locationId)).toEqual(['DC-DAV']);
    const { entries } = await orderTimeline(ports, 'web', orderId);
    const routed = entries.find((e) => e.type === 'FulfillmentRouted') as unknown as {
      explanation: string;
      candidates: { locationId: string; verdict: string; filters: { name: string; passed: boolean }[] }[];
    };
    const london = routed.candidates.find((c) => c.locationId === 'STORE-LON');
    expect(london).toMatchObject({ verdict: 'excluded' });
    expect(london?.filters).toContainEqual(expect.objectContaining({ name: 'enabled', passed: false }));
    expect(routed.explanation).toContain('DC-DAV');
    // The order keeps the why in words; the full record stays with the routing, once.
    expect((await getOrder(orders, 'web', orderId)).decision).not.toHaveProperty('record');
  });

  it('never splits an order one location can fill, and splits one that none can', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('CAP', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 5);
    await count('CAP', 'DC-DAV', 5);
    await count('MUG', 'STORE-BHM', 5);

    const whole = await place(
      shipTo([
        { sku: 'TEE', quantity: 1 },
        { sku: 'CAP', quantity: 1 },
      ]),
    );
    const split = await place(
      shipTo([
        { sku: 'TEE', quantity: 1 },
        { sku: 'MUG', quantity: 1 },
      ]),
    );

    expect((await routeOrder(ports, whole)).groups.map((g) => [g.locationId, g.lines])).toEqual([
      [
        'STORE-LON',
        [
          { sku: 'TEE', quantity: 1 },
          { sku: 'CAP', quantity: 1 },
        ],
      ],
    ]);
    expect((await routeOrder(ports, split)).groups.map((g) => [g.locationId, g.lines]).sort()).toEqual([
      ['STORE-BHM', [{ sku: 'MUG', quantity: 1 }]],
      ['STORE-LON', [{ sku: 'TEE', quantity: 1 }]],
    ]);
  });

  it('reroutes a rejected group without the location, releasing every unit it held there', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 20);
    const orderId = await place(shipTo([{ sku: 'TEE', quantity: 2 }]));
    const [group] = (await routeOrder(ports, orderId)).groups;
    await askLocation(ports, { taskToken: 't-answer', orderId, groupId: group!.groupId, step: 'answer' });
    expect((await listWork(ports, locationKey('STORE-LON'), 'STORE-LON')).items).toHaveLength(1);

    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId: group!.groupId,
      action: 'reject',
      details: { reason: 'no staff today' },
    });
    const failure = answers[0]!.outcome as { error: string; cause: string };
    const rerouted = await rerouteGroup(ports, {
      orderId,
      groupId: group!.groupId,
      failure: { Error: failure.error, Cause: failure.cause },
    });

    expect(rerouted.groups).toEqual([
      expect.objectContaining({ groupId: `${orderId}-G2`, locationId: 'DC-DAV' }),
    ]);
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ reserved: 0, available: 5 });
    expect(await position('TEE', 'DC-DAV')).toMatchObject({ reserved: 2, available: 18 });
    expect(await rerouteGroup(ports, { orderId, groupId: group!.groupId })).toEqual(rerouted);
    expect((await listWork(ports, locationKey('STORE-LON'), 'STORE-LON')).items).toEqual([]);
    const order = await getOrder(orders, 'web', orderId);
    expect(order.groups).toEqual([
      expect.objectContaining({ groupId: group!.groupId, status: 'REJECTED', reason: 'no staff today' }),
      expect.objectContaining({ groupId: `${orderId}-G2`, status: 'PENDING', locationId: 'DC-DAV' }),
    ]);
    expect(order.lines).toEqual([
      expect.objectContaining({ allocations: [{ locationId: 'DC-DAV', quantity: 2 }] }),
    ]);
    const timeline = await orderTimeline(ports, 'web', orderId);
    expect(timeline.entries.filter((e) => e.kind === 'decision').map((e) => e.type)).toEqual([
      'FulfillmentRouted',
      'Rerouted',
    ]);
    expect(timeline.entries.find((e) => e.type === 'Rerouted')).toMatchObject({
      replaces: {
        groupId: group!.groupId,
        locationId: 'STORE-LON',
        status: 'REJECTED',
        reason: 'no staff today',
      },
    });
  });

  it('takes what a short-picking store did not find off its on hand, once, and reroutes the group', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 20);
    const { orderId, groupId } = await requested(shipTo([{ sku: 'TEE', quantity: 2 }]), 't-answer');
    await answerWork(ports, locationKey('STORE-LON'), { locationId: 'STORE-LON', groupId, action: 'accept' });
    await askLocation(ports, { taskToken: 't-dispatch', orderId, groupId, step: 'dispatch' });
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId,
      action: 'shortPick',
      details: { lines: [{ sku: 'TEE', quantityShort: 2 }] },
    });
    const failure = answers.at(-1)!.outcome as { error: string; cause: string };

    const failed = { Error: failure.error, Cause: failure.cause };
    const { groups } = await rerouteGroup(ports, { orderId, groupId, failure: failed });
    await rerouteGroup(ports, { orderId, groupId, failure: failed });

    expect(groups).toEqual([expect.objectContaining({ locationId: 'DC-DAV' })]);
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect((await getOrder(orders, 'web', orderId)).groups?.[0]).toMatchObject({
      status: 'SHORT_PICKED',
      reason: 'short pick: TEE short 2',
    });
  });

  it('reroutes a silent store (its SLA ran out) the same way', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 20);
    const orderId = await place(shipTo([{ sku: 'TEE', quantity: 1 }]));
    const [group] = (await routeOrder(ports, orderId)).groups;
    await askLocation(ports, { taskToken: 't-answer', orderId, groupId: group!.groupId, step: 'answer' });

    expect(await resolveTimeout(ports, { orderId, groupId: group!.groupId })).toEqual({
      next: 'reroute',
      status: 'TIMED_OUT',
    });
    await rerouteGroup(ports, { orderId, groupId: group!.groupId, failure: { Error: 'States.Timeout' } });
    expired.add('t-answer');
    const late = await refusal(
      answerWork(ports, locationKey('STORE-LON'), {
        locationId: 'STORE-LON',
        groupId: group!.groupId,
        action: 'accept',
      }),
    );

    expect(late).toMatchObject({ status: 409, code: 'WORK_NOT_WAITING', details: [{ status: 'TIMED_OUT' }] });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ reserved: 0 });
    expect((await getOrder(orders, 'web', orderId)).groups?.[0]).toMatchObject({
      status: 'TIMED_OUT',
      reason: 'no answer within its SLA',
    });
  });

  it("follows a location's answer committed just before its step's time ran out, instead of failing it", async () => {
    await count('TEE', 'STORE-LON', 5);
    const { orderId, groupId } = await requested(shipTo([{ sku: 'TEE', quantity: 1 }]), 't-answer');
    expired.add('t-answer'); // the task lapsed as the answer was being sent

    expect(
      await answerWork(ports, locationKey('STORE-LON'), {
        locationId: 'STORE-LON',
        groupId,
        action: 'accept',
      }),
    ).toMatchObject({ status: 'ACCEPTED' });
    expect(await resolveTimeout(ports, { orderId, groupId })).toEqual({
      next: 'dispatch',
      status: 'ACCEPTED',
    });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ reserved: 1 });
  });

  it("abandons a failed group's execution: it and its replacements give back what they hold", async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 20);
    const { orderId, groupId } = await requested(shipTo([{ sku: 'TEE', quantity: 2 }]), 't-answer');
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId,
      action: 'reject',
      details: { reason: 'closed' },
    });
    const [replacement] = (await rerouteGroup(ports, { orderId, groupId })).groups;
    await askLocation(ports, { taskToken: 't-dc', orderId, groupId: replacement!.groupId, step: 'answer' });
    expect(await position('TEE', 'DC-DAV')).toMatchObject({ reserved: 2 });

    const { abandoned } = await abandonGroup(ports, { orderId, groupId, error: { Error: 'States.Timeout' } });

    expect(abandoned).toEqual([replacement!.groupId]);
    expect(await position('TEE', 'DC-DAV')).toMatchObject({ reserved: 0, available: 20 });
    expect(await getOrder(orders, 'web', orderId)).toMatchObject({
      status: 'CANCELLED',
      cancelCause: 'unfulfillable',
      lines: [{ cancelledQuantity: 2, allocations: [] }],
    });
    expect((await listWork(ports, locationKey('DC-DAV'), 'DC-DAV')).items).toEqual([]);
  });

  it('cancels the lines of a failed group whose reroute never ran when its execution is abandoned', async () => {
    await count('TEE', 'STORE-LON', 5);
    const { orderId, groupId } = await requested(shipTo([{ sku: 'TEE', quantity: 2 }]), 't-answer');
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId,
      action: 'reject',
      details: { reason: 'closed' },
    });

    await abandonGroup(ports, { orderId, groupId, error: { Error: 'States.TaskFailed' } });
    await abandonGroup(ports, { orderId, groupId, error: { Error: 'States.TaskFailed' } });

    expect(await completeOrder(ports, orderId)).toEqual({ status: 'CANCELLED' });
    expect(await getOrder(orders, 'web', orderId)).toMatchObject({
      status: 'CANCELLED',
      lines: [{ cancelledQuantity: 2, allocations: [] }],
    });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ reserved: 0, available: 5 });
  });

  it('does not put finished work back in a work list when a lapsed ask arrives late', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('TEE', 'DC-DAV', 5);
    const { orderId, groupId } = await requested(shipTo([{ sku: 'TEE', quantity: 1 }]), 't-1');
    await resolveTimeout(ports, { orderId, groupId });

    await askLocation(ports, { taskToken: 't-late', orderId, groupId, step: 'answer' });

    expect((await listWork(ports, locationKey('STORE-LON'), 'STORE-LON')).items).toEqual([]);
    expect(await resolveTimeout(ports, { orderId, groupId })).toEqual({
      next: 'reroute',
      status: 'TIMED_OUT',
    });
  });

  it("answers a repeated answer harmlessly, and refuses another answer or another location's key", async () => {
    await count('TEE', 'STORE-LON', 5);
    const { orderId, groupId } = await requested(shipTo([{ sku: 'TEE', quantity: 1 }]), 't-answer');
    const accept = () =>
      answerWork(ports, locationKey('STORE-LON'), { locationId: 'STORE-LON', groupId, action: 'accept' });

    expect(await accept()).toMatchObject({ repeated: false });
    expect(await accept()).toMatchObject({ repeated: true });
    expect(
      await refusal(
        answerWork(ports, locationKey('STORE-LON'), {
          locationId: 'STORE-LON',
          groupId,
          action: 'reject',
          details: { reason: 'x' },
        }),
      ),
    ).toMatchObject({ status: 409, code: 'WORK_NOT_WAITING' });
    expect(
      await refusal(
        answerWork(ports, locationKey('STORE-BHM'), { locationId: 'STORE-BHM', groupId, action: 'accept' }),
      ),
    ).toMatchObject({ status: 404 });
    expect(
      await refusal(
        answerWork(ports, locationKey('STORE-BHM'), { locationId: 'STORE-LON', groupId, action: 'accept' }),
      ),
    ).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    await askLocation(ports, { taskToken: 't-dispatch', orderId, groupId, step: 'dispatch' });
    expect(await accept()).toMatchObject({ repeated: true, status: 'ACCEPTED' });
    // A repeat sends the same answer to the same task again (in case the first send was lost): harmless.
    expect(new Set(answers.map((a) => JSON.stringify(a)))).toEqual(
      new Set([
        JSON.stringify({
          token: 't-answer',
          outcome: { output: { action: 'accept', status: 'ACCEPTED', next: 'dispatch' } },
        }),
      ]),
    );
  });

  it('reserves a pickup at the chosen store only; a reject there ships the lines to the store when the profile allows', async () => {
    await count('TEE', 'STORE-LON', 3);
    await count('TEE', 'DC-DAV', 20);
    const orderId = await place(pickupAt('STORE-LON', [{ sku: 'TEE', quantity: 2 }]), 'store');
    const [group] = (await routeOrder(ports, orderId)).groups;
    expect(group).toMatchObject({ locationId: 'STORE-LON', deliveryType: 'pickup' });
    expect(await position('TEE', 'DC-DAV')).toMatchObject({ reserved: 0 });

    await askLocation(ports, { taskToken: 't1', orderId, groupId: group!.groupId, step: 'answer' });
    const { groups } = await rerouteGroup(ports, {
      orderId,
      groupId: group!.groupId,
      failure: { Error: 'FulfillmentRejected', Cause: '{"reason":"cannot find it"}' },
    });

    expect(groups).toEqual([expect.objectContaining({ locationId: 'DC-DAV', transferTo: 'STORE-LON' })]);
    const transfer = groups[0]!;
    await acceptAt(orderId, transfer.groupId, 'DC-DAV');
    expect(
      await answerWork(ports, locationKey('DC-DAV'), {
        locationId: 'DC-DAV',
        groupId: transfer.groupId,
        action: 'ship',
        details: { carrier: 'DHL', trackingNumber: 'T1' },
      }),
    ).toMatchObject({ status: 'IN_TRANSIT' });
    expect(answers.at(-1)?.outcome).toMatchObject({ output: { next: 'arrival' } });
    await askLocation(ports, { taskToken: 't-arrival', orderId, groupId: transfer.groupId, step: 'arrival' });
    expect((await listWork(ports, locationKey('STORE-LON'), 'STORE-LON')).items).toEqual([
      expect.objectContaining({
        groupId: transfer.groupId,
        waitingFor: 'arrival',
        actions: ['readyForPickup'],
      }),
    ]);
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId: transfer.groupId,
      action: 'readyForPickup',
    });
    expect((await getOrder(orders, 'store', orderId)).status).toBe('READY_FOR_PICKUP');
    await askLocation(ports, {
      taskToken: 't-collection',
      orderId,
      groupId: transfer.groupId,
      step: 'collection',
    });
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId: transfer.groupId,
      action: 'collected',
    });

    expect(await getOrder(orders, 'store', orderId)).toMatchObject({
      status: 'COMPLETED',
      lines: [{ fulfilledQuantity: 2 }],
    });
    expect(await position('TEE', 'DC-DAV')).toMatchObject({ onHand: 18, reserved: 0 });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ onHand: 3, reserved: 0 });
  });

  it('puts a transfer waiting at its pickup store back on hand there when the order is cancelled', async () => {
    await count('TEE', 'STORE-LON', 3);
    await count('TEE', 'DC-DAV', 20);
    const orderId = await place(pickupAt('STORE-LON', [{ sku: 'TEE', quantity: 2 }]), 'store');
    const groupId = `${orderId}-G1`;
    await routeOrder(ports, orderId);
    await askLocation(ports, { taskToken: 't1', orderId, groupId, step: 'answer' });
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId,
      action: 'reject',
      details: { reason: 'cannot find them' },
    });
    const [transfer] = (await rerouteGroup(ports, { orderId, groupId })).groups;
    await acceptAt(orderId, transfer!.groupId, 'DC-DAV');
    await answerWork(ports, locationKey('DC-DAV'), {
      locationId: 'DC-DAV',
      groupId: transfer!.groupId,
      action: 'ship',
      details: { carrier: 'DHL', trackingNumber: 'T1' },
    });
    await askLocation(ports, {
      taskToken: 't-arrival',
      orderId,
      groupId: transfer!.groupId,
      step: 'arrival',
    });
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId: transfer!.groupId,
      action: 'readyForPickup',
    });

    const cancelled = await cancelOrder(orders, 'store', orderId);
    await stopFulfillment(ports, orderId);

    expect(cancelled.lines).toEqual([expect.objectContaining({ status: 'CANCELLED' })]);
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    expect(await position('TEE', 'DC-DAV')).toMatchObject({ onHand: 18, reserved: 0 });
  });

  it('cancels the lines of a rejected pickup when the profile does not ship to stores', async () => {
    await putProfile({ profiles: profileStore, now: () => new Date().toISOString() }, 'default', {
      defaults: { ...DEFAULT_PROFILE.defaults, allowShipToStore: false },
      strategies: DEFAULT_PROFILE.strategies,
      fallbacks: DEFAULT_PROFILE.fallbacks,
    } as never);
    await activateProfile({ profiles: profileStore, now: () => new Date().toISOString() }, 'default', 2);
    await new Promise((r) => setTimeout(r, 1_100)); // the routing profile's one-second copy
    await count('TEE', 'STORE-LON', 3);
    await count('TEE', 'DC-DAV', 20);
    const orderId = await place(pickupAt('STORE-LON', [{ sku: 'TEE', quantity: 2 }]), 'store');
    const [group] = (await routeOrder(ports, orderId)).groups;
    await askLocation(ports, { taskToken: 't1', orderId, groupId: group!.groupId, step: 'answer' });

    const { groups } = await rerouteGroup(ports, {
      orderId,
      groupId: group!.groupId,
      failure: { Error: 'FulfillmentRejected' },
    });

    expect(groups).toEqual([]);
    expect(await getOrder(orders, 'store', orderId)).toMatchObject({
      status: 'CANCELLED',
      cancelCause: 'unfulfillable',
      lines: [{ cancelledQuantity: 2, status: 'CANCELLED' }],
    });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ reserved: 0, available: 3 });
  });

  it('gives an uncollected pickup back to stock at its expiry and cancels its lines', async () => {
    await count('TEE', 'STORE-LON', 3);
    const orderId = await place(pickupAt('STORE-LON', [{ sku: 'TEE', quantity: 2 }]), 'store');
    const groupId = `${orderId}-G1`;
    await routeOrder(ports, orderId);
    await acceptAt(orderId, groupId, 'STORE-LON');
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId,
      action: 'readyForPickup',
    });
    expect(answers.at(-1)?.outcome).toMatchObject({
      output: { status: 'READY_FOR_PICKUP', next: 'collection' },
    });
    await askLocation(ports, { taskToken: 't-collection', orderId, groupId, step: 'collection' });
    expect(await position('TEE', 'STORE-LON')).toMatchObject({ reserved: 2, available: 1 });

    expect(await resolveTimeout(ports, { orderId, groupId })).toEqual({
      next: 'done',
      status: 'PICKUP_EXPIRED',
    });

    expect(await position('TEE', 'STORE-LON')).toMatchObject({ onHand: 3, reserved: 0, available: 3 });
    expect(await getOrder(orders, 'store', orderId)).toMatchObject({
      status: 'CANCELLED',
      lines: [{ cancelledQuantity: 2 }],
      groups: [{ status: 'PICKUP_EXPIRED' }],
    });
  });

  it('lets an order in fulfilment be cancelled until a unit leaves, and then refuses', async () => {
    await count('TEE', 'STORE-LON', 5);
    await count('CAP', 'STORE-BHM', 5);
    const orderId = await place(
      shipTo([
        { sku: 'TEE', quantity: 1 },
        { sku: 'CAP', quantity: 1 },
      ]),
    );
    const groups = (await routeOrder(ports, orderId)).groups;
    const london = groups.find((g) => g.locationId === 'STORE-LON')!;
    await acceptAt(orderId, london.groupId, 'STORE-LON');
    await answerWork(ports, locationKey('STORE-LON'), {
      locationId: 'STORE-LON',
      groupId: london.groupId,
      action: 'ship',
      details: { carrier: 'DPD', trackingNumber: '1' },
    });

    expect(await refusal(cancelOrder(orders, 'web', orderId))).toMatchObject({
      status: 409,
      code: 'ORDER_NOT_CANCELLABLE',
    });

    const other = await place(shipTo([{ sku: 'TEE', quantity: 1 }]));
    const [group] = (await routeOrder(ports, other)).groups;
    await acceptAt(other, group!.groupId, group!.locationId);
    await cancelOrder(orders, 'web', other);

    expect(await position('TEE', 'STORE-LON')).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
    expect(
      await refusal(
        answerWork(ports, locationKey('STORE-LON'), {
          locationId: 'STORE-LON',
          groupId: group!.groupId,
          action: 'ship',
          details: { carrier: 'x', trackingNumber: 'y' },
        }),
      ),
    ).toMatchObject({ status: 409, code: 'WORK_NOT_WAITING' });
    await expect(resolveTimeout(ports, { orderId: other, groupId: group!.groupId })).rejects.toMatchObject({
      name: 'OrderCancelled',
    });
  });
});
