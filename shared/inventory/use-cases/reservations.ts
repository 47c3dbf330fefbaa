import type { TransactItem } from '../../platform/dynamodb';
import { DomainError } from '../../platform/errors';
import type { Channel } from '../../platform/principals';
import type { Hold, PositionChange } from '../domain/hold';
import type { StockRecord } from '../domain/movement';
import type { AllocatedLine, PlacementDecision } from '../domain/sourcing';
import type { Delivery, LineInput } from '../schemas';
import { type Planner, placeLines, releaseItems, reservationItems } from './placement';
import type { InventoryPorts } from './ports';

/** What another context (orders) asks of the inventory pool for one of its records. */
export interface StockRequest {
  channel: Channel;
  /** The order the units are for: the reference on every movement. */
  orderId: string;
  lines: LineInput[];
  delivery: Delivery;
  /** A hold whose units the order takes instead of reserving anew. */
  holdId?: string;
  now: string;
}

/** Where the units come from and the transaction items that take them, to commit with the order. */
export interface StockPlan {
  lines: AllocatedLine[];
  decision: PlacementDecision;
  stockOps: TransactItem[];
}

/**
 * The inventory pool as another context uses it: it never writes inventory records itself, it
 * commits the items this returns in its own transaction (so an order and its reservations are one
 * atomic write).
 */
export interface StockReservations {
  /** Places the lines (or takes the claimed hold); throws INSUFFICIENT_STOCK, UNKNOWN_SKU, HOLD_*. */
  reserve(request: StockRequest): Promise<StockPlan>;
  /** After a cancelled commit that took a hold: throws the precise reason if the hold is why. */
  explainHoldFailure(request: StockRequest): Promise<void>;
  /** Gives the units of allocated lines back, as transaction items. */
  releaseOps(orderId: string, lines: AllocatedLine[], reason: string, now: string): TransactItem[];
  /**
   * The units of allocated lines leave their locations (shipped, collected): on hand and reserved
   * fall together, share rules no longer count them, and each position's history records the
   * movement (so a count taken before it and received after keeps it). `movementId` names the
   * movement (a fulfilment group): the same id again writes the same history record.
   */
  fulfilOps(
    orderId: string,
    movementId: string,
    lines: AllocatedLine[],
    reason: string,
    now: string,
  ): TransactItem[];
  /**
   * Units come back on hand at a location outside any reservation (a transfer that reached a pickup
   * store and was never collected), with their history record.
   */
  restockOps(
    orderId: string,
    movementId: string,
    locationId: string,
    lines: { sku: string; quantity: number }[],
    reason: string,
    now: string,
  ): TransactItem[];
}

/**
 * `planner`: who decides where a ship order's lines go when it can place every line whole (the
 * fulfillment context's sourcing profiles); the built-in placement decides otherwise, and for pickup.
 */
export function stockReservations(ports: InventoryPorts, planner?: Planner): StockReservations {
  return {
    async reserve(request) {
      const { channel, orderId, now } = request;
      if (request.holdId) {
        const hold = await activeHoldFor(ports, request);
        return {
          lines: hold.lines,
          decision: { ...hold.decision, summary: `Taken from hold ${hold.holdId}: ${hold.decision.summary}` },
          stockOps: [
            ports.inventory.finishHoldOp(hold.holdId, 'CONSUMED', now, {
              consumedBy: orderId,
              channel,
              notExpiredAt: now,
            }),
          ],
        };
      }
      const placed = await placeLines(ports, channel, request.lines, request.delivery, {
        planner,
        orderId,
      });
      const change: PositionChange = { type: 'reserve', ref: { type: 'order', id: orderId } };
      return {
        lines: placed.lines,
        decision: placed.decision,
        stockOps: reservationItems(ports, placed, change, now),
      };
    },
    async explainHoldFailure(request) {
      if (request.holdId) await activeHoldFor(ports, { ...request, now: ports.now() });
    },
    releaseOps(orderId, lines, reason, now) {
      const change: PositionChange = { type: 'release', ref: { type: 'order', id: orderId }, reason };
      return releaseItems(ports, lines, change, now);
    },
    fulfilOps(orderId, movementId, lines, reason, now) {
      const change: PositionChange = { type: 'fulfil', ref: { type: 'order', id: orderId }, reason };
      return lines.flatMap((line) => [
        ...line.allocations.flatMap((a) => [
          ports.inventory.fulfilOp(line.sku, a, change, now),
          ports.inventory.stockRecordOp(
            movementRecord(line.sku, a.locationId, -a.quantity, movementId, reason, now),
          ),
        ]),
        ...(line.counted && line.counted.length > 0
          ? [ports.inventory.allocationReleaseOp(line.sku, line.counted)]
          : []),
      ]);
    },
    restockOps(orderId, movementId, locationId, lines, reason, now) {
      const change: PositionChange = { type: 'adjustment', ref: { type: 'order', id: orderId }, reason };
      return lines.flatMap((line) => [
        ports.inventory.adjustOp(line.sku, locationId, line.quantity, change, now),
        ports.inventory.stockRecordOp(
          movementRecord(line.sku, locationId, line.quantity, movementId, reason, now),
        ),
      ]);
    },
  };
}

/**
 * A fulfilment's movement in a position's history. Its before/after figures are not read (the
 * movement is one conditional write among others); `delta` is what a later count adds up.
 */
function movementRecord(
  sku: string,
  locationId: string,
  delta: number,
  movementId: string,
  reason: string,
  now: string,
): StockRecord {
  return {
    kind: 'adjustment',
    sku,
    locationId,
    occurredAt: now,
    receivedAt: now,
    sourceSystem: 'fulfilment',
    sourceEventId: movementId,
    applied: true,
    delta,
    note: reason,
  };
}

/** The hold an order claims, if it is this channel's, still active, and for exactly these lines. */
async function activeHoldFor(ports: InventoryPorts, request: StockRequest): Promise<Hold> {
  const holdId = request.holdId ?? '';
  const hold = await ports.inventory.getHold(holdId);
  if (!hold || hold.channel !== request.channel) {
    throw new DomainError(404, 'HOLD_NOT_FOUND', `Hold ${holdId} was not found`, [
      { path: 'holdId', message: 'no such hold for this channel', holdId },
    ]);
  }
  if (hold.status !== 'ACTIVE' || hold.expiresAt <= request.now) {
    throw new DomainError(409, 'HOLD_NOT_ACTIVE', `Hold ${holdId} is ${hold.status.toLowerCase()}`, [
      { path: 'holdId', message: hold.status === 'ACTIVE' ? 'expired' : `status ${hold.status}`, holdId },
    ]);
  }
  const held = new Map(hold.lines.map((l) => [l.sku, l.quantity]));
  const mismatch =
    held.size !== request.lines.length || request.lines.some((l) => held.get(l.sku) !== l.quantity);
  if (mismatch) {
    throw new DomainError(422, 'HOLD_MISMATCH', 'The order lines differ from the hold they claim', [
      { path: 'lines', message: 'must be exactly the SKUs and quantities of the hold' },
    ]);
  }
  const { delivery } = request;
  const samePlace =
    hold.delivery.type === delivery.type &&
    (hold.delivery.type !== 'pickup' ||
      (delivery.type === 'pickup' && hold.delivery.locationId === delivery.locationId));
  if (!samePlace) {
    throw new DomainError(422, 'HOLD_MISMATCH', 'The order delivery differs from the hold it claims', [
      { path: 'delivery', message: `the hold was placed for ${JSON.stringify(hold.delivery)}` },
    ]);
  }
  return hold;
}
