/**
 * The customers context as other contexts see it: the only module they may import from here.
 *
 * The order intake resolves its customer before its own transaction and links the order inside it:
 * ```ts
 * const { customerId, decision } = await resolveCustomer(customerPorts, { identifiers, orderId, channel, at });
 * items.push(linkOrderOp(customerPorts, customerId, orderId, channel, at)); // in the order's TransactWriteItems
 * ```
 * `decision` (rule, outcome, identifier types, profile ids) is free of personal data and may be
 * stored on the order or logged. The intake's functions need the customers table in their reads
 * and writes (`CUSTOMERS_TABLE_KEY`) to get `CUSTOMERS_TABLE`.
 */
export { CustomerStore, customerKeys } from './adapters/customer-store';
export { makeCustomerPorts, runtimeCustomerPorts, runtimeCustomerQueryPorts } from './adapters/runtime';
export { CUSTOMERS_TABLE_KEY, customerRoutes, customers, customersTable } from './definition';
export {
  IDENTIFIER_TYPES,
  type Identifier,
  type IdentifierType,
  normaliseOrderIdentifiers,
  ORDER_IDENTIFIER_PATHS,
  type OrderIdentifiers,
  type PhoneKind,
  type PostalAddress,
  strengthOf,
} from './domain/identifiers';
export { IDENTITY_RULES, type IdentityRule } from './domain/policy';
export { type CustomerDecision, isGuest } from './domain/profile';
export { customerEvents } from './events';
export type { CustomerPorts, CustomerQueryPorts, CustomerRepository } from './use-cases/ports';
export { type CustomerLookup, type CustomerView, findCustomers, getCustomer } from './use-cases/queries';
export {
  linkOrderOp,
  type Resolution,
  type ResolveCustomerCommand,
  resolveCustomer,
} from './use-cases/resolve-customer';
export { type EmailVerified, type VerifyEmailCommand, verifyEmail } from './use-cases/verify-email';
