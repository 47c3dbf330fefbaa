import { inventoryStream } from '../../../shared/inventory/adapters/event-source';
import { publishAvailabilityChanges } from '../../../shared/inventory/use-cases/publish-availability';
import { recomputeAvailability } from '../../../shared/inventory/use-cases/recompute-availability';
import { putChannelRule } from '../../../shared/inventory/use-cases/stock';
import type { DomainEvent } from '../../../shared/platform/events/envelope';
import { publishChanges } from '../../../shared/platform/events/stream';
import { type Ports, portsWithNetwork, stock } from '../../support/network';

describe('publishAvailabilityChanges', () => {
  let ports: Ports;
  let published: DomainEvent[];
  const publishPorts = () => ({
    inventory: ports.inventory,
    now: ports.now,
    publish: async (events: DomainEvent[]) => {
      published.push(...events);
    },
  });
  const changes = () =>
    published
      .filter((e) => e.detailType === 'AvailabilityChanged')
      .map((e) => e.detail.data as { channel: string; available: number; previous: number | null });

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    published = [];
    await stock(ports, 'TEE', 'DC1', 10);
  });

  it('emits one AvailabilityChanged per channel when the number moves, and none when it does not', async () => {
    await publishAvailabilityChanges(publishPorts(), ['TEE']);
    const first = changes();
    published = [];
    await publishAvailabilityChanges(publishPorts(), ['TEE']);

    expect(first).toHaveLength(5);
    expect(first.every((c) => c.available === 10 && c.previous === null)).toBe(true);
    expect(changes()).toEqual([]);
  });

  it('emits only for the channels a rule change moved', async () => {
    await publishAvailabilityChanges(publishPorts(), ['TEE']);
    published = [];
    await putChannelRule(ports, 'half', {
      type: 'maxShareOfAtp',
      name: 'Half for marketplaces',
      channel: 'marketplace',
      percent: 50,
    });

    const result = await publishChanges([inventoryStream(ports)], publishPorts().publish, [
      {
        sequenceNumber: '1',
        change: {
          table: 'inventory',
          eventName: 'INSERT',
          keys: { PK: 'RULE#half', SK: 'RULE' },
          newImage: { ruleId: 'half' },
        },
      },
    ]);

    expect(result).toEqual({});
    // The stream publisher only asks for the pass; the scheduled recomputation runs it.
    expect(changes()).toEqual([]);
    expect(await ports.inventory.getRecomputeJob()).toMatchObject({ requested: 1, done: 0 });
    await recomputeAvailability(publishPorts(), { budgetMs: 10_000 });
    expect(changes()).toEqual([
      { sku: 'TEE', channel: 'marketplace', available: 5, previous: 10, snapshotVersion: 2 },
    ]);
  });

  it('announces the moves of a failed publication on the next pass, under the same ids', async () => {
    const failing = { ...publishPorts(), publish: async () => Promise.reject(new Error('bus down')) };

    await expect(publishAvailabilityChanges(failing, ['TEE'])).rejects.toThrow('bus down');
    await publishAvailabilityChanges(publishPorts(), ['TEE']);
    await publishAvailabilityChanges(publishPorts(), ['TEE']);

    expect(changes()).toHaveLength(5);
    expect(await ports.inventory.getAvailabilitySnapshot('TEE')).toMatchObject({ version: 1 });
    expect((await ports.inventory.getAvailabilitySnapshot('TEE')).pending).toBeUndefined();
  });

  it('repeats a publication that crashed before it was settled with the same event ids', async () => {
    const crashing = {
      ...publishPorts(),
      inventory: Object.assign(Object.create(ports.inventory), {
        settleAvailabilitySnapshot: () => Promise.reject(new Error('crash after publishing')),
      }),
    };

    await expect(publishAvailabilityChanges(crashing, ['TEE'])).rejects.toThrow('crash after publishing');
    const firstIds = published.map((e) => e.detail.id);
    published = [];
    await publishAvailabilityChanges(publishPorts(), ['TEE']);

    expect(published.map((e) => e.detail.id)).toEqual(firstIds);
    expect(new Set(firstIds).size).toBe(5);
  });

  it('never announces two figures for one version when two publishers race', async () => {
    await publishAvailabilityChanges(publishPorts(), ['TEE']);
    published = [];
    await stock(ports, 'TEE', 'DC1', 4);
    // A slow publisher read the positions before the count (7 available, say) and decides late.
    let release: () => void = () => {};
    const fresherOneDone = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstRead = true;
    let staleRead: () => void = () => {};
    const slowHasRead = new Promise<void>((resolve) => {
      staleRead = resolve;
    });
    const slow = Object.assign(Object.create(ports.inventory), {
      getPositions: async (sku: string) => {
        const real = await ports.inventory.getPositions(sku);
        if (!firstRead) return real;
        firstRead = false;
        staleRead();
        return real.map((p) => ({ ...p, available: 7 }));
      },
      swapAvailabilitySnapshot: async (
        ...args: Parameters<typeof ports.inventory.swapAvailabilitySnapshot>
      ) => {
        await fresherOneDone;
        return ports.inventory.swapAvailabilitySnapshot(...args);
      },
    });

    const slowOne = publishAvailabilityChanges({ ...publishPorts(), inventory: slow }, ['TEE']);
    await slowHasRead;
    await publishAvailabilityChanges(publishPorts(), ['TEE']);
    release();
    await slowOne;

    const figures = new Map<string, Set<number>>();
    for (const event of published) {
      const data = event.detail.data as { channel: string; available: number; snapshotVersion: number };
      const key = `${data.channel}@${data.snapshotVersion}`;
      figures.set(key, (figures.get(key) ?? new Set()).add(data.available));
    }
    expect([...figures.values()].every((f) => f.size === 1)).toBe(true);
    expect(changes().map((c) => c.available)).toEqual([4, 4, 4, 4, 4]);
    expect((await ports.inventory.getAvailabilitySnapshot('TEE')).channels.web).toBe(4);
  });
});

