import fc from 'fast-check';
import {
  eventsFromChange as inventoryEventsFromChange,
  isRuleChange,
  touchedSku,
} from '../../../shared/inventory/domain/record-events';
import { eventsFromChange as orderEventsFromChange } from '../../../shared/orders/domain/record-events';
import { eventCatalogue } from '../../../shared/platform/definitions';
import { type DomainEvent, type RecordChange, stableId } from '../../../shared/platform/events/envelope';

/** The stream publisher hands every record to each context's mapping; only the owner answers. */
const eventsFromChange = (change: RecordChange): DomainEvent[] => [
  ...inventoryEventsFromChange(change),
  ...orderEventsFromChange(change),
];

import {
  AFTER_AT,
  orderCancel,
  orderImage,
  orderInsert,
  orderLines,
  positionChange,
  shipDelivery,
} from '../../fixtures/domain/stream-records';

/** Checks an event against the catalogue entry for its source and detail-type. */
function catalogueCheck(event: DomainEvent) {
  const schema = eventCatalogue[event.source]?.[event.detailType];
  if (!schema) throw new Error(`${event.source} ${event.detailType} is not in the catalogue`);
  return schema.safeParse(event.detail.data);
}

const positionId = (version: number, sku = 'TEE-BLK-M', locationId = 'DC1') =>
  stableId(`inventory:SKU#${sku}:LOC#${locationId}:${version}`);

const reserve = positionChange({
  before: { onHand: 10, reserved: 2, version: 7 },
  after: { onHand: 10, reserved: 5, version: 8 },
  lastChange: { type: 'reserve', ref: { type: 'order', id: 'ord-1' } },
});

const release = positionChange({
  before: { onHand: 10, reserved: 5, version: 8 },
  after: { onHand: 10, reserved: 1, version: 9 },
  lastChange: { type: 'release', ref: { type: 'hold', id: 'res-9' }, reason: 'expired' },
});

const count = positionChange({
  before: { onHand: 10, reserved: 1, version: 9 },
  after: { onHand: 7, reserved: 1, version: 10 },
  lastChange: { type: 'count', ref: { type: 'count', id: AFTER_AT }, reason: 'count' },
});

const adjustment = positionChange({
  before: { onHand: 7, reserved: 1, version: 10 },
  after: { onHand: 19, reserved: 1, version: 11 },
  lastChange: { type: 'adjustment', ref: { type: 'adjustment', id: 'asn-42' }, reason: 'receipt' },
});

