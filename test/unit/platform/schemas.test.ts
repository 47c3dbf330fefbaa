import type { z } from 'zod';
import {
  adjustmentInputSchema,
  availabilityQuerySchema,
  channelRuleInputSchema,
  holdInputSchema,
  LIMITS,
  locationInputSchema,
  positionInputSchema,
} from '../../../shared/inventory/schemas';
import { orderInputSchema } from '../../../shared/orders/schemas';
import pickupOrder from '../../fixtures/domain/order-pickup.json';
import shipOrder from '../../fixtures/domain/order-ship.json';

type Json = Record<string, unknown>;

/** The dotted paths of the fields the schema finds fault with, once each, e.g. `lines.0.quantity`. */
function problemPaths(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return [...new Set(result.error.issues.map((issue) => issue.path.map(String).join('.')))];
}

const clone = <T>(value: T): T => structuredClone(value);

function order(change: (o: Json & typeof shipOrder) => void = () => {}): unknown {
  const o = clone(shipOrder) as Json & typeof shipOrder;
  change(o);
  return o;
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));

describe('orderInputSchema', () => {
  it('accepts an order shipped to an address', () => {
    const result = orderInputSchema.safeParse(shipOrder);

    expect(result.success).toBe(true);
    expect(result.data).toEqual(shipOrder);
  });

  it('accepts an order for pickup at a store, identified by phone and loyalty id', () => {
    const result = orderInputSchema.safeParse(pickupOrder);

    expect(result.success).toBe(true);
    expect(result.data?.delivery).toEqual({ type: 'pickup', locationId: 'store-leeds-briggate' });
    expect(result.data?.customer.loyaltyId).toBe('LOY-778812');
  });

  it.each([
    ['an email', { email: 'a@example.com' }],
    ['a phone', { phone: '+12125552368' }],
    ['a loyalty id', { loyaltyId: 'L1' }],
  ])('accepts a customer identified by %s alone', (_, customer) => {
    expect(
      problemPaths(
        orderInputSchema,
        order((o) => Object.assign(o, { customer })),
      ),
    ).toEqual([]);
  });

  it.each([
    ['only a name', { name: 'Ann Lee' }],
    ['nothing', {}],
    ['a blank loyalty id', { loyaltyId: '   ' }],
  ])('rejects a customer identified by %s', (_, customer) => {
    const paths = problemPaths(
      orderInputSchema,
      order((o) => Object.assign(o, { customer })),
    );

    expect(paths.some((p) => p === 'customer' || p === 'customer.loyaltyId')).toBe(true);
    expect(paths.every((p) => p.startsWith('customer'))).toBe(true);
  });

  it('says which field to fill when no identifier is given', () => {
    const result = orderInputSchema.safeParse(order((o) => Object.assign(o, { customer: { name: 'Ann' } })));

    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['customer'],
        message: 'at least one of email, phone or loyaltyId identifies the customer',
      }),
    ]);
  });

  it.each([0, -1, 1.5, 10 ** 9, LIMITS.maxQuantityPerLine + 1, Number.NaN])(
    'rejects a quantity of %p',
    (quantity) => {
      const paths = problemPaths(
        orderInputSchema,
        order((o) => {
          o.lines[0]!.quantity = quantity;
        }),
      );

      expect(paths).toEqual(['lines.0.quantity']);
    },
  );

  it('accepts the largest quantity a line may carry', () => {
    const input = order((o) => {
      o.lines[1]!.quantity = LIMITS.maxQuantityPerLine;
    });

    expect(problemPaths(orderInputSchema, input)).toEqual([]);
  });

  it('rejects an order of 1,000 lines at the lines field', () => {
    const result = orderInputSchema.safeParse(order((o) => Object.assign(o, { lines: lines(1000) })));

    expect(result.error?.issues.map((i) => [i.path.join('.'), i.code])).toEqual([['lines', 'too_big']]);
  });

  it('accepts as many lines as the limit and no more', () => {
    const atLimit = order((o) => Object.assign(o, { lines: lines(LIMITS.maxLinesPerOrder) }));
    const overLimit = order((o) => Object.assign(o, { lines: lines(LIMITS.maxLinesPerOrder + 1) }));

    expect(problemPaths(orderInputSchema, atLimit)).toEqual([]);
    expect(problemPaths(orderInputSchema, overLimit)).toEqual(['lines']);
  });

  it('rejects an order with no lines', () => {
    expect(
      problemPaths(
        orderInputSchema,
        order((o) => Object.assign(o, { lines: [] })),
      ),
    ).toEqual(['lines']);
  });

  it('rejects a SKU repeated on another line, pointing at the repeat', () => {
    const input = order((o) =>
      Object.assign(o, {
        lines: [
          { sku: 'A', quantity: 1 },
          { sku: 'B', quantity: 1 },
          { sku: 'A', quantity: 2 },
          { sku: 'B', quantity: 1 },
        ],
      }),
    );

    const result = orderInputSchema.safeParse(input);

    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['lines.2.sku', 'lines.3.sku']);
    expect(result.error?.issues[0]?.message).toBe(
      'SKU appears on more than one line; put the total on one line',
    );
  });

  it.each(['', 'has space', '-leading-dash', 'ünicode', 'x'.repeat(65)])('rejects the SKU %p', (sku) => {
    const paths = problemPaths(
      orderInputSchema,
      order((o) => {
        o.lines[0]!.sku = sku;
      }),
    );

    expect(paths).toEqual(['lines.0.sku']);
  });

  it.each(['gb', 'GBR', 'United Kingdom', ''])('rejects the country %p', (country) => {
    const paths = problemPaths(
      orderInputSchema,
      order((o) => {
        o.delivery.address.country = country;
      }),
    );

    expect(paths).toEqual(['delivery.address.country']);
  });

  it.each(['not-an-email', 'ann@', '@example.com', 'ann lee@example.com'])(
    'rejects the email %p',
    (email) => {
      const paths = problemPaths(
        orderInputSchema,
        order((o) => {
          o.customer.email = email;
        }),
      );

      expect(paths).toEqual(['customer.email']);
    },
  );

  it.each([
    ['a national number without a country code', '07946 0958 00'],
    ['letters', 'call me'],
    ['too few digits', '+4412'],
    ['too many characters', `+44 20 7946 0958${' '.repeat(20)}`],
  ])('rejects a phone number with %s', (_, phone) => {
    const input = clone(pickupOrder) as Json & typeof pickupOrder;
    input.customer.phone = phone;

    expect(problemPaths(orderInputSchema, input)).toEqual(['customer.phone']);
  });

  it.each([
    ['+44 20 7946 0958', '+442079460958'],
    ['+1 (212) 555-2368', '+12125552368'],
    ['+33 1 42 68 53 00', '+33142685300'],
  ])('normalises the phone number %p to E.164', (phone, e164) => {
    const input = clone(pickupOrder) as Json & typeof pickupOrder;
    input.customer.phone = phone;

    expect(orderInputSchema.parse(input).customer.phone).toBe(e164);
  });

  it('accepts the example phone number its own error message gives', () => {
    // The rejection message tells the caller to write e.g. +447700900123; following that advice must work.
    const input = clone(pickupOrder) as Json & typeof pickupOrder;
    input.customer.phone = 'nonsense';
    const hint = orderInputSchema.safeParse(input).error?.issues[0]?.message ?? '';
    const example = /\+\d+/.exec(hint)?.[0];
    expect(example).toBeDefined();
    input.customer.phone = example ?? '';

    expect(problemPaths(orderInputSchema, input)).toEqual([]);
  });

  it.each([
    [
      'a quantity given as a string',
      (o: Json & typeof shipOrder) => Object.assign(o.lines[0]!, { quantity: '2' }),
      'lines.0.quantity',
    ],
    [
      'a numeric SKU',
      (o: Json & typeof shipOrder) => Object.assign(o.lines[0]!, { sku: 123 }),
      'lines.0.sku',
    ],
    [
      'lines given as an object',
      (o: Json & typeof shipOrder) => Object.assign(o, { lines: { sku: 'A' } }),
      'lines',
    ],
    [
      'a numeric email',
      (o: Json & typeof shipOrder) => Object.assign(o.customer, { email: 42 }),
      'customer.email',
    ],
    [
      'customer given as a string',
      (o: Json & typeof shipOrder) => Object.assign(o, { customer: 'Ann' }),
      'customer',
    ],
    [
      'a latitude given as a string',
      (o: Json & typeof shipOrder) => Object.assign(o.delivery.address, { lat: '53.79' }),
      'delivery.address.lat',
    ],
    [
      'an unknown delivery type',
      (o: Json & typeof shipOrder) => Object.assign(o.delivery, { type: 'drone' }),
      'delivery.type',
    ],
    [
      'a missing delivery',
      (o: Json & typeof shipOrder) => Object.assign(o, { delivery: undefined }),
      'delivery',
    ],
    [
      'a numeric channel order id',
      (o: Json & typeof shipOrder) => Object.assign(o, { channelOrderId: 100234 }),
      'channelOrderId',
    ],
  ])('rejects %s at the field', (_, change, path) => {
    expect(problemPaths(orderInputSchema, order(change))).toEqual([path]);
  });

  it('rejects coordinates outside the globe', () => {
    const input = order((o) => {
      o.delivery.address.lat = 91;
      o.delivery.address.lon = -181;
    });

    expect(problemPaths(orderInputSchema, input)).toEqual(['delivery.address.lat', 'delivery.address.lon']);
  });

  it('rejects a pickup location id that is not an id', () => {
    const input = clone(pickupOrder);
    input.delivery.locationId = 'store leeds';

    expect(problemPaths(orderInputSchema, input)).toEqual(['delivery.locationId']);
  });

  it('rejects a ship delivery without an address', () => {
    const input = order((o) => Object.assign(o, { delivery: { type: 'ship' } }));

    expect(problemPaths(orderInputSchema, input)).toEqual(['delivery.address']);
  });
});

