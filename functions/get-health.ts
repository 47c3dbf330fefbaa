import { httpApi } from '../shared/http/api';

/** GET /health: liveness; no key needed. */
export const handler = httpApi({ access: 'public' }, async () => ({
  statusCode: 200,
  body: { status: 'ok' },
}));
