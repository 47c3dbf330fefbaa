import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { getInventory } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** GET /inventory/{sku} (ops): the SKU's position at every location. */
export const handler = httpApi(inventoryRoutes.getInventory, async ({ params }) => ({
  statusCode: 200,
  body: await getInventory(ports, params.sku),
}));
