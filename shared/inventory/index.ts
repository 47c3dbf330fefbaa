/**
 * The inventory context as other contexts see it: the only module they may import from here.
 * Orders take the transaction items that reserve, consume and release stock from
 * `stockReservations`, and commit them in their own transaction.
 */
export { makeInventoryPorts, runtimeInventoryPorts } from './adapters/runtime';
export type { StockReference } from './domain/hold';
export { INVENTORY_TABLE_KEY } from './domain/record-events';
export type {
  AllocatedLine,
  Allocation,
  PlacementDecision,
  ProfileDecision,
  SourcingDecision,
} from './domain/sourcing';
export type { Location } from './domain/stock';
export { inventoryEvents } from './events';
export {
  countryCode,
  type Delivery,
  deliverySchema,
  LIMITS,
  type LineInput,
  lineItemSchema,
  linesOf,
  linesSchema,
  locationIdSchema,
  skuSchema,
} from './schemas';
export {
  type Planner,
  type PlanningCandidate,
  type PlanOutcome,
  type PlanRequest,
  placeAllocations,
  readPlanningCandidates,
} from './use-cases/placement';
export type { InventoryPorts } from './use-cases/ports';
export {
  type StockPlan,
  type StockRequest,
  type StockReservations,
  stockReservations,
} from './use-cases/reservations';
export { adjustInventory, getAvailability } from './use-cases/stock';
