import { runtimeFulfilmentPorts } from '../../shared/fulfillment/adapters/runtime';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';
import { listWork } from '../../shared/fulfillment/use-cases/location-work';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeFulfilmentPorts();

/** GET /locations/{locationId}/work (the location's own client): the work waiting on it. */
export const handler = httpApi(fulfillmentRoutes.listLocationWork, async ({ principal, params }) => ({
  statusCode: 200,
  body: await listWork(ports, principal, params.locationId),
}));