describe('holdInputSchema', () => {
  const hold = { lines: [{ sku: 'A', quantity: 1 }], delivery: { type: 'pickup', locationId: 'S1' } };

  it('holds stock for the default time when none is asked for', () => {
    expect(holdInputSchema.parse(hold).expiresInSeconds).toBe(15 * 60);
  });

  it('keeps a hold time that is asked for', () => {
    expect(holdInputSchema.parse({ ...hold, expiresInSeconds: 3600 }).expiresInSeconds).toBe(3600);
  });

  it.each([0, -5, 2.5, LIMITS.maxHoldSeconds + 1, '60'])('rejects a hold time of %p', (expiresInSeconds) => {
    expect(problemPaths(holdInputSchema, { ...hold, expiresInSeconds })).toEqual(['expiresInSeconds']);
  });

  it('rejects repeated SKUs as an order does', () => {
    const input = {
      ...hold,
      lines: [
        { sku: 'A', quantity: 1 },
        { sku: 'A', quantity: 1 },
      ],
    };

    expect(problemPaths(holdInputSchema, input)).toEqual(['lines.1.sku']);
  });
});

describe('channelRuleInputSchema', () => {
  it('accepts a share rule and keeps only its own fields', () => {
    const result = channelRuleInputSchema.parse({
      type: 'maxShareOfAtp',
      name: ' Marketplace cap ',
      channel: 'marketplace',
      percent: 40,
      units: 5,
    });

    expect(result).toEqual({
      type: 'maxShareOfAtp',
      name: 'Marketplace cap',
      channel: 'marketplace',
      percent: 40,
    });
  });

  it('accepts a protection scoped to SKUs', () => {
    const input = {
      type: 'protectUnits',
      name: 'Store floor',
      channel: 'store',
      units: 20,
      skus: ['A', 'B'],
    };

    expect(channelRuleInputSchema.parse(input)).toEqual(input);
  });

  it.each([
    ['an unknown type', { type: 'banChannel', name: 'n', channel: 'web' }, 'type'],
    ['no type', { name: 'n', channel: 'web', percent: 10 }, 'type'],
    [
      'a share rule without a percent',
      { type: 'maxShareOfAtp', name: 'n', channel: 'web', units: 10 },
      'percent',
    ],
    ['a protection without units', { type: 'protectUnits', name: 'n', channel: 'web', percent: 10 }, 'units'],
    ['a percent above 100', { type: 'maxShareOfAtp', name: 'n', channel: 'web', percent: 101 }, 'percent'],
    ['a negative percent', { type: 'maxShareOfAtp', name: 'n', channel: 'web', percent: -1 }, 'percent'],
    ['fractional units', { type: 'protectUnits', name: 'n', channel: 'web', units: 1.5 }, 'units'],
    [
      'the ops principal as channel',
      { type: 'protectUnits', name: 'n', channel: 'ops', units: 1 },
      'channel',
    ],
    ['an empty SKU scope', { type: 'protectUnits', name: 'n', channel: 'web', units: 1, skus: [] }, 'skus'],
    ['a blank name', { type: 'protectUnits', name: '  ', channel: 'web', units: 1 }, 'name'],
  ])('rejects %s', (_, input, path) => {
    expect(problemPaths(channelRuleInputSchema, input)).toEqual([path]);
  });
});

