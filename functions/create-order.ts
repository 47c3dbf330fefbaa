import { runtimePorts } from '../shared/adapters/runtime';
import { validationFailed } from '../shared/domain/errors';
import { idempotencyKeySchema, orderInputSchema } from '../shared/domain/schemas';
import { httpApi, issuesToDetails } from '../shared/http/api';
import { createOrder } from '../shared/use-cases/orders';

const ports = runtimePorts();

/** POST /orders (channel): the one order intake; `Idempotency-Key` header required. */
export const handler = httpApi(
  { access: 'channel', body: orderInputSchema },
  async ({ channel, body, header }) => {
    const key = idempotencyKeySchema.safeParse(header('idempotency-key'));
    if (!key.success) {
      throw validationFailed(
        issuesToDetails(key.error, 'headers.Idempotency-Key'),
        'An Idempotency-Key header is required',
      );
    }
    const result = await createOrder(ports, {
      channel,
      scope: channel,
      idempotencyKey: key.data,
      idempotencyKeyPath: 'headers.Idempotency-Key',
      input: body,
    });
    return {
      statusCode: result.statusCode,
      body: result.body,
      headers: { 'idempotent-replayed': String(result.replayed) },
    };
  },
);
