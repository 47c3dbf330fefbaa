import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { issueLocationClient } from '../../shared/inventory/use-cases/location-clients';
import { optionalEnv, PLATFORM_ENV } from '../../shared/platform/config';
import { httpApi } from '../../shared/platform/http';
import { oauthClientDirectory } from '../../shared/platform/oauth-clients';

const ports = runtimeInventoryPorts();
const directory = oauthClientDirectory();
const tokenUrl = optionalEnv(PLATFORM_ENV.authTokenUrl);

/** POST /locations/{locationId}/clients (ops): OAuth client credentials for the location's own systems. */
export const handler = httpApi(inventoryRoutes.issueLocationClient, async ({ params }) => ({
  statusCode: 201,
  headers: { 'cache-control': 'no-store' },
  body: await issueLocationClient(ports, directory, params.locationId, tokenUrl),
}));