describe('recomputeAvailability', () => {
  let ports: Ports;
  let published: DomainEvent[];
  const publishPorts = () => ({
    inventory: ports.inventory,
    now: ports.now,
    publish: async (events: DomainEvent[]) => {
      published.push(...events);
    },
  });
  const skus = Array.from({ length: 30 }, (_, i) => `SKU-${String(i).padStart(2, '0')}`);
  const snapshotted = async () => {
    const snapshots = await Promise.all(skus.map((sku) => ports.inventory.getAvailabilitySnapshot(sku)));
    return snapshots.filter((s) => s.channels.marketplace === 5).length;
  };

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    published = [];
    for (const sku of skus) await stock(ports, sku, 'DC1', 10);
    await putChannelRule(ports, 'half', {
      type: 'maxShareOfAtp',
      name: 'Half for marketplaces',
      channel: 'marketplace',
      percent: 50,
    });
    await ports.inventory.requestRecompute('channel rule changed', ports.now());
  });

  it('re-evaluates every SKU, page by page, and then has nothing left to do', async () => {
    const first = await recomputeAvailability(publishPorts(), { budgetMs: 30_000, pageItems: 7 });
    const again = await recomputeAvailability(publishPorts(), { budgetMs: 30_000, pageItems: 7 });

    expect(first.finished).toBe(true);
    expect(first.pages).toBeGreaterThan(3);
    expect(await snapshotted()).toBe(30);
    expect(again).toEqual({ skus: 0, pages: 0, finished: true });
  });

  it('resumes from its cursor after a crash instead of starting over', async () => {
    let publishes = 0; // one publish per SKU that moved
    const crashing = {
      ...publishPorts(),
      publish: async (events: DomainEvent[]) => {
        if (++publishes > 12) throw new Error('killed');
        published.push(...events);
      },
    };
    await expect(recomputeAvailability(crashing, { budgetMs: 30_000, pageItems: 7 })).rejects.toThrow(
      'killed',
    );
    const done = await snapshotted();
    const job = await ports.inventory.getRecomputeJob();

    const resumed = await recomputeAvailability(publishPorts(), { budgetMs: 30_000, pageItems: 7 });

    expect(done).toBeGreaterThan(0);
    expect(job.cursor).toBeDefined();
    expect(resumed.finished).toBe(true);
    expect(resumed.skus).toBeLessThan(30);
    expect(await snapshotted()).toBe(30);
  });

  it('starts over when the rules change again during a pass', async () => {
    await recomputeAvailability(publishPorts(), { budgetMs: 0, pageItems: 7 });
    const partway = await recomputeAvailability(publishPorts(), { budgetMs: 1, pageItems: 7 });
    await ports.inventory.requestRecompute('channel rule changed', ports.now());

    expect(partway.finished).toBe(false);
    expect((await ports.inventory.getRecomputeJob()).cursor).toBeUndefined();
    expect((await recomputeAvailability(publishPorts(), { budgetMs: 30_000, pageItems: 7 })).skus).toBe(30);
  });
});
