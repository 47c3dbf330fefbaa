import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { releaseHold } from '../../shared/inventory/use-cases/holds';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeInventoryPorts();

/** DELETE /holds/{holdId} (channel): release a hold; releasing an ended hold returns it as it is. */
export const handler = httpApi(inventoryRoutes.releaseHold, async ({ channel, params }) => ({
  statusCode: 200,
  body: await releaseHold(ports, channel, params.holdId, 'RELEASED'),
}));
