import { runtimeCustomerQueryPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { getCustomer } from '../../shared/customers/use-cases/queries';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerQueryPorts();

/** GET /customers/{customerId}: operations, stores and the call centre; other channels are refused. */
export const handler = httpApi(customerRoutes.getCustomer, async ({ principal, params }) => ({
  statusCode: 200,
  body: await getCustomer(ports, principal, params.customerId),
}));
