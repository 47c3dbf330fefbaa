import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { locationIdSchema, locationInputSchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { putLocation } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** PUT /locations/{locationId} (ops): create or replace a store or DC. */
export const handler = httpApi(
  { access: 'ops', params: z.object({ locationId: locationIdSchema }), body: locationInputSchema },
  async ({ params, body }) => ({ statusCode: 200, body: await putLocation(ports, params.locationId, body) }),
);
