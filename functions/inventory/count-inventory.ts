import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { setCount } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** PUT /inventory/{sku}/{locationId} (ops): absolute count from the system of record. */
export const handler = httpApi(inventoryRoutes.countInventory, async ({ params, body }) => ({
  statusCode: 200,
  body: await setCount(ports, params.sku, params.locationId, body),
}));
