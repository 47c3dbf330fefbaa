import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from '../../local/dynamodb';
import { type ApiServer, createApiServer } from '../../local/http-server';
import type { InvocationTarget, LocalHandler } from '../../local/lambda';
import { batchItemFailures, LocalQueue, type LocalQueueOptions } from '../../local/queue';
import { closeConnections, memoryLogger, recorder, send, waitFor } from './support';

const FUNCTION = 'AcceptMarketplaceOrder';

describe('local SQS queue with a Lambda event source mapping', () => {
  let dir: string;
  let queues: LocalQueue[];
  let log: ReturnType<typeof memoryLogger>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-queue-'));
    queues = [];
    log = memoryLogger();
  });

  afterEach(async () => {
    await Promise.all(queues.map((queue) => queue.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A queue with a short visibility timeout, kept under the test's directory unless told otherwise. */
  function queue(options: Partial<LocalQueueOptions> = {}): LocalQueue {
    const created = new LocalQueue({
      name: 'marketplace-orders',
      directory: join(dir, options.name ?? 'marketplace-orders'),
      region: LOCAL_REGION,
      visibilityTimeoutMs: 20,
      log,
      ...options,
    });
    queues.push(created);
    return created;
  }

  function target(handler: LocalHandler, timeoutSeconds = 5): InvocationTarget {
    return { name: FUNCTION, handler, timeoutSeconds, region: LOCAL_REGION };
  }

  const records = (calls: { event: SQSEvent }[]): SQSRecord[] => calls.flatMap((call) => call.event.Records);
  const bodiesOf = (calls: { event: SQSEvent }[]) => records(calls).map((record) => record.body);
  const empty = (q: LocalQueue) => {
    const { visible, inFlight } = q.depth();
    return visible === 0 && inFlight === 0;
  };

  it('delivers a message in the SQS event shape and deletes it once the function succeeds', async () => {
    const orders = queue();
    const handler = recorder<SQSEvent>();
    const before = Date.now();
    const sent = await orders.send('test');
    expect(sent).toEqual({
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      md5OfBody: expect.any(String),
    });
    expect(orders.depth()).toEqual({ visible: 1, inFlight: 0 });

    orders.consume(target(handler));
    orders.start();
    await waitFor(() => handler.calls.length === 1, 'the function to be invoked');
    await waitFor(() => empty(orders), 'the message to be deleted');

    const record = handler.calls[0]!.event.Records[0]!;
    expect(handler.calls[0]!.event).toEqual({
      Records: [
        {
          messageId: sent.messageId,
          receiptHandle: expect.any(String),
          body: 'test',
          attributes: {
            ApproximateReceiveCount: '1',
            SentTimestamp: expect.stringMatching(/^\d+$/),
            SenderId: '000000000000',
            ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
          },
          messageAttributes: {},
          // The MD5 of "test", as in AWS's sample SQS event.
          md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:000000000000:marketplace-orders`,
          awsRegion: LOCAL_REGION,
        },
      ],
    });
    const sentAt = Number(record.attributes.SentTimestamp);
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(sentAt);
    expect(sent.md5OfBody).toBe(record.md5OfBody);
    expect(handler.calls[0]!.context.functionName).toBe(FUNCTION);
    // stop() waits for the delete to reach the disk.
    await orders.stop();
    expect(readdirSync(join(dir, 'marketplace-orders'))).toEqual([]);
  });

  it('carries message attributes as Lambda does, with the MD5 SQS computes over them', async () => {
    const orders = queue();
    const handler = recorder<SQSEvent>();
    await orders.send('with attributes', { SellerName: 'Example Store' });
    orders.consume(target(handler));
    orders.start();
    await waitFor(() => handler.calls.length === 1, 'the function to be invoked');

    const record = handler.calls[0]!.event.Records[0]!;
    expect(record.messageAttributes).toEqual({
      SellerName: {
        stringValue: 'Example Store',
        stringListValues: [],
        binaryListValues: [],
        dataType: 'String',
      },
    });
    expect(record.md5OfMessageAttributes).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
  });

  it('answers send only once the message is on disk', async () => {
    const orders = queue();
    const { messageId } = await orders.send('durable', { channel: 'amazon' });
    const file = join(dir, 'marketplace-orders', `${messageId}.json`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      messageId,
      body: 'durable',
      messageAttributes: { channel: 'amazon' },
      receiveCount: 0,
    });
    expect(readdirSync(join(dir, 'marketplace-orders'))).toEqual([`${messageId}.json`]);
  });

  it('refuses a message SQS would refuse', async () => {
    const orders = queue();
    await expect(orders.send('')).rejects.toThrow(/non-empty/);
    await expect(orders.send('x', { empty: '' })).rejects.toThrow(/non-empty/);
    expect(() => queue({ name: 'orders.fifo' })).toThrow(/Invalid queue name/);
  });

  it('keeps only the messages the function names in batchItemFailures', async () => {
    const orders = queue();
    let failedOnce = false;
    const handler = recorder<SQSEvent>((event): SQSBatchResponse => {
      const b = event.Records.find((record) => record.body === 'b');
      if (b && !failedOnce) {
        failedOnce = true;
        return { batchItemFailures: [{ itemIdentifier: b.messageId }] };
      }
      return { batchItemFailures: [] };
    });
    for (const body of ['a', 'b', 'c']) await orders.send(body);
    orders.consume(target(handler));
    orders.start();
    await waitFor(() => handler.calls.length === 2 && empty(orders), 'the failed message to be retried');

    expect(handler.calls[0]!.event.Records.map((record) => record.body)).toEqual(['a', 'b', 'c']);
    expect(handler.calls[1]!.event.Records.map((record) => record.body)).toEqual(['b']);
    expect(handler.calls[1]!.event.Records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(handler.calls[1]!.event.Records[0]!.receiptHandle).not.toBe(
      handler.calls[0]!.event.Records[1]!.receiptHandle,
    );
  });

  it('keeps the whole batch when the function throws', async () => {
    const orders = queue();
    let calls = 0;
    const handler = recorder<SQSEvent>(() => {
      calls += 1;
      if (calls === 1) throw new Error('database unavailable');
    });
    await orders.send('a');
    await orders.send('b');
    orders.consume(target(handler));
    orders.start();
    await waitFor(() => handler.calls.length === 2 && empty(orders), 'the batch to be retried');

    expect(bodiesOf(handler.calls)).toEqual(['a', 'b', 'a', 'b']);
    expect(
      handler.calls[1]!.event.Records.map((record) => record.attributes.ApproximateReceiveCount),
    ).toEqual(['2', '2']);
    expect(log.warnings.join('\n')).toMatch(
      /AcceptMarketplaceOrder failed on 2 message\(s\).*database unavailable/,
    );
  });

  it('keeps the whole batch when the function times out', async () => {
    const orders = queue();
    let calls = 0;
    const handler = recorder<SQSEvent>(async () => {
      calls += 1;
      if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await orders.send('slow');
    orders.consume(target(handler, 0.05));
    orders.start();
    await waitFor(() => handler.calls.length === 2 && empty(orders), 'the timed-out message to be retried');
    expect(handler.calls[1]!.event.Records[0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(log.warnings.join('\n')).toMatch(/timed out/);
  });

  it.each([
    ['a message id that is not in the batch', { itemIdentifier: 'not-in-the-batch' }],
    ['an empty itemIdentifier', { itemIdentifier: '' }],
    ['a null itemIdentifier', { itemIdentifier: null }],
    ['a misspelt key', { itemId: 'whatever' }],
  ])('fails the whole batch when batchItemFailures names %s', async (_, failure) => {
    const orders = queue();
    let calls = 0;
    const handler = recorder<SQSEvent>((event) => {
      calls += 1;
      // The first entry names a real message: only the bad one makes the whole batch fail.
      if (calls === 1)
        return { batchItemFailures: [{ itemIdentifier: event.Records[0]!.messageId }, failure] };
      return undefined;
    });
    await orders.send('a');
    await orders.send('b');
    orders.consume(target(handler));
    orders.start();
    await waitFor(() => handler.calls.length === 2 && empty(orders), 'the batch to be retried');
    expect(bodiesOf(handler.calls)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('reads batch responses by Lambda rules', () => {
    const ids = ['m1', 'm2'];
    expect(batchItemFailures(undefined, ids).failed.size).toBe(0);
    expect(batchItemFailures(null, ids).failed.size).toBe(0);
    expect(batchItemFailures({}, ids).failed.size).toBe(0);
    expect(batchItemFailures({ batchItemFailures: null }, ids).failed.size).toBe(0);
    expect(batchItemFailures({ batchItemFailures: [] }, ids).failed.size).toBe(0);
    expect([...batchItemFailures({ batchItemFailures: [{ itemIdentifier: 'm2' }] }, ids).failed]).toEqual([
      'm2',
    ]);
    expect([...batchItemFailures({ batchItemFailures: 'm2' }, ids).failed]).toEqual(ids);
    expect([...batchItemFailures({ batchItemFailures: [null] }, ids).failed]).toEqual(ids);
  });

  it('moves a message that failed maxReceiveCount times to the dead-letter queue, and redrive brings it back', async () => {
    const dlq = queue({ name: 'marketplace-orders-dlq' });
    const orders = queue({ deadLetterQueue: dlq, maxReceiveCount: 5 });
    let healthy = false;
    const successes: SQSRecord[] = [];
    const handler = recorder<SQSEvent>((event) => {
      if (!healthy && event.Records.some((record) => record.body !== 'probe')) {
        throw new Error('cannot accept the order');
      }
      successes.push(...event.Records);
    });
    const { messageId } = await orders.send('{"channelOrderId":"AMZ-1"}', { channel: 'amazon' });
    const sentTimestamp = orders.messages()[0]!.sentTimestamp;
    orders.consume(target(handler));
    orders.start();

    await waitFor(() => dlq.depth().visible === 1, 'the message to reach the dead-letter queue');
    await waitFor(() => empty(orders), 'the message to leave the source queue');
    expect(handler.calls).toHaveLength(5);
    expect(records(handler.calls).map((record) => record.attributes.ApproximateReceiveCount)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
    ]);
    const [dead, ...others] = dlq.messages();
    expect(others).toEqual([]);
    expect(dead).toMatchObject({
      messageId,
      body: '{"channelOrderId":"AMZ-1"}',
      messageAttributes: { channel: 'amazon' },
      sentTimestamp,
      receiveCount: 0,
      deadLetterQueueSourceArn: orders.arn,
    });
    expect(dead!.firstReceiveTimestamp).toBeUndefined();
    // On disk in the dead-letter queue (before it is listed there), then gone from the source's directory.
    expect(readdirSync(join(dir, 'marketplace-orders-dlq'))).toEqual([`${messageId}.json`]);
    await waitFor(
      () => readdirSync(join(dir, 'marketplace-orders')).length === 0,
      'the source to delete its copy from disk',
    );
    expect(log.errors.join('\n')).toMatch(/received 5 time\(s\).*marketplace-orders-dlq/);

    // Not delivered a sixth time: give the pollers several visibility timeouts to prove it.
    const pollsBefore = handler.calls.length;
    await orders.send('probe');
    await waitFor(
      () => bodiesOf(handler.calls).includes('probe') && empty(orders),
      'a later message to be polled and handled',
    );
    expect(bodiesOf(handler.calls).filter((body) => body !== 'probe')).toHaveLength(pollsBefore);

    healthy = true;
    await expect(dlq.redrive()).resolves.toEqual({ moved: 1 });
    expect(empty(dlq)).toBe(true);
    await waitFor(
      () => successes.some((record) => record.messageId === messageId) && empty(orders),
      'the redriven message to be handled',
    );
    await orders.stop();
    const redriven = successes.filter((record) => record.messageId === messageId);
    expect(redriven).toHaveLength(1);
    expect(redriven[0]).toMatchObject({
      body: '{"channelOrderId":"AMZ-1"}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(sentTimestamp) },
    });
    expect(readdirSync(join(dir, 'marketplace-orders-dlq'))).toEqual([]);
    expect(readdirSync(join(dir, 'marketplace-orders'))).toEqual([]);
  });

  it('does not redrive a queue that is no queue’s dead-letter queue', async () => {
    const orders = queue();
    await expect(orders.redrive()).rejects.toThrow(/not the dead-letter queue/);
  });

  it('delivers after a restart what an earlier run accepted', async () => {
    const first = queue();
    const { messageId } = await first.send('accepted before the crash');
    // A second queue on the same directory is the next run (the first one never consumed).
    const restarted = queue();
    expect(restarted.depth()).toEqual({ visible: 1, inFlight: 0 });
    const handler = recorder<SQSEvent>();
    restarted.consume(target(handler));
    restarted.start();
    await waitFor(() => handler.calls.length === 1 && empty(restarted), 'the message to be delivered');
    expect(handler.calls[0]!.event.Records[0]).toMatchObject({
      messageId,
      body: 'accepted before the crash',
      attributes: { ApproximateReceiveCount: '1' },
    });
    await restarted.stop();
    expect(readdirSync(join(dir, 'marketplace-orders'))).toEqual([]);
  });

  it('redelivers a message that was in flight at a crash, its receive counted', async () => {
    const crashed = queue();
    let release: (reason: Error) => void = () => {};
    const stuck = new Promise<never>((_, reject) => {
      release = reject;
    });
    const hanging = recorder<SQSEvent>(() => stuck);
    const { messageId } = await crashed.send('in flight');
    crashed.consume(target(hanging, 60));
    crashed.start();
    await waitFor(() => hanging.calls.length === 1, 'the first run to receive the message');
    const firstReceive = hanging.calls[0]!.event.Records[0]!.attributes.ApproximateFirstReceiveTimestamp;

    const restarted = queue();
    expect(restarted.depth()).toEqual({ visible: 1, inFlight: 0 });
    const handler = recorder<SQSEvent>();
    restarted.consume(target(handler));
    restarted.start();
    await waitFor(() => handler.calls.length === 1 && empty(restarted), 'the redelivery after the restart');
    expect(handler.calls[0]!.event.Records[0]).toMatchObject({
      messageId,
      body: 'in flight',
      attributes: { ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: firstReceive },
    });

    // Let the "crashed" run end without deleting anything, and stop it in the same tick.
    release(new Error('the process was killed'));
    await crashed.stop();
    await restarted.stop();
    expect(readdirSync(join(dir, 'marketplace-orders'))).toEqual([]);
  });

  it('drops a half-written file a crash left behind and sets aside one it cannot read', async () => {
    const queueDir = join(dir, 'marketplace-orders');
    const first = queue();
    await first.send('kept');
    // A write the crash interrupted, and a file that is not a message.
    writeFileSync(join(queueDir, 'half-written.json.123-1.tmp'), '{"messageId"');
    writeFileSync(join(queueDir, 'garbage.json'), 'not json');
    const restarted = queue();
    expect(restarted.messages().map((message) => message.body)).toEqual(['kept']);
    expect(existsSync(join(queueDir, 'half-written.json.123-1.tmp'))).toBe(false);
    expect(existsSync(join(queueDir, 'garbage.json.corrupt'))).toBe(true);
    expect(log.errors.join('\n')).toMatch(/garbage\.json.*corrupt/);
  });

  it('keeps dead letters across a restart and redrives them to the queue they came from', async () => {
    const failing = recorder<SQSEvent>(() => {
      throw new Error('refused');
    });
    const firstDlq = queue({ name: 'marketplace-orders-dlq' });
    const first = queue({ deadLetterQueue: firstDlq, maxReceiveCount: 1 });
    const { messageId } = await first.send('dead');
    first.consume(target(failing));
    first.start();
    await waitFor(() => firstDlq.depth().visible === 1, 'the move to the dead-letter queue');
    await first.stop();

    // The next run: the dead-letter queue first (as a stack builds it), then its source.
    const dlq = queue({ name: 'marketplace-orders-dlq' });
    const orders = queue({ deadLetterQueue: dlq, maxReceiveCount: 1 });
    expect(dlq.messages()).toEqual([
      expect.objectContaining({ messageId, body: 'dead', deadLetterQueueSourceArn: orders.arn }),
    ]);
    expect(empty(orders)).toBe(true);
    await expect(dlq.redrive()).resolves.toEqual({ moved: 1 });
    const handler = recorder<SQSEvent>();
    orders.consume(target(handler));
    orders.start();
    await waitFor(() => handler.calls.length === 1 && empty(orders), 'the redriven message to be handled');
    expect(handler.calls[0]!.event.Records[0]).toMatchObject({
      messageId,
      body: 'dead',
      attributes: { ApproximateReceiveCount: '1' },
    });
  });

  it('survives kill -9: what send accepted is delivered, and receives in flight stay counted', async () => {
    const queueDir = join(dir, 'marketplace-orders');
    // A process that sends three messages, then receives them into a function that never answers.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `
        const { LocalQueue } = require('./local/queue.ts');
        const queue = new LocalQueue({ name: 'marketplace-orders', directory: process.argv[1], region: 'us-east-1' });
        (async () => {
          for (const body of ['a', 'b', 'c']) console.log('SENT ' + (await queue.send(body)).messageId);
          queue.consume({
            name: 'AcceptMarketplaceOrder',
            region: 'us-east-1',
            timeoutSeconds: 60,
            handler: (event) => {
              for (const record of event.Records) console.log('INVOKED ' + record.messageId);
              return new Promise(() => {});
            },
          });
          queue.start();
        })();
        `,
        queueDir,
      ],
      { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    const sent = new Set<string>();
    const invoked = new Set<string>();
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const lines = output.split('\n');
      output = lines.pop() ?? '';
      for (const line of lines) {
        const [what, id] = line.split(' ');
        if (what === 'SENT') sent.add(id!);
        if (what === 'INVOKED') invoked.add(id!);
      }
    });
    try {
      await waitFor(
        () => sent.size === 3 && invoked.size === 3,
        'the child to send and receive three messages',
      );
    } finally {
      child.kill('SIGKILL');
      await exited;
    }

    const restarted = queue();
    expect(new Set(restarted.messages().map((message) => message.messageId))).toEqual(sent);
    expect(restarted.messages().map((message) => message.receiveCount)).toEqual([1, 1, 1]);
    const handler = recorder<SQSEvent>();
    restarted.consume(target(handler));
    restarted.start();
    await waitFor(() => records(handler.calls).length === 3 && empty(restarted), 'the redeliveries');
    expect(bodiesOf(handler.calls).sort()).toEqual(['a', 'b', 'c']);
    expect(records(handler.calls).map((record) => record.attributes.ApproximateReceiveCount)).toEqual([
      '2',
      '2',
      '2',
    ]);
  });

  it('drops messages older than the retention period', async () => {
    let now = 1_000_000;
    const orders = queue({ retentionMs: 60_000, now: () => now });
    await orders.send('old');
    now += 30_000;
    await orders.send('newer');
    expect(orders.oldestMessageAgeSeconds()).toBe(30);
    now += 30_000;
    expect(orders.messages().map((message) => message.body)).toEqual(['newer']);
    expect(orders.oldestMessageAgeSeconds()).toBe(30);
    await orders.stop();
    expect(readdirSync(join(dir, 'marketplace-orders'))).toHaveLength(1);
  });

  describe('over HTTP', () => {
    let api: ApiServer;

    afterEach(async () => {
      closeConnections();
      await api.close();
    });

    it('lists a queue and redrives its dead-letter queue', async () => {
      let now = 5_000_000;
      const dlq = queue({ name: 'marketplace-orders-dlq', now: () => now });
      const orders = queue({ deadLetterQueue: dlq, maxReceiveCount: 1, now: () => now });
      api = createApiServer({
        routes: [],
        handlers: new Map(),
        apiKeys: {},
        region: LOCAL_REGION,
        endpoints: [...orders.endpoints(), ...dlq.endpoints()],
      });
      const base = `http://127.0.0.1:${await api.listen(0)}`;

      const { messageId } = await orders.send('listed');
      now += 4_500;
      const listed = await send(`${base}/_local/queues/marketplace-orders`);
      expect(listed.status).toBe(200);
      expect(listed.json()).toEqual({
        name: 'marketplace-orders',
        arn: `arn:aws:sqs:${LOCAL_REGION}:000000000000:marketplace-orders`,
        visible: 1,
        inFlight: 0,
        oldestMessageAgeSeconds: 4,
        messages: [
          {
            messageId,
            body: 'listed',
            md5OfBody: expect.any(String),
            messageAttributes: {},
            sentTimestamp: 5_000_000,
            receiveCount: 0,
            visibleAt: 5_000_000,
          },
        ],
      });

      const notDeadLetter = await send(`${base}/_local/queues/marketplace-orders/redrive`, {
        method: 'POST',
      });
      expect(notDeadLetter.status).toBe(400);
      const unknown = await send(`${base}/_local/queues/marketplace-orders-dlq/redrive?destination=other`, {
        method: 'POST',
      });
      expect(unknown.status).toBe(400);

      // One failed receive with maxReceiveCount 1, then the next receive moves it.
      const handler = recorder<SQSEvent>(() => {
        throw new Error('refused');
      });
      orders.consume(target(handler), { pollIntervalMs: 10 });
      orders.start();
      await waitFor(() => handler.calls.length === 1, 'the first receive');
      now += 1_000;
      await waitFor(() => dlq.depth().visible === 1, 'the move to the dead-letter queue');
      await orders.stop();
      // The dead-letter queue's age counts from the move; its message keeps the original SentTimestamp.
      expect(dlq.oldestMessageAgeSeconds()).toBe(0);
      now += 2_000;
      expect(dlq.oldestMessageAgeSeconds()).toBe(2);
      expect(dlq.messages()[0]).toMatchObject({ sentTimestamp: 5_000_000, movedTimestamp: 5_005_500 });

      const deadLetters = (await send(`${base}/_local/queues/marketplace-orders-dlq`)).json() as {
        visible: number;
        messages: { messageId: string; deadLetterQueueSourceArn: string }[];
      };
      expect(deadLetters.visible).toBe(1);
      expect(deadLetters.messages).toEqual([
        expect.objectContaining({ messageId, deadLetterQueueSourceArn: orders.arn }),
      ]);

      const redriven = await send(`${base}/_local/queues/marketplace-orders-dlq/redrive`, { method: 'POST' });
      expect(redriven.status).toBe(200);
      expect(redriven.json()).toEqual({ moved: 1 });
      expect(orders.messages()).toEqual([expect.objectContaining({ messageId, receiveCount: 0 })]);
      expect(dlq.depth()).toEqual({ visible: 0, inFlight: 0 });
    });
  });
});
