import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../shared/adapters/logger';
import { runtimePorts } from '../shared/adapters/runtime';
import { sweepExpiredReservations } from '../shared/use-cases/reservations';

const ports = runtimePorts();

/** Scheduled: releases every hold whose time is up (TTL only cleans up finished holds later). */
export const handler = async (_event: ScheduledEvent): Promise<{ released: number }> => {
  const released = await sweepExpiredReservations(ports);
  if (released > 0) logger.info('Released expired holds', { released });
  return { released };
};
