import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';
import { CHANNELS } from '../platform/principals';

const allocationSchema = z.object({ locationId: z.string(), quantity: z.number().int() });
const orderLineSchema = z.object({
  sku: z.string(),
  quantity: z.number().int(),
  allocations: z.array(allocationSchema),
});

const orderSummarySchema = z.object({
  orderId: z.string(),
  channel: z.enum(CHANNELS),
  channelOrderId: z.string().optional(),
  /** The one customer the order belongs to (the customers context resolves it at intake). */
  customerId: z.string().optional(),
  status: z.string(),
  lines: z.array(orderLineSchema),
  /**
   * How the order is delivered, without the address: events reach every subscriber and the archive,
   * so they carry references, never contact details. A consumer that needs the address reads the order.
   */
  delivery: z.object({
    type: z.enum(['ship', 'pickup']),
    /** The pickup store. */
    locationId: z.string().optional(),
  }),
});

/** What the orders context publishes, under `commerce.orders`. */
export const orderEvents = defineEvents('commerce.orders', {
  OrderCreated: orderSummarySchema,
  OrderCancelled: orderSummarySchema.extend({
    /** `request`: a channel or ops cancelled it; `unfulfillable`: fulfilment could fill none of it. */
    cause: z.enum(['request', 'unfulfillable']),
  }),
  OrderFulfilled: orderSummarySchema.extend({
    fulfilled: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
    cancelled: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
  }),
  LineCancelled: z.object({
    orderId: z.string(),
    channel: z.enum(CHANNELS),
    channelOrderId: z.string().optional(),
    sku: z.string(),
    /** Units cancelled by this change. */
    quantity: z.number().int(),
    /** Units of the line cancelled in all. */
    cancelledQuantity: z.number().int(),
    orderedQuantity: z.number().int(),
    reason: z.string(),
  }),
  MarketplaceOrderRejected: z.object({
    marketplace: z.string(),
    marketplaceOrderId: z.string().optional(),
    reason: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()) }),
  }),
});

/** When each event is emitted, for the event catalogue (`docs/events.md`). */
export const orderEventDescriptions = {
  OrderCreated: 'An order was written, with its allocations (any channel, HTTP or marketplace)',
  OrderCancelled:
    'An order was cancelled and what it held released (`cause`: a request, or nothing could be fulfilled)',
  OrderFulfilled:
    'Every line of an order was shipped, collected or cancelled, and at least one unit delivered',
  LineCancelled:
    'Fulfilment could not fill units of a line (no location can, or a pickup was never collected): tell the customer',
  MarketplaceOrderRejected: 'A marketplace order was refused; `reason` is the error the intake gave',
} satisfies Record<keyof typeof orderEvents.events, string>;
