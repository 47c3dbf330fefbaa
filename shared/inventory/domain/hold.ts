import type { Principal } from '../../platform/principals';
import type { Delivery } from '../schemas';
import type { AllocatedLine, PlacementDecision } from './sourcing';

/** What a movement of reserved units refers to: an order, a hold, an adjustment or a count. */
export interface StockReference {
  type: 'order' | 'hold' | 'adjustment' | 'count';
  id: string;
  /** For an adjustment: the system whose event id `id` is. */
  source?: string;
}

/** Why a position last changed; the stream publisher turns it into the inventory event. */
export interface PositionChange {
  /** `fulfil`: reserved units left the location (shipped, collected): on hand and reserved both fall. */
  type: 'count' | 'adjustment' | 'reserve' | 'release' | 'fulfil';
  ref: StockReference;
  reason?: string;
}

export type HoldStatus = 'ACTIVE' | 'RELEASED' | 'EXPIRED' | 'CONSUMED';

/** Stock held for a cart, a POS basket or a pending marketplace order, until it expires. */
export interface Hold {
  holdId: string;
  channel: Principal;
  status: HoldStatus;
  lines: AllocatedLine[];
  delivery: Delivery;
  decision: PlacementDecision;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  consumedBy?: string;
}

/** The API's view of a hold. */
export function holdView(hold: Hold) {
  return {
    holdId: hold.holdId,
    channel: hold.channel,
    status: hold.status,
    expiresAt: hold.expiresAt,
    lines: hold.lines,
    delivery: hold.delivery,
    decision: hold.decision,
    createdAt: hold.createdAt,
    updatedAt: hold.updatedAt,
    ...(hold.consumedBy ? { consumedBy: hold.consumedBy } : {}),
  };
}
