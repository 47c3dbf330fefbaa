import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../../platform/dynamodb';
import type { Order } from '../domain/order';
import type { OrderRepository, OrderUpdate } from '../use-cases/ports';

/** Key layout of the orders table. */
export const orderKeys = {
  order: (orderId: string) => ({ PK: `ORDER#${orderId}`, SK: 'ORDER' }),
  channelOrderGuard: (scope: string, channelOrderId: string) => ({
    PK: `CORD#${scope}#${channelOrderId}`,
    SK: 'GUARD',
  }),
  byChannelOrderId: (channelOrderId: string) => `CORD#${channelOrderId}`,
};

const toOrder = (item: Record<string, unknown>): Order => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ...order } = item;
  return order as unknown as Order;
};

/** Reads and writes of the orders context. */
export class OrderStore implements OrderRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  createOp(order: Order): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...orderKeys.order(order.orderId),
          ...(order.channelOrderId
            ? {
                GSI1PK: orderKeys.byChannelOrderId(order.channelOrderId),
                GSI1SK: `${order.channel}#${order.orderId}`,
              }
            : {}),
          ...order,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
      },
    };
  }

  /** One channel order id per channel scope: a second order claiming it fails the transaction. */
  channelOrderGuardOp(scope: string, channelOrderId: string, orderId: string): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...orderKeys.channelOrderGuard(scope, channelOrderId), orderId },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Moves an order from `from` to `to`, appending to its history; conditional on the current status. */
  transitionOp(order: Order, to: Order['status'], now: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: orderKeys.order(order.orderId),
        UpdateExpression:
          'SET #status = :to, #updatedAt = :now, #version = #version + :one, #history = list_append(#history, :entry)',
        ConditionExpression: '#status = :from AND #version = :version',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#updatedAt': 'updatedAt',
          '#version': 'version',
          '#history': 'history',
        },
        ExpressionAttributeValues: {
          ':to': to,
          ':from': order.status,
          ':now': now,
          ':one': 1,
          ':version': order.version,
          ':entry': [{ status: to, at: now }],
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Writes what fulfilment or a cancel changed (status, lines, groups), conditional on the version
   * read: the order record is where an order's concurrent changes meet. History grows on a new status.
   */
  updateOp(order: Order, next: OrderUpdate, now: string): TransactItem {
    const statusChanged = next.status !== order.status;
    return {
      Update: {
        TableName: this.tableName,
        Key: orderKeys.order(order.orderId),
        UpdateExpression: [
          'SET #status = :status, #lines = :lines, #updatedAt = :now, #version = #version + :one',
          ...(next.groups ? [', #groups = :groups'] : []),
          ...(next.cancelCause ? [', #cancelCause = :cause'] : []),
          ...(next.decision ? [', #decision = :decision'] : []),
          ...(statusChanged ? [', #history = list_append(#history, :entry)'] : []),
        ].join(''),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#lines': 'lines',
          '#updatedAt': 'updatedAt',
          '#version': 'version',
          ...(next.groups ? { '#groups': 'groups' } : {}),
          ...(next.cancelCause ? { '#cancelCause': 'cancelCause' } : {}),
          ...(next.decision ? { '#decision': 'decision' } : {}),
          ...(statusChanged ? { '#history': 'history' } : {}),
        },
        ExpressionAttributeValues: {
          ':status': next.status,
          ':lines': next.lines,
          ':now': now,
          ':one': 1,
          ':version': order.version,
          ...(next.groups ? { ':groups': next.groups } : {}),
          ...(next.cancelCause ? { ':cause': next.cancelCause } : {}),
          ...(next.decision ? { ':decision': next.decision } : {}),
          ...(statusChanged ? { ':entry': [{ status: next.status, at: now }] } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async get(orderId: string): Promise<Order | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: orderKeys.order(orderId), ConsistentRead: true }),
    );
    return out.Item ? toOrder(out.Item) : undefined;
  }

  /** Orders carrying a channel order id; `channel` narrows to one channel's orders. */
  async findByChannelOrderId(channelOrderId: string, channel?: string): Promise<Order[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: channel ? '#pk = :pk AND begins_with(#sk, :channel)' : '#pk = :pk',
        ExpressionAttributeNames: channel ? { '#pk': 'GSI1PK', '#sk': 'GSI1SK' } : { '#pk': 'GSI1PK' },
        ExpressionAttributeValues: {
          ':pk': orderKeys.byChannelOrderId(channelOrderId),
          ...(channel ? { ':channel': `${channel}#` } : {}),
        },
        Limit: 100,
      }),
    );
    return (out.Items ?? []).map(toOrder);
  }
}
