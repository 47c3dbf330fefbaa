import { runtimeCustomerPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { dismissReview } from '../../shared/customers/use-cases/merges';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerPorts();

/** POST /customer-reviews/{reviewId}/dismiss (ops): different customers; the review is closed. */
export const handler = httpApi(customerRoutes.dismissReview, async ({ params }) => ({
  statusCode: 200,
  body: await dismissReview(ports, params.reviewId),
}));
