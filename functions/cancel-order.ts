import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { httpApi } from '../shared/http/api';
import { cancelOrder } from '../shared/use-cases/orders';

const ports = runtimePorts();

/** POST /orders/{orderId}/cancel: releases what the order holds; cancelling twice is a no-op. */
export const handler = httpApi(
  { access: 'any', params: z.object({ orderId: z.string().min(1).max(100) }) },
  async ({ principal, params }) => ({
    statusCode: 200,
    body: await cancelOrder(ports, principal, params.orderId),
  }),
);
