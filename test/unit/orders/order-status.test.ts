import {
  derivedStatus,
  lineStatus,
  type OrderGroup,
  type OrderLine,
} from '../../../shared/orders/domain/order';
import { eventsFromChange } from '../../../shared/orders/domain/record-events';
import { orderChange } from '../../fixtures/domain/stream-records';

const line = (extra: Partial<OrderLine> = {}): OrderLine => ({
  sku: 'A',
  quantity: 2,
  allocations: [{ locationId: 'S1', quantity: 2 }],
  ...extra,
});
const group = (status: OrderGroup['status'], sku = 'A'): OrderGroup => ({
  groupId: `o-G-${status}`,
  locationId: 'S1',
  lines: [{ sku, quantity: 2 }],
  status,
  updatedAt: '2026-12-04T10:00:00.000Z',
});

describe('the status an order has from its lines and groups', () => {
  it('is ROUTED while its groups wait for an answer, IN_FULFILLMENT once a location took work', () => {
    expect(derivedStatus({ status: 'CREATED', lines: [line()], groups: [group('REQUESTED')] })).toBe(
      'ROUTED',
    );
    expect(derivedStatus({ status: 'ROUTED', lines: [line()], groups: [group('ACCEPTED')] })).toBe(
      'IN_FULFILLMENT',
    );
    expect(
      derivedStatus({ status: 'ROUTED', lines: [line()], groups: [group('REJECTED'), group('PENDING')] }),
    ).toBe('ROUTED');
  });

  it('is READY_FOR_PICKUP when every open group waits at its store', () => {
    expect(
      derivedStatus({ status: 'IN_FULFILLMENT', lines: [line()], groups: [group('READY_FOR_PICKUP')] }),
    ).toBe('READY_FOR_PICKUP');
  });

  it('is COMPLETED once every unit was delivered or cancelled with one delivered, CANCELLED when none was', () => {
    const settled = { status: 'IN_FULFILLMENT' as const, groups: [group('SHIPPED')] };
    expect(derivedStatus({ ...settled, lines: [line({ fulfilledQuantity: 1, cancelledQuantity: 1 })] })).toBe(
      'COMPLETED',
    );
    expect(derivedStatus({ ...settled, lines: [line({ cancelledQuantity: 2 })] })).toBe('CANCELLED');
    expect(derivedStatus({ ...settled, lines: [line({ fulfilledQuantity: 1 })] })).toBe('IN_FULFILLMENT');
  });

  it('keeps a cancelled order cancelled', () => {
    expect(
      derivedStatus({
        status: 'CANCELLED',
        lines: [line({ fulfilledQuantity: 2 })],
        groups: [group('SHIPPED')],
      }),
    ).toBe('CANCELLED');
  });

  it('gives each line its own status', () => {
    expect(lineStatus(line({ cancelledQuantity: 2 }), [])).toBe('CANCELLED');
    expect(lineStatus(line({ fulfilledQuantity: 2 }), [])).toBe('FULFILLED');
    expect(lineStatus(line({ fulfilledQuantity: 1, cancelledQuantity: 1 }), [])).toBe('PARTLY_CANCELLED');
    expect(lineStatus(line(), [group('REQUESTED')])).toBe('OPEN');
    expect(lineStatus(line(), [group('ACCEPTED')])).toBe('IN_FULFILLMENT');
    expect(lineStatus(line(), [group('READY_FOR_PICKUP')])).toBe('READY_FOR_PICKUP');
    expect(lineStatus(line(), [group('ACCEPTED', 'B')])).toBe('OPEN');
  });
});

describe('order events from fulfilment', () => {
  it('announces each line whose cancelled units grew, once, with the reason', () => {
    const events = eventsFromChange(
      orderChange(
        { status: 'IN_FULFILLMENT', lines: [line(), line({ sku: 'B' })] },
        {
          status: 'IN_FULFILLMENT',
          lines: [line({ cancelledQuantity: 1, cancelReason: 'no stock anywhere' }), line({ sku: 'B' })],
        },
      ),
    );

    expect(events).toEqual([
      expect.objectContaining({
        detailType: 'LineCancelled',
        detail: expect.objectContaining({
          data: expect.objectContaining({
            sku: 'A',
            quantity: 1,
            cancelledQuantity: 1,
            orderedQuantity: 2,
            reason: 'no stock anywhere',
          }),
        }),
      }),
    ]);
  });

  it('announces OrderFulfilled on completion, and a cancel by fulfilment as unfulfillable', () => {
    const completed = eventsFromChange(
      orderChange(
        { status: 'IN_FULFILLMENT' },
        { status: 'COMPLETED', lines: [line({ fulfilledQuantity: 2, allocations: [] })] },
      ),
    );
    const unfulfillable = eventsFromChange(
      orderChange(
        { status: 'ROUTED', lines: [line()] },
        {
          status: 'CANCELLED',
          cancelCause: 'unfulfillable',
          lines: [line({ cancelledQuantity: 2, allocations: [] })],
        },
      ),
    );

    expect(completed.map((e) => e.detailType)).toEqual(['OrderFulfilled']);
    expect(unfulfillable.map((e) => e.detailType)).toEqual(['LineCancelled', 'OrderCancelled']);
    expect(unfulfillable[1]?.detail.data).toMatchObject({ cause: 'unfulfillable' });
  });
});
