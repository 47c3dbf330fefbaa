import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { deleteChannelRule } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** DELETE /channel-rules/{ruleId} (ops). */
export const handler = httpApi(inventoryRoutes.deleteChannelRule, async ({ params }) => {
  await deleteChannelRule(ports, params.ruleId);
  return { statusCode: 204 };
});
