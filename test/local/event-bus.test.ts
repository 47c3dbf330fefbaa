import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from 'aws-lambda';
import { DeadLetterQueue } from '../../local/dead-letters';
import {
  type DeliveryJournal,
  FileDeliveryJournal,
  type PendingDelivery,
} from '../../local/delivery-journal';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamodb';
import { type BusEventRecord, EVENTBRIDGE_PATH, LocalEventBus } from '../../local/event-bus';
import { type ApiServer, createApiServer } from '../../local/http-server';
import type { LocalHandler } from '../../local/lambda';
import { type BusRule, busRules as definedBusRules, functions } from '../../shared/platform/definitions';
import { closeConnections, memoryLogger, recorder, send, waitFor } from './support';

type Event = EventBridgeEvent<string, Record<string, unknown>>;

/**
 * The bus's function-target machinery (retries, the journal, the dead-letter list) is exercised
 * through the marketplace rule aimed at the intake function directly, as it was before the rule
 * got its queue; the queue target has its own tests below and in `queue.test.ts`.
 */
const busRules: BusRule[] = definedBusRules.map((rule) =>
  rule.name === 'MarketplaceOrderPlaced' ? { ...rule, target: { function: 'AcceptMarketplaceOrder' } } : rule,
);

describe('local event bus', () => {
  const handlers = new Map<string, LocalHandler>();
  const log = memoryLogger();
  let deadLetters: DeadLetterQueue;
  let bus: LocalEventBus;
  let api: ApiServer;
  let base: string;
  /** Signed as marketplace amazon's role: it may put `marketplace.amazon` events. */
  let client: EventBridgeClient;
  /** Signed as the system's functions: they may put `commerce.*` events. */
  let system: EventBridgeClient;

  beforeEach(async () => {
    handlers.clear();
    deadLetters = new DeadLetterQueue();
    bus = new LocalEventBus({
      rules: busRules,
      functions,
      handlers,
      region: LOCAL_REGION,
      deadLetters,
      retry: { baseDelayMs: 5 },
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
    const signedAs = (accessKeyId: string) =>
      new EventBridgeClient({
        endpoint: `${base}${EVENTBRIDGE_PATH}`,
        region: LOCAL_REGION,
        credentials: { accessKeyId, secretAccessKey: 'local' },
      });
    client = signedAs('marketplace-amazon');
    system = signedAs(LOCAL_CREDENTIALS.accessKeyId);
  });

  afterEach(async () => {
    client.destroy();
    system.destroy();
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

  describe('a queue target', () => {
    it('hands the whole event to the queue before PutEvents answers, and refuses the entry if it cannot', async () => {
      const sent: string[] = [];
      let failing = false;
      const queue = {
        send: async (body: string) => {
          if (failing) throw new Error('disk full');
          sent.push(body);
        },
      };
      const queued = new LocalEventBus({
        rules: definedBusRules,
        queues: new Map([['MarketplaceOrders', queue]]),
        functions,
        handlers,
        region: LOCAL_REGION,
      });
      const first = await queued.putEvents({ Entries: [marketplaceOrder] });

      expect(first.FailedEntryCount).toBe(0);
      expect(sent).toHaveLength(1);
      expect(JSON.parse(sent[0] ?? '{}')).toMatchObject({
        source: 'marketplace.amazon',
        'detail-type': 'MarketplaceOrderPlaced',
        detail: { channelOrderId: 'AMZ-1' },
      });
      expect(queued.events()[0]?.deliveries).toEqual([
        expect.objectContaining({ target: 'queue:MarketplaceOrders', status: 'delivered', attempts: 1 }),
      ]);

      failing = true;
      const second = await queued.putEvents({ Entries: [marketplaceOrder] });
      expect(second).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
      await queued.stop();
    });

    it('refuses rules whose queue it was not given', () => {
      expect(
        () => new LocalEventBus({ rules: definedBusRules, functions, handlers, region: LOCAL_REGION }),
      ).toThrow('target queue MarketplaceOrders is not given to the bus');
    });
  });

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

  describe('the bus policy', () => {
    const put = (from: EventBridgeClient, Source: string) =>
      from
        .send(
          new PutEventsCommand({
            Entries: [{ EventBusName: 'commerce', Source, DetailType: 'Ping', Detail: '{}' }],
          }),
        )
        .then(
          () => 'accepted',
          (error: Error) => error.name,
        );

    it('keeps commerce.* to the system and marketplace.<name> to that marketplace, and writes nothing refused', async () => {
      const stranger = new EventBridgeClient({
        endpoint: `${base}${EVENTBRIDGE_PATH}`,
        region: LOCAL_REGION,
        credentials: { accessKeyId: 'someone', secretAccessKey: 'x' },
      });
      try {
        expect({
          systemCommerce: await put(system, 'commerce.orders'),
          systemMarketplace: await put(system, 'marketplace.amazon'),
          amazonItself: await put(client, 'marketplace.amazon'),
          amazonAsEbay: await put(client, 'marketplace.ebay'),
          amazonAsSystem: await put(client, 'commerce.inventory'),
          strangerCommerce: await put(stranger, 'commerce.orders'),
          strangerOther: await put(stranger, 'partner.crm'),
        }).toEqual({
          systemCommerce: 'accepted',
          systemMarketplace: 'AccessDeniedException',
          amazonItself: 'accepted',
          amazonAsEbay: 'AccessDeniedException',
          amazonAsSystem: 'AccessDeniedException',
          strangerCommerce: 'AccessDeniedException',
          strangerOther: 'accepted',
        });
      } finally {
        stranger.destroy();
      }
      expect(
        bus
          .events({})
          .map((r) => r.event.source)
          .sort(),
      ).toEqual(['commerce.orders', 'marketplace.amazon', 'partner.crm']);
    });
  });

  describe('rules', () => {
    it('records a domain event for the audit log without invoking any function', async () => {
      const intake = recorder<Event>();
      handlers.set('AcceptMarketplaceOrder', intake);

      await system.send(
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
      await bus.putEvents({
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
      await bus.putEvents({
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
        await small.putEvents({
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

      await bus.putEvents({ Entries: [marketplaceOrder] });
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

      const result = await bus.putEvents({ Entries: [marketplaceOrder] });
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

    it('runs at most the concurrency of a function at once and queues the rest, losing none', async () => {
      const queued = new LocalEventBus({
        rules: busRules,
        functions,
        handlers,
        region: LOCAL_REGION,
        concurrencyPerFunction: 3,
      });
      let running = 0;
      let most = 0;
      let done = 0;
      handlers.set('AcceptMarketplaceOrder', async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running -= 1;
        done += 1;
      });

      await queued.putEvents({ Entries: Array.from({ length: 10 }, () => marketplaceOrder) });
      await queued.putEvents({ Entries: Array.from({ length: 10 }, () => marketplaceOrder) });
      await queued.whenIdle();

      expect({ done, most }).toEqual({ done: 20, most: 3 });
      expect(queued.events().flatMap((r) => r.deliveries.map((d) => d.status))).not.toContain('failed');
      await queued.stop();
    });

    it('cancels pending retries when stopped', async () => {
      const slow = new LocalEventBus({
        rules: busRules,
        functions,
        handlers,
        region: LOCAL_REGION,
        retry: { baseDelayMs: 60_000 },
      });
      handlers.set('AcceptMarketplaceOrder', async () => {
        throw new Error('down');
      });
      await slow.putEvents({ Entries: [marketplaceOrder] });
      await waitFor(
        () => slow.events()[0]?.deliveries[0]?.status === 'retrying',
        'the first attempt to fail',
      );

      await slow.stop();

      expect(slow.events()[0]?.deliveries[0]?.status).toBe('failed');
    });
  });

  describe('retry counts of the CDK rules', () => {
    const fast = (handlersMap: Map<string, LocalHandler>) =>
      new LocalEventBus({
        rules: busRules,
        functions,
        handlers: handlersMap,
        region: LOCAL_REGION,
        retry: { baseDelayMs: 1, maxDelayMs: 1 },
        log: memoryLogger(),
      });

    it("retries a failing handler twice (Lambda's asynchronous retries, HANDLER_RETRY), then dead-letters", async () => {
      let calls = 0;
      const local = fast(
        new Map([
          [
            'AcceptMarketplaceOrder',
            async () => {
              calls += 1;
              throw new Error('always');
            },
          ],
        ]),
      );

      await local.putEvents({ Entries: [marketplaceOrder] });
      await local.whenIdle();

      expect(calls).toBe(3);
      expect(local.deadLetters.list()).toEqual([expect.objectContaining({ attempts: 3 })]);
    });

    it('retries a target that cannot be invoked 8 times (EventBridge DELIVERY_RETRY), then dead-letters', async () => {
      const local = fast(new Map());

      await local.putEvents({ Entries: [marketplaceOrder] });
      await local.whenIdle();

      expect(local.events()[0]?.deliveries[0]).toMatchObject({ status: 'failed', attempts: 9 });
      expect(local.deadLetters.list()).toEqual([
        expect.objectContaining({ attempts: 9, error: 'Error: AcceptMarketplaceOrder is not loaded' }),
      ]);
    });
  });

  describe('durable deliveries', () => {
    let dir: string;
    const buses: LocalEventBus[] = [];

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'bus-journal-'));
    });

    afterEach(async () => {
      await Promise.all(buses.splice(0).map((one) => one.stop()));
      rmSync(dir, { recursive: true, force: true });
    });

    const durableBus = (
      handlersMap: Map<string, LocalHandler>,
      journal: DeliveryJournal = new FileDeliveryJournal(dir),
    ) => {
      const one = new LocalEventBus({
        rules: busRules,
        functions,
        handlers: handlersMap,
        region: LOCAL_REGION,
        retry: { baseDelayMs: 5 },
        journal,
        log: memoryLogger(),
      });
      buses.push(one);
      return one;
    };

    it('has the delivery on disk when PutEvents answers, and delivers it after a crash mid-delivery', async () => {
      // The first run's handler never finishes: the process "dies" while it runs.
      let release!: () => void;
      const hanging = new Promise<void>((done) => {
        release = done;
      });
      const first = durableBus(new Map([['AcceptMarketplaceOrder', () => hanging]]));
      const result = await first.putEvents({
        Entries: [marketplaceOrder, { ...marketplaceOrder, Source: 'commerce.orders' }],
      });
      const eventId = (result.Entries[0] as { EventId: string }).EventId;

      // Only the delivery to a function is journaled, not the audit log's record.
      expect(readdirSync(dir)).toEqual([`${eventId}.MarketplaceOrderPlaced.json`]);

      const intake = recorder<Event>();
      const second = durableBus(new Map([['AcceptMarketplaceOrder', intake]]));
      expect(await second.resume()).toBe(1);
      await second.whenIdle();

      expect(intake.calls.map((call) => call.event.id)).toEqual([eventId]);
      expect(intake.calls[0]?.event.detail).toEqual(JSON.parse(marketplaceOrder.Detail));
      expect(second.events()).toEqual([
        expect.objectContaining({
          resumed: true,
          deliveries: [
            expect.objectContaining({ status: 'delivered', target: 'function:AcceptMarketplaceOrder' }),
          ],
        }),
      ]);
      expect(readdirSync(dir)).toEqual([]);
      release();
    });

    it('answers PutEvents only once the journal has the deliveries', async () => {
      let stored!: () => void;
      const appended: PendingDelivery[] = [];
      const journal: DeliveryJournal = {
        append: (deliveries) =>
          new Promise((done) => {
            appended.push(...deliveries);
            stored = done;
          }),
        settle: async () => {},
        pending: async () => [],
      };
      const intake = recorder<Event>();
      const one = durableBus(new Map([['AcceptMarketplaceOrder', intake]]), journal);

      let answered = false;
      const putting = one.putEvents({ Entries: [marketplaceOrder] }).then((answer) => {
        answered = true;
        return answer;
      });
      await new Promise((r) => setTimeout(r, 20));

      expect(appended).toHaveLength(1);
      expect(answered).toBe(false);
      expect(intake.calls).toHaveLength(0);
      stored();
      expect((await putting).FailedEntryCount).toBe(0);
      await one.whenIdle();
      expect(intake.calls).toHaveLength(1);
    });

    it('refuses the entries it cannot journal, and delivers none of them', async () => {
      const journal: DeliveryJournal = {
        append: async () => {
          throw new Error('disk full');
        },
        settle: async () => {},
        pending: async () => [],
      };
      const intake = recorder<Event>();
      const one = durableBus(new Map([['AcceptMarketplaceOrder', intake]]), journal);

      const result = await one.putEvents({
        Entries: [
          marketplaceOrder,
          { EventBusName: 'commerce', Source: 'commerce.orders', DetailType: 'X', Detail: '{}' },
        ],
      });
      await one.whenIdle();

      expect(result.FailedEntryCount).toBe(1);
      expect(result.Entries[0]).toEqual({
        ErrorCode: 'InternalFailure',
        ErrorMessage: expect.stringContaining('disk full'),
      });
      expect(result.Entries[1]).toEqual({ EventId: expect.any(String) });
      expect(intake.calls).toHaveLength(0);
    });

    it('keeps a delivery a stop interrupted between retries, and the next start delivers it', async () => {
      const first = new LocalEventBus({
        rules: busRules,
        functions,
        handlers: new Map([
          [
            'AcceptMarketplaceOrder',
            async () => {
              throw new Error('down');
            },
          ],
        ]),
        region: LOCAL_REGION,
        retry: { baseDelayMs: 60_000 },
        journal: new FileDeliveryJournal(dir),
      });
      await first.putEvents({ Entries: [marketplaceOrder] });
      await waitFor(
        () => first.events()[0]?.deliveries[0]?.status === 'retrying',
        'the first attempt to fail',
      );
      await first.stop();
      expect(first.events()[0]?.deliveries[0]?.lastError).toContain('kept for the next start');

      const intake = recorder<Event>();
      const second = durableBus(new Map([['AcceptMarketplaceOrder', intake]]));
      await second.resume();
      await second.whenIdle();

      expect(intake.calls).toHaveLength(1);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('sends a delivery an earlier run journaled for the intake function to the queue the rule targets now', async () => {
      let release!: () => void;
      const hanging = new Promise<void>((done) => {
        release = done;
      });
      const first = durableBus(new Map([['AcceptMarketplaceOrder', () => hanging]]));
      const result = await first.putEvents({ Entries: [marketplaceOrder] });
      const eventId = (result.Entries[0] as { EventId: string }).EventId;

      const sent: string[] = [];
      const second = new LocalEventBus({
        rules: definedBusRules,
        queues: new Map([['MarketplaceOrders', { send: async (body: string) => void sent.push(body) }]]),
        functions,
        handlers: new Map(),
        region: LOCAL_REGION,
        journal: new FileDeliveryJournal(dir),
        log: memoryLogger(),
      });
      buses.push(second);
      expect(await second.resume()).toBe(1);

      expect(sent.map((body) => (JSON.parse(body) as { id: string }).id)).toEqual([eventId]);
      expect(second.events()[0]?.deliveries).toEqual([
        expect.objectContaining({ target: 'queue:MarketplaceOrders', status: 'delivered' }),
      ]);
      expect(readdirSync(dir)).toEqual([]);
      release();
    });

    it('removes a delivery from the journal once it is dead-lettered', async () => {
      const one = durableBus(
        new Map([
          [
            'AcceptMarketplaceOrder',
            async () => {
              throw new Error('always');
            },
          ],
        ]),
      );

      await one.putEvents({ Entries: [marketplaceOrder] });
      await one.whenIdle();

      expect(one.deadLetters.size).toBe(1);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('sets aside a journal file it cannot read and drops one a crash left half-written', async () => {
      const journal = new FileDeliveryJournal(join(dir, 'journal'));
      await journal.append([
        {
          rule: 'MarketplaceOrderPlaced',
          functionName: 'AcceptMarketplaceOrder',
          event: { id: 'e1' } as PendingDelivery['event'],
          receivedAt: '2026-01-01T00:00:00Z',
        },
      ]);
      writeFileSync(join(dir, 'journal', 'e2.MarketplaceOrderPlaced.json'), '{"rule":');
      writeFileSync(join(dir, 'journal', 'e3.MarketplaceOrderPlaced.json.tmp'), '{}');

      const pending = await journal.pending();

      expect(pending.map((delivery) => delivery.event.id)).toEqual(['e1']);
      expect(readdirSync(join(dir, 'journal')).sort()).toEqual([
        'e1.MarketplaceOrderPlaced.json',
        'e2.MarketplaceOrderPlaced.json.corrupt',
      ]);
      expect(existsSync(join(dir, 'journal', 'e3.MarketplaceOrderPlaced.json.tmp'))).toBe(false);
    });
  });
});
