import { runtimeCustomerPorts } from '../../shared/customers/adapters/runtime';
import { customerRoutes } from '../../shared/customers/definition';
import { unmergeCustomers } from '../../shared/customers/use-cases/merges';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCustomerPorts();

/** POST /customer-merges/{mergeId}/undo (ops): both profiles back with their identifiers and orders. */
export const handler = httpApi(customerRoutes.unmerge, async ({ params }) => ({
  statusCode: 200,
  body: await unmergeCustomers(ports, params.mergeId),
}));
