import { z } from 'zod';
import { runtimePorts } from '../shared/adapters/runtime';
import { channelRuleInputSchema, locationIdSchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { putChannelRule } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** PUT /channel-rules/{ruleId} (ops): create or replace a named channel allocation rule. */
export const handler = httpApi(
  { access: 'ops', params: z.object({ ruleId: locationIdSchema }), body: channelRuleInputSchema },
  async ({ params, body }) => ({ statusCode: 200, body: await putChannelRule(ports, params.ruleId, body) }),
);