describe('locationInputSchema', () => {
  const store = {
    name: 'Leeds Briggate',
    type: 'store',
    geo: { lat: 53.7972, lon: -1.5424 },
    postalCode: 'LS1 6HD',
    country: 'GB',
    fulfils: ['ship', 'pickup'],
  };

  it('accepts a store without a priority', () => {
    expect(locationInputSchema.parse(store)).toEqual(store);
  });

  it.each([
    ['a repeated fulfilment', { fulfils: ['pickup', 'pickup'] }, 'fulfils'],
    ['no fulfilment', { fulfils: [] }, 'fulfils'],
    ['an unknown fulfilment', { fulfils: ['courier'] }, 'fulfils.0'],
    ['a fractional priority', { priority: 1.5 }, 'priority'],
    ['an unknown type', { type: 'warehouse' }, 'type'],
  ])('rejects %s', (_, change, path) => {
    expect(problemPaths(locationInputSchema, { ...store, ...change })).toEqual([path]);
  });
});

describe('positionInputSchema', () => {
  it.each([
    [{ onHand: -1 }, 'onHand'],
    [{ onHand: LIMITS.maxStock + 1 }, 'onHand'],
    [{ onHand: 3, safetyStock: -1 }, 'safetyStock'],
    [{ onHand: 3, sourceSystem: 'pos' }, 'sourceEventId'],
    [{ onHand: 3, sourceEventId: 'c-1' }, 'sourceSystem'],
    [{ onHand: 3, countedAt: 'yesterday' }, 'countedAt'],
  ])('rejects %p', (input, path) => {
    expect(problemPaths(positionInputSchema, input)).toEqual([path]);
  });

  it('accepts a count from a source system as of its time', () => {
    const count = {
      onHand: 3,
      countedAt: '2026-12-01T09:00:00+01:00',
      sourceSystem: 'pos',
      sourceEventId: 'c-1',
    };
    expect(problemPaths(positionInputSchema, count)).toEqual([]);
  });
});

