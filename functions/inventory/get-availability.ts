import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { getAvailability } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/**
 * GET /availability?skus=A,B[&near=lat,lon&limit=N][&locationId=L]: what the caller's channel may get
 * now, by fulfilment method (ship, pickup per store). An ops key may
 * ask on behalf of a channel with `channel=`; without it, ops sees network ATP before channel rules.
 */
export const handler = httpApi(inventoryRoutes.getAvailability, async ({ principal, query }) => ({
  statusCode: 200,
  body: await getAvailability(ports, principal === 'ops' && query.channel ? query.channel : principal, query),
}));
