import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { putLocation } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** PUT /locations/{locationId} (ops): create or replace a store or DC. */
export const handler = httpApi(inventoryRoutes.putLocation, async ({ params, body }) => ({
  statusCode: 200,
  body: await putLocation(ports, params.locationId, body),
}));
