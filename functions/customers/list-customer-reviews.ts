import { runtimeCustomerQueryPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { listReviews } from '../../shared/customers/use-cases/queries';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerQueryPorts();

/** GET /customer-reviews (ops): possible matches waiting for a decision, oldest first. */
export const handler = httpApi(customerRoutes.listReviews, async ({ query }) => ({
  statusCode: 200,
  body: await listReviews(ports, query.status, query.limit),
}));
