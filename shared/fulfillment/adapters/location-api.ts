import type { RouteSpec } from '../../platform/definition';
import { httpApi } from '../../platform/http';
import type { LocationAction } from '../domain/group';
import { answerWork } from '../use-cases/location-work';
import { runtimeFulfilmentPorts } from './runtime';

/**
 * The handler of one location answer route (accept, reject, ship, …): the location principal of the
 * verified token, the route's schemas, then `answerWork` with the action. One builder, so the six
 * routes cannot drift.
 */
export function answerLocationWork(spec: RouteSpec, action: LocationAction) {
  const ports = runtimeFulfilmentPorts(['group']);
  return httpApi(spec, async ({ principal, params, body }) => {
    const { locationId, groupId } = params as { locationId: string; groupId: string };
    return {
      statusCode: 200,
      body: await answerWork(ports, principal, {
        locationId,
        groupId,
        action,
        ...(body && typeof body === 'object' ? { details: body as Record<string, unknown> } : {}),
      }),
    };
  });
}
