import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';
import { CHANNELS } from '../platform/principals';

const referenceSchema = z.object({
  type: z.enum(['order', 'hold', 'adjustment', 'count']),
  id: z.string(),
});

/** What the inventory context publishes, under `commerce.inventory`. */
export const inventoryEvents = defineEvents('commerce.inventory', {
  InventoryAdjusted: z.object({
    sku: z.string(),
    locationId: z.string(),
    kind: z.enum(['count', 'adjustment']),
    reason: z.string(),
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
  AvailabilityChanged: z.object({
    sku: z.string(),
    channel: z.enum(CHANNELS),
    available: z.number().int(),
    previous: z.number().int().nullable(),
  }),
});

/** When each event is emitted, for the event catalogue (`docs/events.md`). */
export const inventoryEventDescriptions = {
  InventoryAdjusted: 'A count or an adjustment moved on hand or safety stock of a position',
  InventoryReserved: 'An order or a hold reserved units of a position',
  InventoryReleased: 'Reserved units went back: an order was cancelled, a hold released or expired',
  AvailabilityChanged: 'What a channel may sell of a SKU changed (once per change, per channel)',
} satisfies Record<keyof typeof inventoryEvents.events, string>;
