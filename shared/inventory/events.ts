import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';
import { CHANNELS } from '../platform/principals';

const referenceSchema = z.object({
  type: z.enum(['order', 'hold', 'adjustment', 'count']),
  id: z.string(),
  source: z.string().optional(),
});

const holdSchema = z.object({
  holdId: z.string(),
  channel: z.string(),
  status: z.enum(['ACTIVE', 'CONSUMED', 'RELEASED', 'EXPIRED']),
  expiresAt: z.string(),
  lines: z.array(
    z.object({
      sku: z.string(),
      quantity: z.number().int(),
      allocations: z.array(z.object({ locationId: z.string(), quantity: z.number().int() })),
    }),
  ),
  /** The order that took the hold's units (HoldConsumed). */
  orderId: z.string().optional(),
});

/** What the inventory context publishes, under `commerce.inventory`. */
export const inventoryEvents = defineEvents('commerce.inventory', {
  InventoryAdjusted: z.object({
    sku: z.string(),
    locationId: z.string(),
    kind: z.enum(['count', 'adjustment', 'fulfilment']),
    reason: z.string(),
    /** A fulfilment: the order whose units left (shipped or collected). */
    orderId: z.string().optional(),
    sourceSystem: z.string().optional(),
    sourceEventId: z.string().optional(),
    onHandBefore: z.number().int(),
    onHandAfter: z.number().int(),
    safetyStockBefore: z.number().int(),
    safetyStockAfter: z.number().int(),
  }),
  InventoryReserved: z.object({
    sku: z.string(),
    locationId: z.string(),
    quantity: z.number().int(),
    reference: referenceSchema,
    reservedAfter: z.number().int(),
  }),
  InventoryReleased: z.object({
    sku: z.string(),
    locationId: z.string(),
    quantity: z.number().int(),
    reference: referenceSchema,
    reason: z.string(),
    reservedAfter: z.number().int(),
  }),
  HoldPlaced: holdSchema,
  /** The hold's units now belong to an order: they stay reserved, no InventoryReleased follows. */
  HoldConsumed: holdSchema.extend({ orderId: z.string() }),
  HoldReleased: holdSchema,
  HoldExpired: holdSchema,
  LocationChanged: z.object({
    locationId: z.string(),
    name: z.string(),
    type: z.enum(['store', 'dc']),
    /** What the location is registered to fulfil. */
    fulfils: z.array(z.enum(['ship', 'pickup'])),
    status: z.object({
      state: z.enum(['enabled', 'disabled', 'pickup-disabled']),
      reason: z.string().optional(),
      until: z.string().optional(),
    }),
  }),
  AvailabilityChanged: z.object({
    sku: z.string(),
    channel: z.enum(CHANNELS),
    available: z.number().int(),
    previous: z.number().int().nullable(),
    /** The SKU's availability version this figure belongs to: a consumer keeps the highest. */
    snapshotVersion: z.number().int().min(1),
  }),
});

/** When each event is emitted, for the event catalogue (`docs/events.md`). */
export const inventoryEventDescriptions = {
  InventoryAdjusted:
    'A count, an adjustment or a fulfilment (units shipped or collected) moved on hand or safety stock of a position',
  InventoryReserved: 'An order or a hold reserved units of a position',
  InventoryReleased: 'Reserved units went back: an order was cancelled, a hold released or expired',
  HoldPlaced: 'A channel held stock for a cart, a POS basket or a pending marketplace order',
  HoldConsumed: "An order took a hold's units (they stay reserved, now for the order)",
  HoldReleased: 'A channel released a hold; its units went back',
  HoldExpired: "A hold's time ran out and the sweeper gave its units back",
  LocationChanged: 'A location was registered, changed, closed (wholly or for pickup) or opened again',
  AvailabilityChanged: 'What a channel may ship of a SKU changed (once per change, per channel)',
} satisfies Record<keyof typeof inventoryEvents.events, string>;
