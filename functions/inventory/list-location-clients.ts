import { inventoryRoutes } from '../../shared/inventory/definition';
import { listLocationClients } from '../../shared/inventory/use-cases/location-clients';
import { httpApi } from '../../shared/platform/http';
import { oauthClientDirectory } from '../../shared/platform/oauth-clients';

const directory = oauthClientDirectory();

/** GET /locations/{locationId}/clients (ops): the location's OAuth clients, never their secrets. */
export const handler = httpApi(inventoryRoutes.listLocationClients, async ({ params }) => ({
  statusCode: 200,
  body: await listLocationClients(directory, params.locationId),
}));
