import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { DeadLetterQueue } from '../../local/dead-letters';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { type BusEventRecord, EVENTBRIDGE_PATH, LocalEventBus } from '../../local/event-bus';
import { type ApiServer, createApiServer } from '../../local/http-server';
import type { LocalHandler } from '../../local/lambda';
import { type BusRule, busRules, functions } from '../../shared/platform/definitions';
import { closeConnections, memoryLogger, recorder, send, waitFor } from './support';

type Event = EventBridgeEvent<string, Record<string, unknown>>;

describe('local event bus', () => {
  const handlers = new Map<string, LocalHandler>();
  const log = memoryLogger();
  let deadLetters: DeadLetterQueue;
  let bus: LocalEventBus;
  let api: ApiServer;
  let base: string;
  let client: EventBridgeClient;

  beforeEach(async () => {
    handlers.clear();
    deadLetters = new DeadLetterQueue();
    bus = new LocalEventBus({
      rules: busRules,
      functions,
      handlers,
      region: LOCAL_REGION,
      deadLetters,
      retry: { maxAttempts: 3, baseDelayMs: 5 },
      log,
    });
    api = createApiServer({
      routes: [],
      handlers,
      apiKeys: {},
      region: LOCAL_REGION,
      endpoints: bus.endpoints(),
    });
    base = `http://127.0.0.1:${await api.listen(0)}`;
    client = new EventBridgeClient({
      endpoint: `${base}${EVENTBRIDGE_PATH}`,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  });

  afterEach(async () => {
    client.destroy();
    await bus.stop();
    closeConnections();
    await api.close();
  });

  const marketplaceOrder = {
    EventBusName: 'commerce',
    Source: 'marketplace.amazon',
    DetailType: 'MarketplaceOrderPlaced',
    Detail: JSON.stringify({ channelOrderId: 'AMZ-1', lines: [{ sku: 'TEE-1', quantity: 1 }] }),
    Resources: ['arn:aws:example:::order/AMZ-1'],
  };

  describe('PutEvents through the real EventBridgeClient', () => {
    it('accepts an event, builds the EventBridge envelope and delivers it to the matching rule target', async () => {
      const intake = recorder<Event>();
      handlers.set('AcceptMarketplaceOrder', intake);

      const result = await client.send(
        new PutEventsCommand({
          Entries: [{ ...marketplaceOrder, Time: new Date('2026-01-02T03:04:05.678Z') }],
        }),
      );

      expect(result.FailedEntryCount).toBe(0);
      const eventId = result.Entries?.[0]?.EventId;
      expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
      await waitFor(() => intake.calls.length === 1, 'the marketplace intake to be called');
      expect(intake.calls[0]?.event).toEqual({
        version: '0',
        id: eventId,
        'detail-type': 'MarketplaceOrderPlaced',
        source: 'marketplace.amazon',
        account: '000000000000',
        time: '2026-01-02T03:04:05Z',
        region: LOCAL_REGION,
        resources: ['arn:aws:example:::order/AMZ-1'],
        detail: { channelOrderId: 'AMZ-1', lines: [{ sku: 'TEE-1', quantity: 1 }] },
      });
      expect(intake.calls[0]?.context.functionName).toBe('AcceptMarketplaceOrder');
    });

    it('answers per entry: valid entries pass, invalid ones get the EventBridge error codes', async () => {
      const result = await client.send(
        new PutEventsCommand({
          Entries: [
            { ...marketplaceOrder, Source: undefined },
            { ...marketplaceOrder, DetailType: undefined },
            { ...marketplaceOrder, Detail: 'not json' },
            { ...marketplaceOrder, Detail: '[1, 2]' },
            { ...marketplaceOrder, EventBusName: undefined },
            { ...marketplaceOrder, EventBusName: 'orders' },
            { ...marketplaceOrder, EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/commerce' },
          ],
        }),
      );

      expect(result.FailedEntryCount).toBe(6);
      expect(result.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
        'InvalidArgument',
        'InvalidArgument',
        'MalformedDetail',
        'MalformedDetail',
        'InvalidArgument',
        'InvalidArgument',
        'ok',
      ]);
      expect(result.Entries?.[0]?.ErrorMessage).toContain('Source');
      expect(result.Entries?.[4]?.ErrorMessage).toContain('default');
      expect(bus.events()).toHaveLength(1);
    });

    it('refuses a request of more than 10 entries as a whole', async () => {
      const entries = Array.from({ length: 11 }, () => marketplaceOrder);

      await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      expect(bus.events()).toHaveLength(0);
    });

    it('refuses another operation with the JSON protocol error shape', async () => {
      const response = await send(`${base}${EVENTBRIDGE_PATH}`, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSEvents.ListRules', 'content-type': 'application/x-amz-json-1.1' },
        body: '{}',
      });

      expect(response.status).toBe(400);
      expect(response.json()).toMatchObject({ __type: 'UnknownOperationException' });
    });
  });

  describe('rules', () => {
    it('records a domain event for the audit log without invoking any function', async () => {
      const intake = recorder<Event>();
      handlers.set('AcceptMarketplaceOrder', intake);

      await client.send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: 'commerce', Source: 'commerce.orders', DetailType: 'OrderPlaced', Detail: '{}' },
          ],
        }),
      );

      const [record] = bus.events({ detailType: 'OrderPlaced' });
      expect(record?.deliveries).toEqual([
        expect.objectContaining({ rule: 'CommerceAudit', target: 'auditLog', status: 'delivered' }),
      ]);
      await bus.whenIdle();
      expect(intake.calls).toHaveLength(0);
    });

    it('delivers an event that matches no rule nowhere, but still lists it', async () => {
      bus.putEvents({
        Entries: [{ EventBusName: 'commerce', Source: 'other.system', DetailType: 'Ping', Detail: '{}' }],
      });

      expect(bus.events({ source: 'other.system' })).toEqual([
        expect.objectContaining({
          deliveries: [],
          event: expect.objectContaining({ 'detail-type': 'Ping' }),
        }),
      ]);
    });

    it('lists received events over HTTP, filtered by detail type and source, with their deliveries', async () => {
      handlers.set('AcceptMarketplaceOrder', recorder());
      bus.putEvents({
        Entries: [
          marketplaceOrder,
          {
            EventBusName: 'commerce',
            Source: 'commerce.orders',
            DetailType: 'OrderPlaced',
            Detail: '{"n":1}',
          },
          {
            EventBusName: 'commerce',
            Source: 'commerce.orders',
            DetailType: 'OrderCancelled',
            Detail: '{"n":2}',
          },
        ],
      });
      await bus.whenIdle();

      const all = (await send(`${base}/_local/events`)).json() as { events: BusEventRecord[] };
      const placed = (
        await send(`${base}/_local/events?detailType=OrderPlaced&source=commerce.orders`)
      ).json() as {
        events: BusEventRecord[];
      };
      const marketplace = (await send(`${base}/_local/events?source=marketplace.amazon`)).json() as {
        events: BusEventRecord[];
      };

      expect(all.events.map((record) => record.event['detail-type'])).toEqual([
        'MarketplaceOrderPlaced',
        'OrderPlaced',
        'OrderCancelled',
      ]);
      expect(placed.events).toHaveLength(1);
      expect(placed.events[0]?.event.detail).toEqual({ n: 1 });
      expect(marketplace.events[0]?.deliveries).toEqual([
        expect.objectContaining({
          rule: 'MarketplaceOrderPlaced',
          target: 'function:AcceptMarketplaceOrder',
          status: 'delivered',
          attempts: 1,
        }),
      ]);
    });

    it('keeps only the most recent events', async () => {
      const small = new LocalEventBus({ rules: [], functions, handlers, region: LOCAL_REGION, maxEvents: 3 });
      for (let n = 1; n <= 5; n += 1) {
        small.putEvents({
          Entries: [
            { EventBusName: 'commerce', Source: 'test', DetailType: 'N', Detail: JSON.stringify({ n }) },
          ],
        });
      }

      expect(small.events().map((record) => record.event.detail)).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
      expect(small.events({ limit: 2 }).map((record) => record.event.detail)).toEqual([{ n: 4 }, { n: 5 }]);
    });

    it('refuses, at start, a rule whose pattern EventBridge would reject or whose target does not exist', () => {
      const bad: BusRule[] = [
        { name: 'Bad', description: '', eventPattern: { source: 'not-a-list' }, target: { auditLog: true } },
        { name: 'Lost', description: '', eventPattern: { source: ['x'] }, target: { function: 'Nobody' } },
      ];

      expect(() => new LocalEventBus({ rules: bad, functions, handlers, region: LOCAL_REGION })).toThrow(
        /rule Bad: [\s\S]*rule Lost: target function Nobody/,
      );
    });
  });

  describe('delivery failures', () => {
    it('retries a failing target and records the delivery once it succeeds', async () => {
      let calls = 0;
      handlers.set('AcceptMarketplaceOrder', async () => {
        calls += 1;
        if (calls === 1) throw new Error('transient');
      });

      bus.putEvents({ Entries: [marketplaceOrder] });
      await bus.whenIdle();

      expect(calls).toBe(2);
      expect(bus.events()[0]?.deliveries[0]).toMatchObject({
        status: 'delivered',
        attempts: 2,
        lastError: 'Error: transient',
      });
      expect(deadLetters.size).toBe(0);
    });

    it('moves an event to the dead-letter list after three failed attempts, and lists it over HTTP', async () => {
      let calls = 0;
      handlers.set('AcceptMarketplaceOrder', async () => {
        calls += 1;
        throw new Error('always');
      });

      const result = bus.putEvents({ Entries: [marketplaceOrder] });
      await bus.whenIdle();

      expect(calls).toBe(3);
      expect(bus.events()[0]?.deliveries[0]).toMatchObject({ status: 'failed', attempts: 3 });
      const dlq = (await send(`${base}/_local/dlq`)).json() as { deadLetters: unknown[] };
      expect(dlq.deadLetters).toEqual([
        expect.objectContaining({
          source: 'bus',
          functionName: 'AcceptMarketplaceOrder',
          origin: 'MarketplaceOrderPlaced',
          attempts: 3,
          error: 'Error: always',
          payload: expect.objectContaining({ id: (result.Entries[0] as { EventId: string }).EventId }),
        }),
      ]);
      expect(log.errors.join('\n')).toContain('dead-letter');
    });

    it('cancels pending retries when stopped', async () => {
      const slow = new LocalEventBus({
        rules: busRules,
        functions,
        handlers,
        region: LOCAL_REGION,
        retry: { maxAttempts: 3, baseDelayMs: 60_000 },
      });
      handlers.set('AcceptMarketplaceOrder', async () => {
        throw new Error('down');
      });
      slow.putEvents({ Entries: [marketplaceOrder] });
      await waitFor(
        () => slow.events()[0]?.deliveries[0]?.status === 'retrying',
        'the first attempt to fail',
      );

      await slow.stop();

      expect(slow.events()[0]?.deliveries[0]?.status).toBe('failed');
    });
  });
});
