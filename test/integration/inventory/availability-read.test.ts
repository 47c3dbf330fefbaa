import type { InventoryStore } from '../../../shared/inventory/adapters/inventory-store';
import { publishAvailabilityChanges } from '../../../shared/inventory/use-cases/publish-availability';
import {
  getAvailability,
  putChannelRule,
  setLocationStatus,
} from '../../../shared/inventory/use-cases/stock';
import { placeOrder } from '../../../shared/orders/use-cases/orders';
import { type Ports, portsWithNetwork, shipOrder, stock } from '../../support/network';

/**
 * An availability answer for 1 to 100 SKUs is one DynamoDB request: a BatchGetItem of the snapshot
 * items the stream keeps, with a fallback to the positions when a SKU has none yet.
 */
describe('availability read model', () => {
  let ports: Ports;
  let commands: string[];
  const skus = Array.from({ length: 50 }, (_, i) => `SKU-${String(i).padStart(2, '0')}`);
  const settle = (...list: string[]) =>
    publishAvailabilityChanges({ inventory: ports.inventory, publish: async () => {}, now: ports.now }, list);
  const ask = async (list: string[]) => {
    await getAvailability(ports, 'web', { skus: list }); // warms this environment's locations and rules
    commands = [];
    return getAvailability(ports, 'web', { skus: list });
  };

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    for (const sku of skus) await stock(ports, sku, 'DC1', 5);
    await stock(ports, 'SKU-00', 'S1', 3);
    commands = [];
    (ports.inventory as InventoryStore).doc.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countCommands' },
    );
  });

  it.each([1, 3, 50])(
    'answers %i SKUs with one BatchGetItem once the stream has recorded them',
    async (n) => {
      await settle(...skus);

      const answer = await ask(skus.slice(0, n));

      expect(commands).toEqual(['BatchGetItemCommand']);
      expect(answer.items).toHaveLength(n);
      expect(answer.items[0]).toMatchObject({
        sku: 'SKU-00',
        ship: 8,
        pickup: [{ locationId: 'S1', available: 3 }],
      });
    },
  );

  it('reads the positions of a SKU that has no snapshot yet, and gives the same figures', async () => {
    const before = await ask(['SKU-00']);
    expect(commands).toContain('QueryCommand');

    await settle('SKU-00');
    const after = await ask(['SKU-00']);

    expect(after.items).toEqual(before.items);
    expect(commands).toEqual(['BatchGetItemCommand']);
  });

  it('is current again as soon as the stream has carried an order', async () => {
    await settle('SKU-01');
    await placeOrder(ports, {
      channel: 'web',
      scope: 'web',
      idempotencyKey: 'k',
      idempotencyKeyPath: 'h',
      input: shipOrder([{ sku: 'SKU-01', quantity: 2 }]),
    });

    const lagging = (await ask(['SKU-01'])).items[0];
    await settle('SKU-01');
    const caughtUp = (await ask(['SKU-01'])).items[0];

    expect(lagging?.ship).toBe(5);
    expect(caughtUp?.ship).toBe(3);
  });

  it('applies a store closing and a new rule at once, from the same snapshot', async () => {
    await settle('SKU-00');
    await setLocationStatus(ports, 'S1', { state: 'disabled', reason: 'flood' });
    await putChannelRule(ports, 'web-half', {
      type: 'maxShareOfAtp',
      name: 'half',
      channel: 'web',
      percent: 50,
    });

    const answer = (await ask(['SKU-00'])).items[0];

    expect(answer).toMatchObject({ ship: 2, pickup: [], limitedBy: [{ ruleId: 'web-half' }] });
    expect(commands).toEqual(['BatchGetItemCommand']);
  });
});
