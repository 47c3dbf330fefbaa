import { makeCustomerPorts } from '../../../shared/customers/adapters/runtime';
import type { OrderIdentifiers } from '../../../shared/customers/domain/identifiers';
import type { CustomerPorts } from '../../../shared/customers/use-cases/ports';
import {
  linkOrderOp,
  type Resolution,
  resolveCustomer,
} from '../../../shared/customers/use-cases/resolve-customer';
import { documentClient } from '../../../shared/platform/clients';
import { DomainError } from '../../../shared/platform/errors';
import type { Channel } from '../../../shared/platform/principals';
import people from '../../fixtures/customers/people.json';
import { freshTables } from '../../support/dynamo';

export { people };

/** The customer ports over a fresh customers table in DynamoDB Local. */
export async function customerPorts(): Promise<CustomerPorts> {
  const { client, names } = await freshTables(['customers']);
  return makeCustomerPorts(documentClient(client), names.customers ?? '');
}

/** Order times a minute apart: the order of profiles' ages is the order of the calls. */
export const minute = (n: number) => new Date(Date.UTC(2024, 4, 1, 10, n)).toISOString();

/**
 * What the order intake does: resolve the customer, then commit the link in the order's transaction
 * (here a transaction of the link alone, standing for the order's).
 */
export async function placeOrder(
  ports: CustomerPorts,
  orderId: string,
  channel: Channel,
  identifiers: OrderIdentifiers,
  at: string,
): Promise<Resolution> {
  const resolution = await resolveCustomer(ports, { identifiers, orderId, channel, at });
  const committed = await ports.transact([linkOrderOp(ports, resolution.customerId, orderId, channel, at)]);
  if (committed.kind !== 'committed') throw new Error(`the link of ${orderId} was not committed`);
  return resolution;
}

export async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}
