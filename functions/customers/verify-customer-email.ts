import { runtimeCustomerPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { verifyEmail } from '../../shared/customers/use-cases/verify-email';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerPorts();

/** POST /customers/{customerId}/verified-emails: the email is verified; a guest holding it is claimed. */
export const handler = httpApi(customerRoutes.verifyEmail, async ({ params, body }) => ({
  statusCode: 200,
  body: await verifyEmail(ports, { customerId: params.customerId, email: body.email }),
}));
