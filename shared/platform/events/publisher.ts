import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { DomainEvent } from './envelope';

/** PutEvents takes at most 10 entries a call. */
export const MAX_ENTRIES = 10;

/** How often entries the bus refused are offered again before the call fails. */
export const MAX_PUT_ATTEMPTS = 4;

/** Some events were not accepted after every attempt; `firstFailed` is the index of the first. */
export class PublishFailed extends Error {
  constructor(
    readonly firstFailed: number,
    readonly failed: number,
    codes: string[],
  ) {
    super(`The bus refused ${failed} events after ${MAX_PUT_ATTEMPTS} attempts: ${codes.join(', ')}`);
    this.name = 'PublishFailed';
  }
}

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1_000, 50 * 2 ** attempt)));

/**
 * Puts domain events on the bus in order, ten to a call. Entries the bus refuses (throttling, an
 * internal failure) are offered again on their own, with backoff; the accepted ones are not sent
 * twice. Later chunks wait until a chunk is fully accepted, so a failure leaves no gap behind the
 * first refused event: everything before it is on the bus.
 */
export class EventPublisher {
  constructor(
    readonly client: EventBridgeClient,
    readonly busName: string,
  ) {}

  private entry(event: DomainEvent): PutEventsRequestEntry {
    return {
      EventBusName: this.busName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      Time: new Date(event.detail.occurredAt),
    };
  }

  async publish(events: DomainEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += MAX_ENTRIES) {
      let pending = events.slice(start, start + MAX_ENTRIES).map((event, i) => ({ event, index: start + i }));
      let codes: string[] = [];
      for (let attempt = 1; pending.length > 0 && attempt <= MAX_PUT_ATTEMPTS; attempt++) {
        if (attempt > 1) await pause(attempt);
        const out = await this.client.send(
          new PutEventsCommand({ Entries: pending.map((p) => this.entry(p.event)) }),
        );
        if ((out.FailedEntryCount ?? 0) === 0) {
          pending = [];
          break;
        }
        // The response lists one result per entry, in order; a failed one carries an ErrorCode.
        const results = out.Entries ?? [];
        codes = results.flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : []));
        pending = pending.filter((_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined);
      }
      if (pending.length > 0) {
        throw new PublishFailed(pending[0]?.index ?? start, pending.length, codes);
      }
    }
  }
}
