import { runtimePorts } from '../shared/adapters/runtime';
import { httpApi } from '../shared/http/api';
import { listChannelRules } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** GET /channel-rules (ops): every channel allocation rule. */
export const handler = httpApi({ access: 'ops' }, async () => ({
  statusCode: 200,
  body: await listChannelRules(ports),
}));
