import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DomainEvent } from './envelope';

/** PutEvents takes at most 10 entries a call. */
const MAX_ENTRIES = 10;

/** Puts domain events on the bus; throws if any entry was not accepted, so the caller can retry. */
export class EventPublisher {
  constructor(
    readonly client: EventBridgeClient,
    readonly busName: string,
  ) {}

  async publish(events: DomainEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const chunk = events.slice(i, i + MAX_ENTRIES);
      const out = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: this.busName,
            Source: e.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            Time: new Date(e.detail.occurredAt),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const failures = (out.Entries ?? [])
          .filter((entry) => entry.ErrorCode)
          .map((entry) => entry.ErrorCode);
        throw new Error(
          `The bus refused ${out.FailedEntryCount} of ${chunk.length} events: ${failures.join(', ')}`,
        );
      }
    }
  }
}
