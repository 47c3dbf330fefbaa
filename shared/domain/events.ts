import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CHANNELS } from '../infra/definitions';

/**
 * Domain events: one zod schema per detail-type is the definition of what is published. Events are
 * derived from committed records (the record is the outbox), so each carries a deterministic id made
 * from the record key and its version: a re-delivered stream record yields the same id, and consumers
 * deduplicate by it.
 */

export const EVENT_VERSION = 1;

const referenceSchema = z.object({
  type: z.enum(['order', 'reservation', 'adjustment', 'count']),
  id: z.string(),
});

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
  status: z.string(),
  lines: z.array(orderLineSchema),
  delivery: z.record(z.string(), z.unknown()),
});

export const eventCatalogue = {
  'commerce.inventory': {
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
  },
  'commerce.orders': {
    OrderCreated: orderSummarySchema,
    OrderCancelled: orderSummarySchema,
    MarketplaceOrderRejected: z.object({
      marketplace: z.string(),
      marketplaceOrderId: z.string().optional(),
      reason: z.object({ code: z.string(), message: z.string(), details: z.array(z.unknown()) }),
    }),
  },
} as const;

type Catalogue = typeof eventCatalogue;
export type EventSource = keyof Catalogue;
export type DetailType<S extends EventSource> = keyof Catalogue[S] & string;
export type EventData<S extends EventSource, T extends DetailType<S>> = z.infer<
  Catalogue[S][T] extends z.ZodType ? Catalogue[S][T] : never
>;

/** A domain event ready for the bus: `source`, `detail-type` and the detail envelope. */
export interface DomainEvent {
  source: EventSource;
  detailType: string;
  detail: { id: string; occurredAt: string; version: number; data: unknown };
}

/** Builds an event after checking its data against the catalogue, so nothing unlisted is published. */
export function domainEvent<S extends EventSource, T extends DetailType<S>>(
  source: S,
  detailType: T,
  id: string,
  occurredAt: string,
  data: EventData<S, T>,
): DomainEvent {
  const schema = (eventCatalogue[source] as Record<string, z.ZodType>)[detailType];
  if (!schema) throw new Error(`No schema for ${source} ${detailType}`);
  return { source, detailType, detail: { id, occurredAt, version: EVENT_VERSION, data: schema.parse(data) } };
}

/** A stable UUID-shaped id from a name (SHA-1 based, like a version-5 UUID). */
export function stableId(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
