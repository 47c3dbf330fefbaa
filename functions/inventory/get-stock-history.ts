import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { getStockHistory } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** GET /inventory/{sku}/{locationId}/history (ops): counts and movements, applied or ignored. */
export const handler = httpApi(inventoryRoutes.getStockHistory, async ({ params, query }) => ({
  statusCode: 200,
  body: await getStockHistory(ports, params.sku, params.locationId, query.limit),
}));
