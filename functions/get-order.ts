import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { httpApi } from '../shared/http/api';
import { getOrder } from '../shared/use-cases/orders';

const ports = runtimePorts();

/** GET /orders/{orderId}: a channel sees only its own orders; ops sees all. */
export const handler = httpApi(
  { access: 'any', params: z.object({ orderId: z.string().min(1).max(100) }) },
  async ({ principal, params }) => ({
    statusCode: 200,
    body: await getOrder(ports, principal, params.orderId),
  }),
);
