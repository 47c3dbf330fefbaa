import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { httpApi } from '../shared/http/api';
import { releaseReservation } from '../shared/use-cases/reservations';

const ports = runtimePorts();

/** DELETE /reservations/{reservationId} (channel): release a hold; idempotent. */
export const handler = httpApi(
  { access: 'channel', params: z.object({ reservationId: z.string().min(1).max(100) }) },
  async ({ channel, params }) => ({
    statusCode: 200,
    body: await releaseReservation(ports, channel, params.reservationId, 'RELEASED'),
  }),
);
