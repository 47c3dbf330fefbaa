import { runtimeCustomerPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { mergeCustomers } from '../../shared/customers/use-cases/merges';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerPorts();

/** POST /customer-reviews/{reviewId}/merge (ops): the review's profiles become one, undoably. */
export const handler = httpApi(customerRoutes.mergeReview, async ({ params }) => ({
  statusCode: 200,
  body: await mergeCustomers(ports, params.reviewId),
}));
