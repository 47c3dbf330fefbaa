import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { skuSchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { getInventory } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** GET /inventory/{sku} (ops): the SKU's position at every location. */
export const handler = httpApi(
  { access: 'ops', params: z.object({ sku: skuSchema }) },
  async ({ params }) => ({
    statusCode: 200,
    body: await getInventory(ports, params.sku),
  }),
);
