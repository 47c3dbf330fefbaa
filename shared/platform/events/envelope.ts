import { createHash } from 'node:crypto';
import type { z } from 'zod';

/**
 * Domain events: each context declares one zod schema per detail-type under its source
 * (`commerce.<context>`); that declaration is the definition of what is published. Events are
 * derived from committed records (the record is the outbox), so each carries a deterministic id:
 * a re-delivered stream record yields the same id, and consumers deduplicate by it.
 */

export const EVENT_VERSION = 1;

/** A domain event ready for the bus: `source`, `detail-type` and the detail envelope. */
export interface DomainEvent {
  source: string;
  detailType: string;
  detail: { id: string; occurredAt: string; version: number; data: unknown };
}

/** The events one source may publish, by detail-type. */
export interface EventCatalogue<S extends string, T extends Record<string, z.ZodType>> {
  source: S;
  events: T;
  /** Builds an event after checking its data against its schema, so nothing unlisted is published. */
  event<K extends keyof T & string>(
    detailType: K,
    id: string,
    occurredAt: string,
    data: z.input<T[K]>,
  ): DomainEvent;
}

export function defineEvents<const S extends string, T extends Record<string, z.ZodType>>(
  source: S,
  events: T,
): EventCatalogue<S, T> {
  return {
    source,
    events,
    event(detailType, id, occurredAt, data) {
      const schema = events[detailType];
      if (!schema) throw new Error(`No schema for ${source} ${detailType}`);
      return {
        source,
        detailType,
        detail: { id, occurredAt, version: EVENT_VERSION, data: schema.parse(data) },
      };
    },
  };
}

/** A stable UUID-shaped id from a name (SHA-1 based, like a version-5 UUID). */
export function stableId(name: string): string {
  const hex = createHash('sha1').update(name).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/** One committed change of a record, as a table stream reports it (images already unmarshalled). */
export interface RecordChange {
  /** The table's key in the definitions (its context's name for it). */
  table: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys: { PK: string; SK: string };
  oldImage?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
}

/** The deterministic id of the event a record version stands for. */
export const recordEventId = (change: RecordChange, next: Record<string, unknown>): string =>
  stableId(`${change.table}:${change.keys.PK}:${change.keys.SK}:${String(next.version ?? '')}`);
