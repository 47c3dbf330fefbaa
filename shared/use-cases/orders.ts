import type { PositionChange, Reservation } from '../adapters/inventory-store';
import {
  contentionBackoff,
  isConflictOnly,
  MAX_CONTENTION_ATTEMPTS,
  type TransactItem,
  transactWrite,
} from '../adapters/transactions';
import { concurrentUpdate, DomainError, idempotencyKeyReused, notFound } from '../domain/errors';
import { requestFingerprint, type StoredResponse } from '../domain/idempotency';
import { type Order, orderView } from '../domain/order';
import type { OrderInput } from '../domain/schemas';
import type { AllocatedLine, SourcingDecision } from '../domain/sourcing';
import type { Channel, Principal } from '../infra/definitions';
import type { Ports } from './ports';
import { assertFitsOneTransaction, placeLines } from './stock-picture';

export interface CreateOrderCommand {
  channel: Channel;
  /** Whose numbering the idempotency key and channelOrderId belong to (channel, or `marketplace.<name>`). */
  scope: string;
  idempotencyKey: string;
  /** Where the idempotency key came from, for the error that names the field. */
  idempotencyKeyPath: string;
  input: OrderInput;
}

export interface IntakeResult extends StoredResponse {
  replayed: boolean;
}

/**
 * The one order intake. Reserves every line or none, in one transaction with the order record (which
 * the stream turns into OrderCreated), the idempotency record and the channel-order-id guard. The same
 * key again returns the first response; the same key with another payload is refused.
 */
export async function createOrder(ports: Ports, command: CreateOrderCommand): Promise<IntakeResult> {
  const { channel, scope, idempotencyKey, input } = command;
  const fingerprint = requestFingerprint({ channel, input });
  const replay = async (): Promise<IntakeResult | undefined> => {
    const existing = await ports.orderKeys.get(scope, idempotencyKey);
    if (!existing) return undefined;
    if (existing.fingerprint !== fingerprint) throw idempotencyKeyReused(command.idempotencyKeyPath);
    return { ...existing.response, replayed: true };
  };
  for (let attempt = 1; ; attempt++) {
    // The first attempt goes straight to placement and the transaction, whose idempotency put
    // detects a repeat; the first answer is read back only when something says this is one.
    if (attempt > 1) {
      const replayed = await replay();
      if (replayed) return replayed;
    }

    const now = ports.now();
    const orderId = ports.newId('ord');
    let plan: { lines: AllocatedLine[]; decision: SourcingDecision; stockOps: TransactItem[] };
    try {
      plan = await planStock(ports, channel, input, orderId, now);
    } catch (error) {
      // A repeat of a request that succeeded meets its own effect (stock taken, hold consumed).
      if (error instanceof DomainError) {
        const replayed = await replay();
        if (replayed) return replayed;
      }
      throw error;
    }
    const { lines, decision, stockOps } = plan;

    const order: Order = {
      orderId,
      channel,
      channelScope: scope,
      ...(input.channelOrderId ? { channelOrderId: input.channelOrderId } : {}),
      ...(input.reservationId ? { reservationId: input.reservationId } : {}),
      status: 'CREATED',
      customer: input.customer,
      delivery: input.delivery,
      lines,
      decision,
      createdAt: now,
      updatedAt: now,
      version: 1,
      history: [{ status: 'CREATED', at: now }],
    };
    const response: StoredResponse = { statusCode: 201, body: orderView(order) };
    const items: TransactItem[] = [
      ...stockOps,
      ports.orders.createOp(order),
      ports.orderKeys.rememberOp({ scope, key: idempotencyKey, fingerprint, response, createdAt: now }),
    ];
    const idemIndex = items.length - 1;
    if (input.channelOrderId)
      items.push(ports.orders.channelOrderGuardOp(scope, input.channelOrderId, orderId));
    assertFitsOneTransaction(items.length, stockOps.length, 'order');

    const result = await transactWrite(ports.doc, items);
    if (result.kind === 'committed') return { ...response, replayed: false };

    const failed = (index: number) => result.reasons[index]?.code === 'ConditionalCheckFailed';
    if (failed(idemIndex)) continue; // a concurrent request with the same key won: replay its answer
    if (input.channelOrderId && failed(idemIndex + 1)) {
      throw new DomainError(
        409,
        'DUPLICATE_CHANNEL_ORDER_ID',
        `Channel order id ${input.channelOrderId} already belongs to another order`,
        [{ path: 'channelOrderId', message: 'already used by another order of this channel' }],
      );
    }
    if (input.reservationId && failed(0)) {
      await activeHoldFor(ports, channel, input, ports.now()); // throws the precise reason
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate(
        'The stock changed too often while placing the order; retry',
        'lines',
        'contention on these SKUs',
      );
    }
    // Stock moved between our read and our write, or another transaction held an item: read again.
    if (isConflictOnly(result) || result.reasons.some((r) => r.code === 'ConditionalCheckFailed')) {
      await contentionBackoff(attempt);
    }
  }
}