describe('eventsFromChange', () => {
  describe('positions', () => {
    it('turns a reservation into InventoryReserved with the units taken', () => {
      const events = eventsFromChange(reserve);

      expect(events).toEqual([
        {
          source: 'commerce.inventory',
          detailType: 'InventoryReserved',
          detail: {
            id: positionId(8),
            occurredAt: AFTER_AT,
            version: 1,
            data: {
              sku: 'TEE-BLK-M',
              locationId: 'DC1',
              quantity: 3,
              reference: { type: 'order', id: 'ord-1' },
              reservedAfter: 5,
            },
          },
        },
      ]);
    });

    it('turns a release into InventoryReleased with the units given back and the reason', () => {
      const events = eventsFromChange(release);

      expect(events.map((e) => [e.detailType, e.detail.id])).toEqual([['InventoryReleased', positionId(9)]]);
      expect(events[0]?.detail.data).toEqual({
        sku: 'TEE-BLK-M',
        locationId: 'DC1',
        quantity: 4,
        reference: { type: 'hold', id: 'res-9' },
        reason: 'expired',
        reservedAfter: 1,
      });
    });

    it('gives a release without a reason the reason "released"', () => {
      const change = positionChange({
        before: { onHand: 10, reserved: 5, version: 8 },
        after: { onHand: 10, reserved: 0, version: 9 },
        lastChange: { type: 'release', ref: { type: 'order', id: 'ord-1' } },
      });

      expect(eventsFromChange(change)[0]?.detail.data).toMatchObject({ quantity: 5, reason: 'released' });
    });

    it('turns a count that moves on hand into InventoryAdjusted of kind count', () => {
      const events = eventsFromChange(count);

      expect(events.map((e) => [e.source, e.detailType, e.detail.id])).toEqual([
        ['commerce.inventory', 'InventoryAdjusted', positionId(10)],
      ]);
      expect(events[0]?.detail.data).toEqual({
        sku: 'TEE-BLK-M',
        locationId: 'DC1',
        kind: 'count',
        reason: 'count',
        onHandBefore: 10,
        onHandAfter: 7,
        safetyStockBefore: 0,
        safetyStockAfter: 0,
      });
    });

    it('turns an adjustment that moves on hand into InventoryAdjusted naming its source event', () => {
      const events = eventsFromChange(adjustment);

      expect(events[0]?.detail.data).toEqual({
        sku: 'TEE-BLK-M',
        locationId: 'DC1',
        kind: 'adjustment',
        reason: 'receipt',
        sourceEventId: 'asn-42',
        onHandBefore: 7,
        onHandAfter: 19,
        safetyStockBefore: 0,
        safetyStockAfter: 0,
      });
    });

    it('reports the first receipt at a new position as moving on hand up from zero', () => {
      const change = positionChange({
        locationId: 'S9',
        after: { onHand: 12, reserved: 0, version: 1 },
        lastChange: { type: 'adjustment', ref: { type: 'adjustment', id: 'asn-1' }, reason: 'receipt' },
      });

      const events = eventsFromChange(change);

      expect(events.map((e) => e.detail.id)).toEqual([positionId(1, 'TEE-BLK-M', 'S9')]);
      expect(events[0]?.detail.data).toMatchObject({ locationId: 'S9', onHandBefore: 0, onHandAfter: 12 });
    });

    it('reports a count that only changes safety stock', () => {
      const change = positionChange({
        before: { onHand: 10, reserved: 0, safetyStock: 0, version: 3 },
        after: { onHand: 10, reserved: 0, safetyStock: 2, version: 4 },
        lastChange: { type: 'count', ref: { type: 'count', id: AFTER_AT } },
      });

      expect(eventsFromChange(change)[0]?.detail.data).toMatchObject({
        kind: 'count',
        reason: 'count',
        onHandBefore: 10,
        onHandAfter: 10,
        safetyStockBefore: 0,
        safetyStockAfter: 2,
      });
    });

    it.each(['count', 'adjustment'] as const)(
      'publishes nothing for a %s that moves neither on hand nor safety stock',
      (type) => {
        const change = positionChange({
          before: { onHand: 10, reserved: 2, safetyStock: 1, version: 3 },
          after: { onHand: 10, reserved: 2, safetyStock: 1, version: 4 },
          lastChange: { type, ref: { type, id: 'x' } },
        });

        expect(eventsFromChange(change)).toEqual([]);
      },
    );

    it('publishes nothing for a position written without a reason for the change', () => {
      const change = positionChange({
        before: { onHand: 10, reserved: 2, version: 3 },
        after: { onHand: 4, reserved: 2, version: 4 },
      });

      expect(eventsFromChange(change)).toEqual([]);
    });

    it('publishes nothing for a change of unknown type', () => {
      const change = positionChange({
        before: { onHand: 10, reserved: 2, version: 3 },
        after: { onHand: 4, reserved: 2, version: 4 },
        lastChange: { type: 'transfer' as 'count', ref: { type: 'count', id: 'x' } },
      });

      expect(eventsFromChange(change)).toEqual([]);
    });

    it('publishes nothing when a position is removed', () => {
      const removed: RecordChange = {
        table: 'inventory',
        eventName: 'REMOVE',
        keys: reserve.keys,
        ...(reserve.newImage ? { oldImage: reserve.newImage } : {}),
      };

      expect(eventsFromChange(removed)).toEqual([]);
    });

    it('reports the reserved quantity as the difference of the images, whatever the figures', () => {
      fc.assert(
        fc.property(
          fc.nat(10_000),
          fc.integer({ min: 1, max: 10_000 }),
          fc.nat(10_000),
          fc.nat(1_000),
          (before, quantity, onHand, version) => {
            const change = positionChange({
              before: { onHand, reserved: before, version },
              after: { onHand, reserved: before + quantity, version: version + 1 },
              lastChange: { type: 'reserve', ref: { type: 'hold', id: 'r' } },
            });

            const [event] = eventsFromChange(change);

            expect(event?.detail.data).toMatchObject({ quantity, reservedAfter: before + quantity });
            expect(event?.detail.id).toBe(positionId(version + 1));
          },
        ),
      );
    });
  });

  describe('orders', () => {
    it('turns a new order into OrderCreated carrying its summary', () => {
      const events = eventsFromChange(orderInsert());

      expect(events).toEqual([
        {
          source: 'commerce.orders',
          detailType: 'OrderCreated',
          detail: {
            id: stableId('orders:ORDER#ord-1:ORDER:1'),
            occurredAt: '2024-05-01T09:00:00.000Z',
            version: 1,
            data: {
              orderId: 'ord-1',
              channel: 'web',
              channelOrderId: 'WEB-100234',
              status: 'CREATED',
              lines: orderLines,
              // The kind of delivery only: the address stays on the order, out of every event.
              delivery: { type: shipDelivery.type },
            },
          },
        },
      ]);
    });

    it('leaves out the channel order id when the order has none', () => {
      const { channelOrderId: _, ...image } = orderImage();

      const events = eventsFromChange({ ...orderInsert(), newImage: image });

      expect(events[0]?.detail.data).not.toHaveProperty('channelOrderId');
    });

    it('leaves customer details and the sourcing decision out of the event', () => {
      const data = eventsFromChange(orderInsert())[0]?.detail.data as Record<string, unknown>;

      expect(data).not.toHaveProperty('customer');
      expect(data).not.toHaveProperty('decision');
    });

    it('turns a cancellation into OrderCancelled under a new id', () => {
      const events = eventsFromChange(orderCancel());

      expect(events.map((e) => [e.source, e.detailType, e.detail.id, e.detail.occurredAt])).toEqual([
        ['commerce.orders', 'OrderCancelled', stableId('orders:ORDER#ord-1:ORDER:2'), AFTER_AT],
      ]);
      expect(events[0]?.detail.data).toMatchObject({ orderId: 'ord-1', status: 'CANCELLED' });
      expect(events[0]?.detail.id).not.toBe(eventsFromChange(orderInsert())[0]?.detail.id);
    });

    it('publishes nothing for a later write to an order already cancelled', () => {
      const cancelled = orderCancel().newImage ?? {};
      const change: RecordChange = {
        ...orderCancel(),
        oldImage: cancelled,
        newImage: { ...cancelled, version: 3, updatedAt: '2024-05-02T00:00:00.000Z' },
      };

      expect(eventsFromChange(change)).toEqual([]);
    });

    it('publishes nothing for a change of an order that does not cancel it', () => {
      const change: RecordChange = {
        ...orderCancel(),
        newImage: orderImage({ version: 2, customer: { email: 'new@example.com' } }),
      };

      expect(eventsFromChange(change)).toEqual([]);
    });

    it('rejects an order record whose channel is not a channel rather than publish it', () => {
      expect(() => eventsFromChange(orderInsert({ channel: 'fax' }))).toThrow();
    });
  });

  describe('holds', () => {
    const hold = {
      holdId: 'hold_1',
      channel: 'web',
      status: 'ACTIVE',
      expiresAt: '2026-12-01T10:15:00.000Z',
      lines: [{ sku: 'TEE', quantity: 2, allocations: [{ locationId: 'S1', quantity: 2 }] }],
      delivery: { type: 'pickup', locationId: 'S1' },
      createdAt: '2026-12-01T10:00:00.000Z',
      updatedAt: '2026-12-01T10:00:00.000Z',
    };
    const keys = { PK: 'HOLD#hold_1', SK: 'HOLD' };
    const placed: RecordChange = { table: 'inventory', eventName: 'INSERT', keys, newImage: hold };
    const ended = (status: string, extra: Record<string, unknown> = {}): RecordChange => ({
      table: 'inventory',
      eventName: 'MODIFY',
      keys,
      oldImage: hold,
      newImage: { ...hold, status, updatedAt: '2026-12-01T10:05:00.000Z', ...extra },
    });

    it('announces a placed hold', () => {
      const [event] = eventsFromChange(placed);

      expect(event).toMatchObject({ source: 'commerce.inventory', detailType: 'HoldPlaced' });
      expect(event?.detail.data).toMatchObject({ holdId: 'hold_1', channel: 'web', lines: hold.lines });
    });

    it('says which order took a hold when an order consumes it', () => {
      const events = eventsFromChange(ended('CONSUMED', { consumedBy: 'ord_9' }));

      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ detailType: 'HoldConsumed', detail: { data: { orderId: 'ord_9' } } });
      expect(catalogueCheck(events[0]!).success).toBe(true);
    });

    it('announces a released and an expired hold, and nothing when the status did not move', () => {
      expect(eventsFromChange(ended('RELEASED')).map((e) => e.detailType)).toEqual(['HoldReleased']);
      expect(eventsFromChange(ended('EXPIRED')).map((e) => e.detailType)).toEqual(['HoldExpired']);
      expect(eventsFromChange({ ...ended('ACTIVE'), oldImage: hold })).toEqual([]);
    });

    it('gives a redelivered hold record the same event id', () => {
      expect(eventsFromChange(ended('CONSUMED', { consumedBy: 'ord_9' }))[0]?.detail.id).toBe(
        eventsFromChange(ended('CONSUMED', { consumedBy: 'ord_9' }))[0]?.detail.id,
      );
    });
  });

  describe('unrelated records', () => {
    it.each<[string, RecordChange]>([
      [
        'a channel rule',
        {
          table: 'inventory',
          eventName: 'INSERT',
          keys: { PK: 'RULE#r1', SK: 'RULE' },
          newImage: { version: 1 },
        },
      ],
      [
        'a record under an old key layout',
        {
          table: 'inventory',
          eventName: 'INSERT',
          keys: { PK: 'RES#res-1', SK: 'RES' },
          newImage: { holdId: 'res-1', status: 'ACTIVE' },
        },
      ],
      [
        'an adjustment ledger entry',
        {
          table: 'inventory',
          eventName: 'INSERT',
          keys: { PK: 'ADJ#asn-1', SK: 'ADJ' },
          newImage: { sourceEventId: 'asn-1' },
        },
      ],
      [
        'an availability snapshot of a SKU',
        {
          table: 'inventory',
          eventName: 'MODIFY',
          keys: { PK: 'SKU#TEE-BLK-M', SK: 'ATP#web' },
          newImage: {
            sku: 'TEE-BLK-M',
            available: 4,
            lastChange: { type: 'reserve', ref: { type: 'order', id: 'o' } },
          },
        },
      ],
      [
        'a channel order id guard',
        {
          table: 'orders',
          eventName: 'INSERT',
          keys: { PK: 'CORD#web#WEB-1', SK: 'GUARD' },
          newImage: { orderId: 'ord-1' },
        },
      ],
      [
        'an order-shaped item in the inventory table',
        {
          table: 'inventory',
          eventName: 'INSERT',
          keys: { PK: 'ORDER#ord-1', SK: 'ORDER' },
          newImage: orderImage(),
        },
      ],
      ['a position-shaped item in the orders table', { ...reserve, table: 'orders' }],
    ])('publishes nothing for %s', (_, change) => {
      expect(eventsFromChange(change)).toEqual([]);
    });
  });

  describe('ids', () => {
    const cases: [string, RecordChange][] = [
      ['reserve', reserve],
      ['release', release],
      ['count', count],
      ['adjustment', adjustment],
      ['order insert', orderInsert()],
      ['order cancel', orderCancel()],
    ];

    it.each(cases)('gives a redelivered %s record the same id', (_, change) => {
      const first = eventsFromChange(change);
      const again = eventsFromChange(structuredClone(change));

      expect(again.map((e) => e.detail.id)).toEqual(first.map((e) => e.detail.id));
      expect(first).toHaveLength(1);
    });

    it('gives every distinct record version its own id', () => {
      const ids = cases.flatMap(([, change]) => eventsFromChange(change).map((e) => e.detail.id));

      expect(new Set(ids).size).toBe(ids.length);
    });

    it('keys the id on the record and its version, not on when it was written', () => {
      const later = structuredClone(reserve);
      if (later.newImage) later.newImage.updatedAt = '2030-01-01T00:00:00.000Z';

      expect(eventsFromChange(later)[0]?.detail.id).toBe(eventsFromChange(reserve)[0]?.detail.id);
    });

    it('shapes ids like version-5 UUIDs', () => {
      for (const [, change] of cases) {
        expect(eventsFromChange(change)[0]?.detail.id).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }
    });
  });

  describe('catalogue', () => {
    it.each([
      ['reserve', reserve],
      ['release', release],
      ['count', count],
      ['adjustment', adjustment],
      ['order insert', orderInsert()],
      ['order cancel', orderCancel()],
    ] as [string, RecordChange][])('produces a %s event that the catalogue accepts', (_, change) => {
      const [event] = eventsFromChange(change);
      if (!event) throw new Error('no event');

      expect(catalogueCheck(event).success).toBe(true);
      expect(event.detail.version).toBe(1);
      expect(event.detail.occurredAt).toBe(String(change.newImage?.updatedAt));
    });
  });
});

