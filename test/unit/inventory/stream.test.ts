import { inventoryStream } from '../../../shared/inventory/adapters/event-source';
import { makeInventoryPorts } from '../../../shared/inventory/adapters/runtime';
import type { InventoryRepository } from '../../../shared/inventory/use-cases/ports';
import { documentClient } from '../../../shared/platform/clients';
import type { RecordChange } from '../../../shared/platform/events/envelope';

/**
 * The stream publisher's follow-up for the inventory table, against a repository that records what
 * it is asked: a channel rule change must not read the whole table there.
 */
function recordingRepository() {
  const calls: string[] = [];
  const repository = new Proxy({} as InventoryRepository, {
    get: (_target, name: string) => {
      if (name === 'tableName') return 'fake';
      return async () => {
        calls.push(name);
        if (name === 'listRules' || name === 'getPositions') return [];
        if (name === 'getAvailabilitySnapshot') return { channels: {}, version: 0 };
        return undefined;
      };
    },
  });
  return { repository, calls };
}

const ruleChange: RecordChange = {
  table: 'inventory',
  eventName: 'MODIFY',
  keys: { PK: 'RULE#half', SK: 'RULE' },
  newImage: { ruleId: 'half' },
};

describe('the inventory stream follow-up', () => {
  it('requests a re-evaluation of every SKU on a rule change, without listing them', async () => {
    const { repository, calls } = recordingRepository();
    const ports = { ...makeInventoryPorts(documentClient(), 'unused'), inventory: repository };

    await inventoryStream(ports).afterBatch?.([ruleChange], async () => {});

    expect(calls).toEqual(['requestRecompute']);
  });
});
