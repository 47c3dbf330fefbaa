import { inventoryStream } from '../../../shared/inventory/stream';
import { publishAvailabilityChanges } from '../../../shared/inventory/use-cases/publish-availability';
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
    expect(changes()).toEqual([{ sku: 'TEE', channel: 'marketplace', available: 5, previous: 10 }]);
  });

  it('does not record a figure as published when publishing fails', async () => {
    const failing = { ...publishPorts(), publish: async () => Promise.reject(new Error('bus down')) };

    await expect(publishAvailabilityChanges(failing, ['TEE'])).rejects.toThrow('bus down');
    await publishAvailabilityChanges(publishPorts(), ['TEE']);

    expect(changes()).toHaveLength(5);
  });

  it('repeats a publication that was not recorded with the same event ids', async () => {
    const unrecorded = {
      ...publishPorts(),
      inventory: Object.assign(Object.create(ports.inventory), {
        swapAvailabilitySnapshot: () => Promise.reject(new Error('crash before recording')),
      }),
    };

    await expect(publishAvailabilityChanges(unrecorded, ['TEE'])).rejects.toThrow('crash before recording');
    const firstIds = published.map((e) => e.detail.id);
    published = [];
    await publishAvailabilityChanges(publishPorts(), ['TEE']);

    expect(published.map((e) => e.detail.id)).toEqual(firstIds);
    expect(new Set(firstIds).size).toBe(5);
  });
});
