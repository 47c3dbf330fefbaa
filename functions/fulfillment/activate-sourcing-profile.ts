import { runtimeFulfillmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { activateProfile } from '../../shared/fulfillment/use-cases/profiles';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfillmentPorts();

/** POST /sourcing-profiles/{profileId}/versions/{version}/activate (ops): route with it from now on. */
export const handler = httpApi(fulfillmentRoutes.activateSourcingProfile, async ({ params }) => ({
  statusCode: 200,
  body: await activateProfile(ports, params.profileId, params.version),
}));
