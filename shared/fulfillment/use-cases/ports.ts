import type { InventoryPorts, StockReservations } from '../../inventory';
import type { OrderRepository } from '../../orders';
import type { CancelledTransaction, TransactItem } from '../../platform/dynamodb';
import type { FulfilmentGroup } from '../domain/group';
import type { SourcingProfile } from '../domain/profile';
import type { RoutingRecord } from '../domain/routing';
import type { DecisionRecord } from '../domain/sourcing';

/** A stored version of a profile: immutable content, a status that moves draft → active → retired. */
export type StoredProfile = SourcingProfile & {
  status: 'draft' | 'active' | 'retired';
  createdAt: string;
  activatedAt?: string;
};

export interface ProfileHead {
  latestVersion: number;
  activeVersion?: number;
}

/** What the profile use cases need from storage. */
export interface ProfileRepository {
  head(profileId: string): Promise<ProfileHead | undefined>;
  version(profileId: string, version: number): Promise<StoredProfile | undefined>;
  versions(profileId: string): Promise<StoredProfile[]>;
  /** Adds the next version; false when another writer added it first (`latestVersion` moved). */
  addVersion(profile: StoredProfile, expectedLatest: number): Promise<boolean>;
  /** Makes a draft the active version and retires the one before; false when the head moved. */
  activate(profileId: string, version: number, head: ProfileHead, now: string): Promise<boolean>;
  /** Routing decisions, newest first (the dry run replays them under another profile). */
  recentDecisions(limit: number): Promise<{ orderId: string; decision: DecisionRecord }[]>;
  putDecision(orderId: string, decision: DecisionRecord): Promise<void>;
}

export interface FulfillmentPorts {
  profiles: ProfileRepository;
  now(): string;
}

/** Where an order's fulfilment stands: its group and routing counters, and the locations that failed it. */
export interface FulfilmentHead {
  orderId: string;
  /** The number of the next group (`${orderId}-G${n}`). */
  nextGroup: number;
  nextRouting: number;
  /** Locations that rejected, were short or silent on this order: never asked again for it. */
  excluded: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What the fulfilment use cases need from the fulfillment table. */
export interface GroupRepository extends CapacityCounter {
  head(orderId: string): Promise<FulfilmentHead | undefined>;
  groups(orderId: string): Promise<FulfilmentGroup[]>;
  group(orderId: string, groupId: string): Promise<FulfilmentGroup | undefined>;
  routings(orderId: string): Promise<RoutingRecord[]>;
  /** The groups waiting on a location, oldest first. */
  workList(locationId: string, limit: number): Promise<FulfilmentGroup[]>;
  putHeadOp(head: FulfilmentHead): TransactItem;
  updateHeadOp(previous: FulfilmentHead, next: FulfilmentHead): TransactItem;
  putGroupOp(group: FulfilmentGroup): TransactItem;
  /** Replaces a group, conditional on the version read. */
  updateGroupOp(previous: FulfilmentGroup, next: FulfilmentGroup): TransactItem;
  putRoutingOp(record: RoutingRecord): TransactItem;
  /** Counts groups given to a location on a UTC day (its daily capacity is measured against it). */
  countGroups(day: string, locationId: string, groups: number): Promise<void>;
}

/** How many groups each location was given on a UTC day (`YYYY-MM-DD`). */
export interface CapacityCounter {
  usedOn(day: string): Promise<Map<string, number>>;
}

/** One entry of a workflow execution's history, for the timeline. */
export interface WorkflowHistoryEntry {
  at: string;
  type: string;
  execution: string;
  state?: string;
}

/** The fulfilment workflows (Step Functions, or the embedded runner through the same API). */
export interface WorkflowPort {
  /** Starts the order's one execution (named after it); a second start finds it. */
  startOrder(orderId: string): Promise<'started' | 'exists'>;
  /** Stops an execution by name; one that ended or never was is left alone. */
  stop(kind: 'order' | 'group', name: string, cause: string): Promise<void>;
  /** Completes a waiting task; `notWaiting` when it no longer waits (answered, timed out, ended). */
  answer(
    token: string,
    outcome: { output: unknown } | { error: string; cause: string },
  ): Promise<'delivered' | 'notWaiting'>;
  history(kind: 'order' | 'group', name: string): Promise<WorkflowHistoryEntry[]>;
}

/** Everything fulfilment moves: its groups, the orders, the stock they hold, in one transaction. */
export interface FulfilmentPorts {
  groups: GroupRepository;
  profiles: ProfileRepository;
  orders: OrderRepository;
  stock: StockReservations;
  inventory: InventoryPorts;
  workflows: WorkflowPort;
  transact(items: TransactItem[]): Promise<{ kind: 'committed' } | CancelledTransaction>;
  now(): string;
}
