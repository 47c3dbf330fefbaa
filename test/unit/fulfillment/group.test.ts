import {
  actorOf,
  allowedActions,
  failureOf,
  groupIdOf,
  orderIdOfGroup,
  statusAfter,
} from '../../../shared/fulfillment/domain/group';
import { eventsFromChange } from '../../../shared/fulfillment/domain/record-events';
import { groupChange, routingInsert } from '../../fixtures/domain/stream-records';

const ship = {
  type: 'ship',
  address: { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' },
} as const;
const pickup = { type: 'pickup', locationId: 'S1' } as const;

describe('a fulfilment group', () => {
  it('names its order in its id, and its id is a valid execution name', () => {
    expect(groupIdOf('ord_abc-1', 12)).toBe('ord_abc-1-G12');
    expect(orderIdOfGroup('ord_abc-1-G12')).toBe('ord_abc-1');
    expect(orderIdOfGroup('not-a-group')).toBeUndefined();
    expect(groupIdOf('ord_abc-1', 3)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it("asks the fulfilling location to answer and dispatch, and a transfer's pickup store to receive and hand over", () => {
    const transfer = { locationId: 'DC1', transferTo: 'S1' };

    expect(actorOf(transfer, 'answer')).toBe('DC1');
    expect(actorOf(transfer, 'dispatch')).toBe('DC1');
    expect(actorOf(transfer, 'arrival')).toBe('S1');
    expect(actorOf(transfer, 'collection')).toBe('S1');
    expect(actorOf({ locationId: 'S1' }, 'collection')).toBe('S1');
  });

  it('takes from each step only the answers that make sense for its delivery', () => {
    expect(allowedActions({ delivery: ship }, 'answer')).toEqual(['accept', 'reject', 'shortPick']);
    expect(allowedActions({ delivery: ship }, 'dispatch')).toEqual(['ship', 'shortPick']);
    expect(allowedActions({ delivery: pickup }, 'dispatch')).toEqual(['readyForPickup', 'shortPick']);
    expect(allowedActions({ delivery: pickup, transferTo: 'S1' }, 'dispatch')).toEqual(['ship', 'shortPick']);
    expect(allowedActions({ delivery: pickup, transferTo: 'S1' }, 'arrival')).toEqual(['readyForPickup']);
    expect(allowedActions({ delivery: pickup }, 'collection')).toEqual(['collected']);
  });

  it('is in transit, not shipped, when a ship-to-store transfer leaves its source', () => {
    expect(statusAfter({}, 'ship')).toBe('SHIPPED');
    expect(statusAfter({ transferTo: 'S1' }, 'ship')).toBe('IN_TRANSIT');
    expect(statusAfter({}, 'readyForPickup')).toBe('READY_FOR_PICKUP');
  });

  it("reads why it failed from the workflow's error: a rejection's reason, a short pick's lines, a timeout", () => {
    expect(failureOf({ Error: 'FulfillmentRejected', Cause: '{"reason":"no staff"}' })).toEqual({
      status: 'REJECTED',
      reason: 'no staff',
      short: [],
    });
    expect(
      failureOf({
        Error: 'ShortPicked',
        Cause: '{"lines":[{"sku":"A","quantityShort":2},{"sku":"B","quantityShort":"x"}]}',
      }),
    ).toEqual({
      status: 'SHORT_PICKED',
      reason: 'short pick: A short 2',
      short: [{ sku: 'A', quantityShort: 2 }],
    });
    expect(failureOf({ Error: 'States.Timeout' })).toEqual({
      status: 'TIMED_OUT',
      reason: 'no answer within its SLA',
      short: [],
    });
    expect(failureOf({ Error: 'FulfillmentRejected', Cause: 'plain words' }).reason).toBe('plain words');
    expect(failureOf(undefined).status).toBe('TIMED_OUT');
  });
});

describe('fulfilment events from the fulfillment table', () => {
  it('announces each status a group reaches once, by its own name', () => {
    const transitions: [string | undefined, string, string | undefined][] = [
      [undefined, 'PENDING', undefined],
      ['PENDING', 'REQUESTED', 'FulfillmentRequested'],
      ['REQUESTED', 'ACCEPTED', 'FulfillmentAccepted'],
      ['REQUESTED', 'TIMED_OUT', 'FulfillmentRejected'],
      ['ACCEPTED', 'SHORT_PICKED', 'FulfillmentRejected'],
      ['ACCEPTED', 'IN_TRANSIT', 'Shipped'],
      ['IN_TRANSIT', 'READY_FOR_PICKUP', 'ReadyForPickup'],
      ['READY_FOR_PICKUP', 'PICKED_UP', 'PickedUp'],
      ['READY_FOR_PICKUP', 'PICKUP_EXPIRED', 'PickupExpired'],
      ['REQUESTED', 'CANCELLED', undefined],
      ['ACCEPTED', 'ACCEPTED', undefined],
    ];
    for (const [from, to, type] of transitions) {
      expect([from, to, eventsFromChange(groupChange(from, to)).map((e) => e.detailType)]).toEqual([
        from,
        to,
        type ? [type] : [],
      ]);
    }
  });

  it('gives a redelivered record the same event id', () => {
    const [first] = eventsFromChange(groupChange('PENDING', 'REQUESTED'));
    const [again] = eventsFromChange(groupChange('PENDING', 'REQUESTED'));

    expect(first?.detail.id).toBe(again?.detail.id);
  });

  it('announces the first routing and each reroute, with why', () => {
    const [routed] = eventsFromChange(routingInsert('route'));
    const [rerouted] = eventsFromChange(routingInsert('reroute'));

    expect(routed).toMatchObject({
      detailType: 'FulfillmentRouted',
      detail: { data: { explanation: expect.any(String) } },
    });
    expect(rerouted).toMatchObject({
      detailType: 'Rerouted',
      detail: {
        data: { replaces: { groupId: 'ord-1-G1', reason: 'no staff' }, excludedLocationIds: ['S2'] },
      },
    });
  });
});
