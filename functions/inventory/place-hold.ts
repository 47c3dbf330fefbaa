import { runtimeCatalogPorts } from '../../shared/catalog';
import { runtimeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import { inventoryRoutes } from '../../shared/inventory/definition';
import { placeHold } from '../../shared/inventory/use-cases/holds';
import { httpApi } from '../../shared/platform/http';

const ports = { ...runtimeInventoryPorts(), catalog: runtimeCatalogPorts().catalog };

/** POST /holds (channel): hold stock; an optional Idempotency-Key makes a retry return the first hold. */
export const handler = httpApi(inventoryRoutes.placeHold, async ({ channel, body, headers }) => {
  const result = await placeHold(ports, channel, body, headers['Idempotency-Key']);
  return {
    statusCode: result.statusCode,
    body: result.body,
    headers: { 'idempotent-replayed': String(result.replayed) },
  };
});
