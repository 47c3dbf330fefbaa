import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { issueLocationKey } from '../../shared/inventory/use-cases/location-keys';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** POST /locations/{locationId}/keys (ops): another key for the location's own systems. */
export const handler = httpApi(inventoryRoutes.issueLocationKey, async ({ params }) => ({
  statusCode: 201,
  body: await issueLocationKey(ports, params.locationId),
}));
