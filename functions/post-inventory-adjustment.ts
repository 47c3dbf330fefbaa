import { runtimePorts } from '../shared/adapters/runtime';
import { adjustmentInputSchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { adjustInventory } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** POST /inventory/adjustments (ops): a relative movement, applied once per sourceEventId. */
export const handler = httpApi({ access: 'ops', body: adjustmentInputSchema }, async ({ body }) => {
  const result = await adjustInventory(ports, body);
  return {
    statusCode: result.statusCode,
    body: result.body,
    headers: { 'idempotent-replayed': String(result.replayed) },
  };
});
