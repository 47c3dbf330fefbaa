import type { CatalogRepository } from '../../catalog';
import type { CancelledTransaction, TransactItem } from '../../platform/dynamodb';
import type { StoredResponse } from '../../platform/idempotency/fingerprint';
import type { IdempotencyRepository } from '../../platform/idempotency/store';
import type { AllocationMove, AllocationState, CountedUnits } from '../domain/allocation';
import type { Hold, HoldStatus, PositionChange } from '../domain/hold';
import type { StockRecord } from '../domain/movement';
import type { Allocation } from '../domain/sourcing';
import type {
  AvailabilityReadModel,
  AvailabilitySnapshot,
  ChannelRule,
  Location,
  LocationStatus,
  Position,
} from '../domain/stock';

/**
 * What the inventory use cases need from storage. The DynamoDB adapter implements it; the write
 * methods ending in `Op` return transaction items, so a caller can commit several of them (and
 * another context's, such as an order record) atomically.
 */
export interface InventoryRepository {
  /** Identifies the store for per-table caches. */
  readonly tableName: string;
  putLocation(location: Location): Promise<void>;
  getLocation(locationId: string): Promise<Location | undefined>;
  listLocations(): Promise<Location[]>;
  /** Sets a location's status; undefined when there is no such location. */
  setLocationStatus(locationId: string, status: LocationStatus, now: string): Promise<Location | undefined>;
  getPositions(sku: string, options?: { consistent?: boolean }): Promise<Position[]>;
  getPosition(sku: string, locationId: string): Promise<Position | undefined>;
  /** Writes a counted position, conditional on the version read. */
  countOp(previous: Position | undefined, next: Position, change: PositionChange, now: string): TransactItem;
  /** The applied movements of a position after `after` (source time), added up. */
  movementsAfter(sku: string, locationId: string, after: string): Promise<number>;
  stockRecordOp(record: StockRecord): TransactItem;
  stockHistory(sku: string, locationId: string, limit: number): Promise<StockRecord[]>;
  reserveOp(sku: string, allocation: Allocation, change: PositionChange, now: string): TransactItem;
  releaseOp(sku: string, allocation: Allocation, change: PositionChange, now: string): TransactItem;
  /** Reserved units leave the location (shipped, collected): on hand and reserved fall together. */
  fulfilOp(sku: string, allocation: Allocation, change: PositionChange, now: string): TransactItem;
  /** With `occurredAt`, refused when the position was counted at or after that time. */
  adjustOp(
    sku: string,
    locationId: string,
    delta: number,
    change: PositionChange,
    now: string,
    occurredAt?: string,
  ): TransactItem;
  /** The ledger entry of an adjustment; fails the transaction when that source event was applied. */
  adjustmentLedgerOp(record: AdjustmentRecord): TransactItem;
  getAdjustment(sourceSystem: string, sourceEventId: string): Promise<AdjustmentRecord | undefined>;
  /** The allocation items of these SKUs (those without one are absent). */
  getAllocations(skus: string[], options?: { consistent?: boolean }): Promise<Map<string, AllocationState>>;
  /**
   * Records a recomputed state if the item is still at `expectedVersion` (0: none) and was not
   * computed for a newer rule book; false otherwise.
   */
  putAllocation(
    sku: string,
    state: Omit<AllocationState, 'version'>,
    expectedVersion: number,
    now: string,
  ): Promise<boolean>;
  /** Moves the allocation item with a reservation (`guarded`) or a fall in stock. */
  allocationOp(sku: string, move: AllocationMove, guarded: boolean): TransactItem;
  /** Gives counted units back to the share rules that counted them. */
  allocationReleaseOp(sku: string, counted: CountedUnits[]): TransactItem;
  putRule(rule: ChannelRule): Promise<void>;
  deleteRule(ruleId: string): Promise<boolean>;
  listRules(): Promise<ChannelRule[]>;
  /** The rules with the version of the rule book (every rule change moves it). */
  ruleBook(): Promise<RuleBook>;
  createHoldOp(hold: Hold): TransactItem;
  finishHoldOp(
    holdId: string,
    status: Exclude<HoldStatus, 'ACTIVE'>,
    now: string,
    extra?: { consumedBy?: string; channel?: string; notExpiredAt?: string },
  ): TransactItem;
  getHold(holdId: string): Promise<Hold | undefined>;
  expiredHoldIds(now: string, limit: number): Promise<string[]>;
  getAvailabilitySnapshot(sku: string): Promise<AvailabilitySnapshot>;
  swapAvailabilitySnapshot(
    sku: string,
    expectedVersion: number,
    channels: Record<string, number>,
    pending: NonNullable<AvailabilitySnapshot['pending']>,
    readModel?: AvailabilityReadModel,
  ): Promise<boolean>;
  /** Records what answers are computed from when the announced figures did not move. */
  refreshAvailabilityReadModel(
    sku: string,
    expectedVersion: number,
    readModel: AvailabilityReadModel,
    now: string,
  ): Promise<boolean>;
  /** Up to 100 snapshots in one request (eventually consistent); SKUs without one are absent. */
  getAvailabilitySnapshots(skus: string[]): Promise<Map<string, AvailabilitySnapshot>>;
  settleAvailabilitySnapshot(sku: string, version: number): Promise<boolean>;
  skuPage(cursor: SkuCursor | undefined, limit: number): Promise<{ skus: string[]; next?: SkuCursor }>;
  requestRecompute(reason: string, now: string): Promise<void>;
  getRecomputeJob(): Promise<RecomputeJob>;
  checkpointRecompute(job: RecomputeJob, next: SkuCursor | undefined, now: string): Promise<boolean>;
}

export interface RuleBook {
  rules: ChannelRule[];
  version: number;
}

/** Where a pass over the SKUs stands (an opaque storage key). */
export type SkuCursor = Record<string, unknown>;

/** The availability recomputation: passes requested, passes done, and where the running one is. */
export interface RecomputeJob {
  requested: number;
  done: number;
  version: number;
  cursor?: SkuCursor;
}

/** One applied adjustment: what it was, and the first answer, which a repeat gets again. */
export interface AdjustmentRecord {
  sourceSystem: string;
  sourceEventId: string;
  fingerprint: string;
  response: StoredResponse;
  createdAt: string;
}

/** Everything the inventory use cases are given: tests pass fakes or DynamoDB Local adapters. */
export interface InventoryPorts {
  inventory: InventoryRepository;
  /** Idempotency records of holds. */
  holdKeys: IdempotencyRepository;
  /** Commits transaction items atomically; a cancellation comes back as data. */
  transact(items: TransactItem[]): Promise<{ kind: 'committed' } | CancelledTransaction>;
  now(): string;
  newId(prefix: string): string;
}

/** Placing holds: the inventory pool, and the catalog that says what a channel may sell. */
export type HoldPorts = InventoryPorts & { catalog: CatalogRepository };
