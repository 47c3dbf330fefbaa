import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { setLocationStatus } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** PUT /locations/{locationId}/status (ops): close a location or its pickup, or open it again. */
export const handler = httpApi(inventoryRoutes.setLocationStatus, async ({ params, body }) => ({
  statusCode: 200,
  body: await setLocationStatus(ports, params.locationId, body),
}));