/** Where the order's units come from: a hold it consumes, or fresh reservations placed now. */
async function planStock(ports: Ports, channel: Channel, input: OrderInput, orderId: string, now: string) {
  if (input.reservationId) {
    const hold = await activeHoldFor(ports, channel, input, now);
    return {
      lines: hold.lines,
      decision: {
        ...hold.decision,
        summary: `Taken from hold ${hold.reservationId}: ${hold.decision.summary}`,
      },
      stockOps: [
        ports.inventory.finishReservationOp(hold.reservationId, 'CONSUMED', now, {
          consumedBy: orderId,
          channel,
          notExpiredAt: now,
        }),
      ],
    };
  }
  const placed = await placeLines(ports, channel, input.lines, input.delivery);
  const change: PositionChange = { type: 'reserve', ref: { type: 'order', id: orderId } };
  return {
    lines: placed.lines,
    decision: placed.decision,
    stockOps: placed.lines.flatMap((line) =>
      line.allocations.map((allocation) => ports.inventory.reserveOp(line.sku, allocation, change, now)),
    ),
  };
}

async function activeHoldFor(
  ports: Ports,
  channel: Channel,
  input: OrderInput,
  now: string,
): Promise<Reservation & { decision: SourcingDecision }> {
  const reservationId = input.reservationId ?? '';
  const hold = await ports.inventory.getReservation(reservationId);
  const path = [{ path: 'reservationId', message: '', reservationId }];
  if (!hold || hold.channel !== channel) {
    throw new DomainError(404, 'RESERVATION_NOT_FOUND', `Hold ${reservationId} was not found`, [
      { ...path[0], message: 'no such hold for this channel' },
    ]);
  }
  if (hold.status !== 'ACTIVE' || hold.expiresAt <= now) {
    throw new DomainError(
      409,
      'RESERVATION_NOT_ACTIVE',
      `Hold ${reservationId} is ${hold.status.toLowerCase()}`,
      [{ ...path[0], message: hold.status === 'ACTIVE' ? 'expired' : `status ${hold.status}` }],
    );
  }
  const held = new Map(hold.lines.map((l) => [l.sku, l.quantity]));
  const mismatch =
    held.size !== input.lines.length || input.lines.some((l) => held.get(l.sku) !== l.quantity);
  if (mismatch) {
    throw new DomainError(422, 'RESERVATION_MISMATCH', 'The order lines differ from the hold they claim', [
      { path: 'lines', message: 'must be exactly the SKUs and quantities of the hold' },
    ]);
  }
  const samePlace =
    hold.delivery.type === input.delivery.type &&
    (hold.delivery.type !== 'pickup' ||
      (input.delivery.type === 'pickup' && hold.delivery.locationId === input.delivery.locationId));
  if (!samePlace) {
    throw new DomainError(422, 'RESERVATION_MISMATCH', 'The order delivery differs from the hold it claims', [
      { path: 'delivery', message: `the hold was placed for ${JSON.stringify(hold.delivery)}` },
    ]);
  }
  return hold as Reservation & { decision: SourcingDecision };
}

/** A channel sees only its own orders (others are "not found"); ops sees every order. */
function visibleTo(order: Order | undefined, principal: Principal): order is Order {
  return order !== undefined && (principal === 'ops' || order.channel === principal);
}

/** The order as the principal may see it, or NOT_FOUND. */
async function visibleOrder(ports: Ports, principal: Principal, orderId: string): Promise<Order> {
  const order = await ports.orders.get(orderId);
  if (!visibleTo(order, principal)) throw notFound('Order', orderId, 'orderId', 'no such order');
  return order;
}

export async function getOrder(ports: Ports, principal: Principal, orderId: string) {
  return orderView(await visibleOrder(ports, principal, orderId));
}

export async function listOrdersByChannelOrderId(ports: Ports, principal: Principal, channelOrderId: string) {
  const orders = await ports.orders.findByChannelOrderId(
    channelOrderId,
    principal === 'ops' ? undefined : principal,
  );
  return { items: orders.filter((o) => visibleTo(o, principal)).map(orderView) };
}

/** Cancels an order and gives back every unit it holds; cancelling a cancelled order is a no-op. */
export async function cancelOrder(ports: Ports, principal: Principal, orderId: string) {
  for (let attempt = 1; ; attempt++) {
    const order = await visibleOrder(ports, principal, orderId);
    if (order.status === 'CANCELLED') return orderView(order);
    const now = ports.now();
    const change: PositionChange = {
      type: 'release',
      ref: { type: 'order', id: orderId },
      reason: 'order cancelled',
    };
    const items: TransactItem[] = [
      ports.orders.transitionOp(order, 'CANCELLED', now),
      ...order.lines.flatMap((line) =>
        line.allocations.map((a) => ports.inventory.releaseOp(line.sku, a, change, now)),
      ),
    ];
    const result = await transactWrite(ports.doc, items);
    if (result.kind === 'committed') {
      return orderView({
        ...order,
        status: 'CANCELLED',
        updatedAt: now,
        version: order.version + 1,
        history: [...order.history, { status: 'CANCELLED', at: now }],
      });
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate('The order changed while cancelling; retry', 'orderId', 'contention');
    }
    await contentionBackoff(attempt);
  }
}
