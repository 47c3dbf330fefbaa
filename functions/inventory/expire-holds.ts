import type { ScheduledEvent } from 'aws-lambda';
import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { expireHolds } from '../../shared/inventory/use-cases/holds';
import { logger } from '../../shared/platform/logger';
import { BUSINESS_METRICS, countMetric } from '../../shared/platform/metrics';

const ports = runtimeInventoryPorts();

/** Scheduled: releases every hold whose time is up (TTL only cleans up finished holds later). */
export const handler = async (_event: ScheduledEvent): Promise<{ released: number }> => {
  const released = await expireHolds(ports);
  if (released > 0) logger.info('Released expired holds', { released });
  countMetric(BUSINESS_METRICS.holdsExpired, released);
  return { released };
};
