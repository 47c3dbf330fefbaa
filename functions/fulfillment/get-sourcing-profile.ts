import { runtimeFulfillmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { getProfile } from '../../shared/fulfillment/use-cases/profiles';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfillmentPorts();

/** GET /sourcing-profiles/{profileId} (ops): its versions and which one is active. */
export const handler = httpApi(fulfillmentRoutes.getSourcingProfile, async ({ params }) => ({
  statusCode: 200,
  body: await getProfile(ports, params.profileId),
}));
