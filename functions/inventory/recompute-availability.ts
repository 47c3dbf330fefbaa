import type { ScheduledEvent } from 'aws-lambda';
import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { recomputeAvailability } from '../../shared/inventory/use-cases/recompute-availability';
import { eventBridgeClient } from '../../shared/platform/clients';
import { PLATFORM_ENV, requireEnv } from '../../shared/platform/config';
import { EventPublisher } from '../../shared/platform/events/publisher';
import { logger } from '../../shared/platform/logger';

const ports = runtimeInventoryPorts();
const publisher = new EventPublisher(eventBridgeClient(), requireEnv(PLATFORM_ENV.eventBusName));

/** Scheduled: advances a requested re-evaluation of every SKU's availability (after a rule change). */
export const handler = async (_event: ScheduledEvent, context?: { getRemainingTimeInMillis?(): number }) => {
  // Leave a margin for the last page and its checkpoint before the function's timeout.
  const remaining = context?.getRemainingTimeInMillis?.() ?? 30_000;
  const result = await recomputeAvailability(
    { inventory: ports.inventory, publish: (events) => publisher.publish(events), now: ports.now },
    { budgetMs: Math.max(1_000, remaining - 15_000) },
  );
  if (result.pages > 0) logger.info('Recomputed availability', result);
  return result;
};