describe('adjustmentInputSchema', () => {
  const receipt = {
    sku: 'A',
    locationId: 'DC1',
    delta: 12,
    reason: 'receipt',
    sourceSystem: 'wms',
    sourceEventId: 'asn-1',
  };

  it('accepts a receipt and a write-off', () => {
    expect(problemPaths(adjustmentInputSchema, receipt)).toEqual([]);
    expect(problemPaths(adjustmentInputSchema, { ...receipt, delta: -3 })).toEqual([]);
  });

  it('rejects an adjustment that moves nothing', () => {
    expect(problemPaths(adjustmentInputSchema, { ...receipt, delta: 0 })).toEqual(['delta']);
  });
});

describe('availabilityQuerySchema', () => {
  it('reads near as a point and limit as a number', () => {
    expect(availabilityQuerySchema.parse({ skus: 'A', near: '51.515,-0.142', limit: '3' })).toMatchObject({
      near: { lat: 51.515, lon: -0.142 },
      limit: 3,
    });
  });

  it.each([
    [{ near: 'london' }, 'near'],
    [{ near: '95,10' }, 'near.lat'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '1000' }, 'limit'],
  ])('rejects %j at %s', (query, path) => {
    expect(problemPaths(availabilityQuerySchema, { skus: 'A', ...query })).toEqual([path]);
  });

  it('splits and trims a comma-separated SKU list', () => {
    expect(availabilityQuerySchema.parse({ skus: 'A, B ,C' }).skus).toEqual(['A', 'B', 'C']);
  });

  it('rejects an empty entry in the list at its position', () => {
    expect(problemPaths(availabilityQuerySchema, { skus: 'A,,B' })).toEqual(['skus.1']);
  });

  it('rejects more SKUs than one query may ask for', () => {
    const skus = lines(LIMITS.maxSkusPerAvailabilityQuery + 1)
      .map((l) => l.sku)
      .join(',');

    expect(problemPaths(availabilityQuerySchema, { skus })).toEqual(['skus']);
  });

  it('rejects an unknown channel', () => {
    expect(problemPaths(availabilityQuerySchema, { skus: 'A', channel: 'fax' })).toEqual(['channel']);
  });
});
