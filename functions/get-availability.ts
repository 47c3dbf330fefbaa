import { runtimePorts } from '../shared/adapters/runtime';
import { availabilityQuerySchema } from '../shared/domain/schemas';
import { httpApi } from '../shared/http/api';
import { getAvailability } from '../shared/use-cases/inventory';

const ports = runtimePorts();

/**
 * GET /availability?skus=A,B[&locationId=L]: what the caller's channel may sell now. An ops key may
 * ask on behalf of a channel with `channel=`; without it, ops sees network ATP before channel rules.
 */
export const handler = httpApi(
  { access: 'any', query: availabilityQuerySchema },
  async ({ principal, query }) => ({
    statusCode: 200,
    body: await getAvailability(
      ports,
      principal === 'ops' && query.channel ? query.channel : principal,
      query.skus,
      query.locationId,
    ),
  }),
);
