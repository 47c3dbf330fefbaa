import { runtimeCustomerQueryPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { type CustomerLookup, findCustomers } from '../../shared/customers/use-cases/queries';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerQueryPorts();

/** GET /customers?email=|phone=|loyaltyId= (exactly one): the call centre's and the till's lookup. */
export const handler = httpApi(customerRoutes.findCustomers, async ({ principal, query }) => {
  // The schema let exactly one through.
  const lookup: CustomerLookup =
    query.email !== undefined
      ? { email: query.email }
      : query.phone !== undefined
        ? { phone: query.phone }
        : { loyaltyId: query.loyaltyId ?? '' };
  return { statusCode: 200, body: await findCustomers(ports, principal, lookup) };
});
