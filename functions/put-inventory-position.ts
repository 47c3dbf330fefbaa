import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { locationIdSchema, positionInputSchema, skuSchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { setCount } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** PUT /inventory/{sku}/{locationId} (ops): absolute count from the system of record. */
export const handler = httpApi(
  {
    access: 'ops',
    params: z.object({ sku: skuSchema, locationId: locationIdSchema }),
    body: positionInputSchema,
  },
  async ({ params, body }) => ({
    statusCode: 200,
    body: await setCount(ports, params.sku, params.locationId, body),
  }),
);
