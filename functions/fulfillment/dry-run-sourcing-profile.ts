import { runtimeFulfillmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { dryRun } from '../../shared/fulfillment/use-cases/profiles';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfillmentPorts();

/** POST /sourcing-profiles/{profileId}/versions/{version}/dry-run (ops): what it would change. */
export const handler = httpApi(fulfillmentRoutes.dryRunSourcingProfile, async ({ params }) => ({
  statusCode: 200,
  body: await dryRun(ports, params.profileId, params.version),
}));
