import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { putChannelRule } from '../../shared/inventory/use-cases/stock';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** PUT /channel-rules/{ruleId} (ops): create or replace a named channel allocation rule. */
export const handler = httpApi(inventoryRoutes.putChannelRule, async ({ params, body }) => ({
  statusCode: 200,
  body: await putChannelRule(ports, params.ruleId, body),
}));
