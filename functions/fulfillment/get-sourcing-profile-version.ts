import { runtimeFulfillmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { getProfileVersion } from '../../shared/fulfillment/use-cases/profiles';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfillmentPorts();

/** GET /sourcing-profiles/{profileId}/versions/{version} (ops): one version, as written. */
export const handler = httpApi(fulfillmentRoutes.getSourcingProfileVersion, async ({ params }) => ({
  statusCode: 200,
  body: await getProfileVersion(ports, params.profileId, params.version),
}));
