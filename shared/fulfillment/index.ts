/** The fulfillment context as other contexts see it: the only module they may import from here. */
export {
  makeFulfillmentPorts,
  makeFulfilmentPorts,
  runtimeFulfillmentPorts,
  runtimeFulfilmentPorts,
  runtimeRoutingPlanner,
} from './adapters/runtime';
export { FULFILLMENT_TABLE_KEY, fulfillment } from './definition';
export type { SourcingProfile } from './domain/profile';
export type { DecisionRecord, SourcingGroup } from './domain/sourcing';
export { profilePlanner } from './use-cases/routing';
