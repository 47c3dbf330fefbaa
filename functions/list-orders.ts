import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { httpApi } from '../shared/http/api';
import { listOrdersByChannelOrderId } from '../shared/use-cases/orders';

const ports = runtimePorts();

/** GET /orders?channelOrderId=…: a channel sees only its own orders; ops sees all. */
export const handler = httpApi(
  { access: 'any', query: z.object({ channelOrderId: z.string().trim().min(1).max(100) }) },
  async ({ principal, query }) => ({
    statusCode: 200,
    body: await listOrdersByChannelOrderId(ports, principal, query.channelOrderId),
  }),
);
