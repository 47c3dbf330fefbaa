import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { listChannelRules } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** GET /channel-rules (ops): every channel allocation rule. */
export const handler = httpApi(inventoryRoutes.listChannelRules, async () => ({
  statusCode: 200,
  body: await listChannelRules(ports),
}));
