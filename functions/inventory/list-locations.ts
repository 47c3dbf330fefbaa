import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { listLocations } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** GET /locations: every store and DC. */
export const handler = httpApi(inventoryRoutes.listLocations, async () => ({
  statusCode: 200,
  body: await listLocations(ports),
}));