describe('touchedSku', () => {
  it('names the SKU of a changed position', () => {
    expect(touchedSku(reserve)).toBe('TEE-BLK-M');
  });

  it('names the SKU of a removed position from its old image', () => {
    const removed: RecordChange = {
      table: 'inventory',
      eventName: 'REMOVE',
      keys: reserve.keys,
      oldImage: { sku: 'OLD-1' },
    };

    expect(touchedSku(removed)).toBe('OLD-1');
  });

  it('falls back to the key when no image carries the SKU', () => {
    const bare: RecordChange = {
      table: 'inventory',
      eventName: 'REMOVE',
      keys: { PK: 'SKU#MUG.WHITE', SK: 'LOC#S1' },
    };

    expect(touchedSku(bare)).toBe('MUG.WHITE');
  });

  it('names nothing for records that are not positions', () => {
    expect(touchedSku(orderInsert())).toBeUndefined();
    expect(
      touchedSku({ table: 'inventory', eventName: 'INSERT', keys: { PK: 'SKU#A', SK: 'ATP#web' } }),
    ).toBeUndefined();
    expect(
      touchedSku({ table: 'inventory', eventName: 'INSERT', keys: { PK: 'RULE#r1', SK: 'RULE' } }),
    ).toBeUndefined();
  });
});

describe('isRuleChange', () => {
  it('is true for a channel rule record and false for anything else', () => {
    expect(
      isRuleChange({ table: 'inventory', eventName: 'REMOVE', keys: { PK: 'RULE#r1', SK: 'RULE' } }),
    ).toBe(true);
    expect(isRuleChange(reserve)).toBe(false);
    expect(isRuleChange({ table: 'orders', eventName: 'INSERT', keys: { PK: 'RULE#r1', SK: 'RULE' } })).toBe(
      false,
    );
  });
});
