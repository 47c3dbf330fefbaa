import { ENDED_GROUP_STATUSES } from '../../orders';
import type { FulfilmentGroup } from '../domain/group';
import { untilCommitted } from './fulfilment-state';
import type { FulfilmentPorts } from './ports';

/** Starts an order's fulfilment: its one execution, named after it (a redelivered event finds it). */
export async function startFulfillment(ports: Pick<FulfilmentPorts, 'workflows'>, orderId: string) {
  return { orderId, execution: await ports.workflows.startOrder(orderId) };
}

/**
 * A cancelled order's fulfilment stops: its execution and its open groups' executions end, and the
 * groups leave the work lists (CANCELLED). The cancel itself released what the order's lines held,
 * in the order's transaction; a ship-to-store transfer waiting at its pickup store is put back on
 * hand there, since its units left their source. An order that fulfilment ended because nothing
 * could be filled has nothing to stop.
 */
export async function stopFulfillment(ports: FulfilmentPorts, orderId: string) {
  await ports.workflows.stop('order', orderId, 'the order was cancelled');
  const open = (await ports.groups.groups(orderId)).filter((g) => !ENDED_GROUP_STATUSES.includes(g.status));
  for (const group of open) {
    await ports.workflows.stop('group', group.groupId, 'the order was cancelled');
    await cancelGroup(ports, orderId, group.groupId);
  }
  return { orderId, stopped: open.map((g) => g.groupId) };
}

async function cancelGroup(ports: FulfilmentPorts, orderId: string, groupId: string) {
  await untilCommitted<undefined>(ports, `Group ${groupId}`, async () => {
    const group = await ports.groups.group(orderId, groupId);
    if (!group || ENDED_GROUP_STATUSES.includes(group.status)) return { done: undefined };
    const now = ports.now();
    const { waiting: _waiting, ...rest } = group;
    const cancelled: FulfilmentGroup = {
      ...rest,
      status: 'CANCELLED',
      reason: 'the order was cancelled',
      history: [...group.history, { status: 'CANCELLED', at: now }],
      updatedAt: now,
    };
    const transferAtStore = group.transferTo !== undefined && group.status === 'READY_FOR_PICKUP';
    return {
      items: [
        ports.groups.updateGroupOp(group, cancelled),
        ...(transferAtStore && group.transferTo
          ? ports.stock.restockOps(
              orderId,
              group.groupId,
              group.transferTo,
              group.lines,
              `transfer ${group.groupId}: order cancelled`,
              now,
            )
          : []),
      ],
      result: undefined,
    };
  });
}
