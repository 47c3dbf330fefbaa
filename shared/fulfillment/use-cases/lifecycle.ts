import { ENDED_GROUP_STATUSES } from '../../orders';
import type { FulfilmentGroup } from '../domain/group';
import type { FulfilmentPorts } from './ports';

/** Starts an order's fulfilment: its one execution, named after it (a redelivered event finds it). */
export async function startFulfillment(ports: Pick<FulfilmentPorts, 'workflows'>, orderId: string) {
  return { orderId, execution: await ports.workflows.startOrder(orderId) };
}

/**
 * A cancelled order's fulfilment stops: its execution and its open groups' executions end, and the
 * groups leave the work lists (CANCELLED). The cancel itself released the units, in the order's
 * transaction; an order that fulfilment ended because nothing could be filled has nothing to stop.
 */
export async function stopFulfillment(
  ports: Pick<FulfilmentPorts, 'workflows' | 'groups' | 'transact' | 'now'>,
  orderId: string,
) {
  await ports.workflows.stop('order', orderId, 'the order was cancelled');
  const open = (await ports.groups.groups(orderId)).filter((g) => !ENDED_GROUP_STATUSES.includes(g.status));
  for (const group of open) {
    await ports.workflows.stop('group', group.groupId, 'the order was cancelled');
    await cancelGroup(ports, group);
  }
  return { orderId, stopped: open.map((g) => g.groupId) };
}

async function cancelGroup(
  ports: Pick<FulfilmentPorts, 'groups' | 'transact' | 'now'>,
  group: FulfilmentGroup,
) {
  for (let current: FulfilmentGroup | undefined = group; current; ) {
    if (ENDED_GROUP_STATUSES.includes(current.status)) return;
    const now = ports.now();
    const { waiting: _waiting, ...rest } = current;
    const result = await ports.transact([
      ports.groups.updateGroupOp(current, {
        ...rest,
        status: 'CANCELLED',
        reason: 'the order was cancelled',
        history: [...current.history, { status: 'CANCELLED', at: now }],
        updatedAt: now,
      }),
    ]);
    if (result.kind === 'committed') return;
    current = await ports.groups.group(group.orderId, group.groupId);
  }
}
