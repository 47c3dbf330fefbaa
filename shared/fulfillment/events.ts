import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';

const lineSchema = z.object({ sku: z.string(), quantity: z.number().int() });

const groupSchema = z.object({
  groupId: z.string(),
  locationId: z.string(),
  lines: z.array(lineSchema),
  transferTo: z.string().optional(),
});

/** What every group event carries: which order, which group, which location, which lines. */
const groupEventSchema = groupSchema.extend({
  orderId: z.string(),
  channel: z.string(),
  deliveryType: z.enum(['ship', 'pickup']),
});

const routingSchema = z.object({
  orderId: z.string(),
  groups: z.array(groupSchema),
  unfilled: z.array(lineSchema.extend({ reason: z.string() })),
  /** Why, in words. */
  explanation: z.string(),
  profileId: z.string().optional(),
  profileVersion: z.number().int().optional(),
});

/** What the fulfillment context publishes, under `commerce.fulfillment`. */
export const fulfillmentEvents = defineEvents('commerce.fulfillment', {
  FulfillmentRouted: routingSchema,
  Rerouted: routingSchema.extend({
    /** The group that failed, and why. */
    replaces: z.object({
      groupId: z.string(),
      locationId: z.string(),
      status: z.string(),
      reason: z.string(),
    }),
    excludedLocationIds: z.array(z.string()),
  }),
  FulfillmentRequested: groupEventSchema.extend({
    /** The location must answer within this many seconds (its SLA), or the work is rerouted. */
    answerWithinSeconds: z.number().int(),
  }),
  FulfillmentAccepted: groupEventSchema,
  FulfillmentRejected: groupEventSchema.extend({
    status: z.enum(['REJECTED', 'SHORT_PICKED', 'TIMED_OUT']),
    reason: z.string(),
  }),
  Shipped: groupEventSchema.extend({ carrier: z.string().optional(), trackingNumber: z.string().optional() }),
  ReadyForPickup: groupEventSchema.extend({
    /** The store the customer collects at. */
    pickupLocationId: z.string(),
  }),
  PickedUp: groupEventSchema,
  PickupExpired: groupEventSchema,
});

/** When each event is emitted, for the event catalogue (`docs/events.md`). */
export const fulfillmentEventDescriptions = {
  FulfillmentRouted:
    "An order's lines were put in fulfilment groups (location → lines), with the decision's why",
  Rerouted:
    "A group's location failed it (rejected, short, silent): its lines went to other locations or were cancelled",
  FulfillmentRequested:
    "A group entered a location's work list: the location's systems are asked to accept it",
  FulfillmentAccepted: 'A location took the work of a group',
  FulfillmentRejected: 'A location rejected a group, was short of units, or did not answer in time',
  Shipped: 'A group left its location with a carrier (to the customer, or to the pickup store)',
  ReadyForPickup: 'A group waits at its pickup store for the customer',
  PickedUp: 'The customer collected a group',
  PickupExpired: "A group was not collected by its pickup's expiry: its units went back to stock",
} satisfies Record<keyof typeof fulfillmentEvents.events, string>;
