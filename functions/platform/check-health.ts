import { functions } from '../../shared/platform/definitions';
import { httpApi } from '../../shared/platform/http';

const route = functions.find((f) => f.name === 'CheckHealth')?.trigger;
if (route?.kind !== 'http') throw new Error('CheckHealth has no HTTP route in the definitions');

/** GET /health: liveness; no key needed, and it runs with no rights. */
export const handler = httpApi(route, async () => ({
  statusCode: 200,
  body: { status: 'ok' },
}));
