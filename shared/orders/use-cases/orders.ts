import { sellableProducts } from '../../catalog';
import type { Resolution } from '../../customers';
import {
  assertFitsOneTransaction,
  contentionBackoff,
  isConflictOnly,
  MAX_CONTENTION_ATTEMPTS,
  type TransactItem,
} from '../../platform/dynamodb';
import { concurrentUpdate, DomainError, idempotencyKeyReused, notFound } from '../../platform/errors';
import { requestFingerprint, type StoredResponse } from '../../platform/idempotency/fingerprint';
import type { Channel, Principal } from '../../platform/principals';
import type { OrderPrice } from '../../pricing';
import {
  canTransition,
  DISPATCHED_GROUP_STATUSES,
  ENDED_GROUP_STATUSES,
  type Order,
  orderView,
} from '../domain/order';
import type { OrderInput } from '../schemas';
import type { CancelPorts, OrderPorts, OrderQueryPorts } from './ports';

export interface PlaceOrderCommand {
  channel: Channel;
  /** A marketplace order's buyer, as the marketplace knows them: one of the customer's identifiers. */
  marketplaceBuyer?: { marketplace: string; buyerId: string };
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
export async function placeOrder(ports: OrderPorts, command: PlaceOrderCommand): Promise<IntakeResult> {
  const { channel, scope, idempotencyKey, input } = command;
  const fingerprint = requestFingerprint({ channel, input });
  // What the channel may not sell is refused before any stock is looked at (422, per line).
  const products = await sellableProducts(ports, channel, input.lines);
  // One id for every attempt of this intake: the customer's resolution is keyed by it.
  const orderId = ports.newId('ord');
  const replay = async (): Promise<IntakeResult | undefined> => {
    const existing = await ports.orderKeys.get(scope, idempotencyKey);
    if (!existing) return undefined;
    if (existing.fingerprint !== fingerprint) throw idempotencyKeyReused(command.idempotencyKeyPath);
    return { ...existing.response, replayed: true };
  };
  // A refusal that may be this very request's own earlier success (its stock taken, its hold
  // consumed, its quote used) is answered with that success when the idempotency record says so.
  const orReplay = async <T>(run: () => Promise<T>): Promise<T | IntakeResult> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError) {
        const replayed = await replay();
        if (replayed) return replayed;
      }
      throw error;
    }
  };
  const isAnswer = (value: object): value is IntakeResult => 'statusCode' in value;
  const priceRequest = (customerId: string, now: string) => ({
    channel,
    customerId,
    currency: input.currency,
    lines: input.lines,
    quoteId: input.quoteId,
    now,
    categories: new Map(
      [...products].map(([sku, product]) => [sku, { category: product.category }] as const),
    ),
  });
  let customer: Resolution | undefined;
  let price: OrderPrice | undefined;
  for (let attempt = 1; ; attempt++) {
    // The first attempt goes straight to placement and the transaction, whose idempotency put
    // detects a repeat; the first answer is read back only when something says this is one.
    if (attempt > 1) {
      const replayed = await replay();
      if (replayed) return replayed;
    }

    const now = ports.now();
    const stockRequest = {
      channel,
      orderId,
      lines: input.lines.map(({ sku, quantity }) => ({ sku, quantity })),
      delivery: input.delivery,
      ...(input.holdId ? { holdId: input.holdId } : {}),
      now,
    };
    // Stock first: when a SKU has run out (the losers of a flash sale), the answer is 409 after the
    // catalog and stock reads, and no customer or quote is written for an order that will not exist.
    const plan = await orReplay(() => ports.stock.reserve(stockRequest));
    if (isAnswer(plan)) return plan;
    // Resolved and priced once per intake: losing a race for stock changes neither who the customer
    // is nor what the order costs. The promotion uses it counts are conditional items, so they stay
    // exact however late they commit.
    customer ??= await ports.customers.resolve({
      identifiers: {
        ...(input.customer.email !== undefined ? { email: input.customer.email } : {}),
        ...(input.customer.phone !== undefined ? { phone: input.customer.phone } : {}),
        ...(input.customer.loyaltyId !== undefined ? { loyaltyId: input.customer.loyaltyId } : {}),
        ...(command.marketplaceBuyer ? { marketplaceBuyer: command.marketplaceBuyer } : {}),
        ...(input.delivery.type === 'ship' ? { address: input.delivery.address } : {}),
      },
      orderId,
      channel,
      at: now,
    });
    const customerId = customer.customerId;
    if (!price) {
      // A stale price or an unknown quote is refused; a repeat of a request that succeeded gets its
      // first answer even when prices have changed since.
      const priced = await orReplay(() => ports.pricing.price(priceRequest(customerId, now)));
      if (isAnswer(priced)) return priced;
      price = priced;
    }
    const { lines, decision, stockOps } = plan;

    const order: Order = {
      orderId,
      channel,
      channelScope: scope,
      ...(input.channelOrderId ? { channelOrderId: input.channelOrderId } : {}),
      ...(input.holdId ? { holdId: input.holdId } : {}),
      status: 'CREATED',
      customer: input.customer,
      customerId: customer.customerId,
      customerDecision: customer.decision,
      delivery: input.delivery,
      lines,
      pricing: storedPricing(price),
      products: Object.fromEntries(
        input.lines.map((l) => {
          const product = products.get(l.sku);
          return [l.sku, { title: product?.title ?? l.sku, finalSale: product?.finalSale ?? false }];
        }),
      ),
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
    // The order's link to its customer exists exactly when the order does.
    items.push(ports.customers.linkOp(customer.customerId, orderId, channel, now));
    // A limited promotion's use is counted in the same transaction: the limit holds exactly.
    const usageIndex = items.length;
    items.push(...price.usageOps);
    assertFitsOneTransaction(items.length, stockOps.length, 'order');

    const result = await ports.transact(items);
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
    if (input.holdId && failed(0)) await ports.stock.explainHoldFailure(stockRequest);
    // The last use of a limited promotion went to another order: 409 with the cart priced again.
    await ports.pricing.explainUsageFailure(
      priceRequest(customerId, price.pricedAt),
      price,
      result.reasons.slice(usageIndex),
    );
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

/** What an order keeps of its prices: all but what did not apply (the quote or the 409 told that). */
function storedPricing(price: OrderPrice): NonNullable<Order['pricing']> {
  return {
    currency: price.currency,
    pricedAt: price.pricedAt,
    ...(price.quoteId ? { quoteId: price.quoteId } : {}),
    lines: price.lines.map(({ notApplied: _notApplied, ...line }) => line),
    totals: price.totals,
    promotions: price.promotions,
    uses: price.uses,
  };
}

/** A channel sees only its own orders (others are "not found"); ops sees every order. */
function visibleTo(order: Order | undefined, principal: Principal): order is Order {
  return order !== undefined && (principal === 'ops' || order.channel === principal);
}

/** The order as the principal may see it, or NOT_FOUND. */
async function visibleOrder(ports: OrderQueryPorts, principal: Principal, orderId: string): Promise<Order> {
  const order = await ports.orders.get(orderId);
  if (!visibleTo(order, principal)) throw notFound('Order', orderId, 'orderId', 'no such order');
  return order;
}

export async function getOrder(ports: OrderQueryPorts, principal: Principal, orderId: string) {
  return orderView(await visibleOrder(ports, principal, orderId));
}

export async function listOrdersByChannelOrderId(
  ports: OrderQueryPorts,
  principal: Principal,
  channelOrderId: string,
) {
  const orders = await ports.orders.findByChannelOrderId(
    channelOrderId,
    principal === 'ops' ? undefined : principal,
  );
  return { items: orders.filter((o) => visibleTo(o, principal)).map(orderView) };
}

/**
 * Cancels an order and gives back every unit it holds now (its lines' current allocations, wherever
 * fulfilment moved them), in one transaction with the order record; cancelling a cancelled order is
 * a no-op. Refused once a unit has left a location (shipped, on its way to a pickup store, or
 * collected): that is a return. Fulfilment hears `OrderCancelled` and stops the order's workflow.
 */
export async function cancelOrder(ports: CancelPorts, principal: Principal, orderId: string) {
  for (let attempt = 1; ; attempt++) {
    const order = await visibleOrder(ports, principal, orderId);
    if (order.status === 'CANCELLED') return orderView(order);
    const dispatched = (order.groups ?? []).filter((g) => DISPATCHED_GROUP_STATUSES.includes(g.status));
    if (!canTransition(order.status, 'CANCELLED') || dispatched.length > 0) {
      const why =
        dispatched.length > 0
          ? `${dispatched.map((g) => `${g.groupId} is ${g.status}`).join(', ')}: units have left a location`
          : `the order is ${order.status}`;
      throw new DomainError(409, 'ORDER_NOT_CANCELLABLE', `Order ${orderId} cannot be cancelled: ${why}`, [
        {
          path: 'orderId',
          message: `cannot be cancelled in status ${order.status}`,
          status: order.status,
          ...(dispatched.length > 0
            ? { groups: dispatched.map((g) => ({ groupId: g.groupId, status: g.status })) }
            : {}),
        },
      ]);
    }
    const now = ports.now();
    const held = order.lines.filter((l) => l.allocations.length > 0);
    const next = {
      status: 'CANCELLED' as const,
      lines: order.lines.map((l) => ({ ...l, allocations: [] })),
      ...(order.groups
        ? {
            groups: order.groups.map((g) =>
              ENDED_GROUP_STATUSES.includes(g.status)
                ? g
                : { ...g, status: 'CANCELLED' as const, updatedAt: now },
            ),
          }
        : {}),
      cancelCause: 'request' as const,
    };
    const items: TransactItem[] = [
      ports.orders.updateOp(order, next, now),
      ...ports.stock.releaseOps(orderId, held, 'order cancelled', now),
      // The order's uses of limited promotions are given back with it.
      ...ports.pricing.releaseUsageOps(order.pricing?.uses ?? [], now),
    ];
    const result = await ports.transact(items);
    if (result.kind === 'committed') {
      return orderView({
        ...order,
        ...next,
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
