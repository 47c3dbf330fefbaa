import { runtimePorts } from '../shared/adapters/runtime';
import { httpApi } from '../shared/http/api';
import { listLocations } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/** GET /locations: every store and DC. */
export const handler = httpApi({ access: 'any' }, async () => ({
  statusCode: 200,
  body: await listLocations(ports),
}));
