import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { DomainEvent } from '../../../shared/platform/events/envelope';
import { EventPublisher, MAX_PUT_ATTEMPTS, PublishFailed } from '../../../shared/platform/events/publisher';
import {
  publishChanges,
  type StreamEventSource,
  type StreamItem,
} from '../../../shared/platform/events/stream';

/** The bus has no local engine that fails entries on demand: the SDK client is mocked here only. */
const bus = mockClient(EventBridgeClient);

const event = (n: number): DomainEvent => ({
  source: 'commerce.test',
  detailType: 'Happened',
  detail: { id: `id-${n}`, occurredAt: '2026-12-01T10:00:00.000Z', version: 1, data: { n } },
});
const sentIds = () =>
  bus
    .commandCalls(PutEventsCommand)
    .map((call) => (call.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}').id as string));

beforeEach(() => bus.reset());

describe('EventPublisher', () => {
  const publisher = () => new EventPublisher(new EventBridgeClient({ region: 'us-east-1' }), 'commerce');

  it('puts events ten to a call, in order', async () => {
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });

    await publisher().publish(Array.from({ length: 25 }, (_, i) => event(i)));

    expect(sentIds().map((ids) => ids.length)).toEqual([10, 10, 5]);
    expect(sentIds().flat()).toEqual(Array.from({ length: 25 }, (_, i) => `id-${i}`));
  });

  it('offers again only the entries the bus refused', async () => {
    bus
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [] });

    await publisher().publish([event(0), event(1), event(2), event(3)]);

    expect(sentIds()).toEqual([
      ['id-0', 'id-1', 'id-2', 'id-3'],
      ['id-1', 'id-3'],
    ]);
  });

  it('fails with the first refused event after its attempts, sending nothing after it', async () => {
    let calls = 0;
    // The first chunk is accepted; every entry of the second is refused, every time.
    bus.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => {
      calls++;
      const entries = input.Entries ?? [];
      return calls === 1
        ? { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: 'ok' })) }
        : {
            FailedEntryCount: entries.length,
            Entries: entries.map(() => ({ ErrorCode: 'InternalFailure' })),
          };
    });
    const events = Array.from({ length: 25 }, (_, i) => event(i));

    const failure = await publisher()
      .publish(events)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PublishFailed);
    expect((failure as PublishFailed).firstFailed).toBe(10);
    expect(sentIds()).toHaveLength(1 + MAX_PUT_ATTEMPTS);
    // The refused chunk (events 10 to 19) is offered again; the third chunk is never sent.
    expect(sentIds().slice(1)).toEqual(
      Array(MAX_PUT_ATTEMPTS).fill(events.slice(10, 20).map((e) => e.detail.id)),
    );
  });
});

describe('publishChanges', () => {
  const items: StreamItem[] = Array.from({ length: 30 }, (_, i) => ({
    sequenceNumber: String(100 + i),
    change: { table: 'things', eventName: 'INSERT', keys: { PK: `T#${i}`, SK: 'T' }, newImage: { n: i } },
  }));
  const source: StreamEventSource = {
    table: 'things',
    eventsFromChange: (change) => [event(Number(change.newImage?.n))],
  };

  it("publishes a batch's events together, not one call per record", async () => {
    const calls: DomainEvent[][] = [];

    const result = await publishChanges(
      [source],
      async (events) => {
        calls.push(events);
      },
      items,
    );

    expect(result).toEqual({});
    expect(calls.map((c) => c.length)).toEqual([30]);
  });

  it('retries from the record of the first event the bus refused', async () => {
    const result = await publishChanges(
      [source],
      async () => {
        throw new PublishFailed(17, 13, ['InternalFailure']);
      },
      items,
    );

    expect(result).toEqual({ retryFrom: '117' });
  });

  it('publishes what came before a record it cannot map, and retries from that record', async () => {
    const calls: DomainEvent[][] = [];
    const brittle: StreamEventSource = {
      table: 'things',
      eventsFromChange: (change) => {
        if (change.newImage?.n === 12) throw new Error('does not fit the schema');
        return [event(Number(change.newImage?.n))];
      },
    };

    const result = await publishChanges(
      [brittle],
      async (events) => {
        calls.push(events);
      },
      items,
    );

    expect(result).toEqual({ retryFrom: '112' });
    expect(calls.flat().map((e) => e.detail.id)).toEqual(Array.from({ length: 12 }, (_, i) => `id-${i}`));
  });
});
