import type { GroupStatus } from '../../orders';
import type { GroupLine } from './group';

/**
 * A routing record: how an order's lines were put in groups (the first routing) or how a failed
 * group's lines were put in new ones (a reroute), and why. It is the order's part of the timeline
 * and the source of FulfillmentRouted / Rerouted.
 */
export interface RoutingRecord {
  orderId: string;
  /** 1 for the first routing, then one per reroute. */
  sequence: number;
  kind: 'route' | 'reroute';
  at: string;
  groups: { groupId: string; locationId: string; lines: GroupLine[]; transferTo?: string }[];
  unfilled: (GroupLine & { reason: string })[];
  explanation: string;
  profileId?: string;
  profileVersion?: number;
  /** The decision as the deciding engine recorded it (a sourcing profile's record replays). */
  decision: Record<string, unknown>;
  replaces?: { groupId: string; locationId: string; status: GroupStatus; reason: string };
  excludedLocationIds?: string[];
}
