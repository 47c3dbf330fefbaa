import { runtimeFulfillmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { putProfile } from '../../shared/fulfillment/use-cases/profiles';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfillmentPorts();

/** PUT /sourcing-profiles/{profileId} (ops): the next version, as a draft, once validated. */
export const handler = httpApi(fulfillmentRoutes.putSourcingProfile, async ({ params, body }) =>
  putProfile(ports, params.profileId, body),
);
