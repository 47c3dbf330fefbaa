import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { locationIdSchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { deleteChannelRule } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** DELETE /channel-rules/{ruleId} (ops). */
export const handler = httpApi(
  { access: 'ops', params: z.object({ ruleId: locationIdSchema }) },
  async ({ params }) => {
    await deleteChannelRule(ports, params.ruleId);
    return { statusCode: 204 };
  },
);
