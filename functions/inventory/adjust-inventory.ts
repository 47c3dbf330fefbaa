import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { adjustInventory } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** POST /inventory/adjustments (ops): a relative movement, applied once per sourceEventId. */
export const handler = httpApi(inventoryRoutes.adjustInventory, async ({ body }) => {
  const result = await adjustInventory(ports, body);
  return {
    statusCode: result.statusCode,
    body: result.body,
    headers: { 'idempotent-replayed': String(result.replayed) },
  };
});
