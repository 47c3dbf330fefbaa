import { runtimePorts } from '../shared/adapters/runtime';
import { validationFailed } from '../shared/domain/errors';
import { idempotencyKeySchema, reservationInputSchema } from '../shared/domain/schemas';
import { httpApi, issuesToDetails } from '../shared/http/api';
import { createReservation } from '../shared/use-cases/reservations';

const ports = runtimePorts();

/** POST /reservations (channel): hold stock; optional Idempotency-Key. */
export const handler = httpApi(
  { access: 'channel', body: reservationInputSchema },
  async ({ channel, body, header }) => {
    const raw = header('idempotency-key');
    let key: string | undefined;
    if (raw !== undefined) {
      const parsed = idempotencyKeySchema.safeParse(raw);
      if (!parsed.success) throw validationFailed(issuesToDetails(parsed.error, 'headers.Idempotency-Key'));
      key = parsed.data;
    }
    const result = await createReservation(ports, channel, body, key);
    return {
      statusCode: result.statusCode,
      body: result.body,
      headers: { 'idempotent-replayed': String(result.replayed) },
    };
  },
);
