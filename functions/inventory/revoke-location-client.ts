import { inventoryRoutes } from '../../shared/inventory/definition';
import { revokeLocationClient } from '../../shared/inventory/use-cases/location-clients';
import { httpApi } from '../../shared/platform/http';
import { oauthClientDirectory } from '../../shared/platform/oauth-clients';

const directory = oauthClientDirectory();

/** DELETE /locations/{locationId}/clients/{clientId} (ops): the client's secret and tokens stop working. */
export const handler = httpApi(inventoryRoutes.revokeLocationClient, async ({ params }) => ({
  statusCode: 200,
  body: await revokeLocationClient(directory, params.locationId, params.clientId),
}));
