import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { queryAll, type TransactItem, transactWrite } from '../../platform/dynamodb';
import type { AllocationMove, AllocationState, CountedUnits } from '../domain/allocation';
import { heldAttribute } from '../domain/allocation';
import type { Hold, PositionChange } from '../domain/hold';
import type { StockRecord } from '../domain/movement';
import type { Allocation } from '../domain/sourcing';
import {
  type AvailabilityReadModel,
  type AvailabilitySnapshot,
  type ChannelRule,
  DEFAULT_PRIORITY,
  type Location,
  type LocationStatus,
  type Position,
} from '../domain/stock';
import type {
  AdjustmentRecord,
  InventoryRepository,
  RecomputeJob,
  RuleBook,
  SkuCursor,
} from '../use-cases/ports';

/** Key layout of the inventory table (one table for the inventory context). */
export const inventoryKeys = {
  location: (id: string) => ({ PK: `LOC#${id}`, SK: 'LOC' }),
  position: (sku: string, locationId: string) => ({ PK: `SKU#${sku}`, SK: `LOC#${locationId}` }),
  rule: (id: string) => ({ PK: `RULE#${id}`, SK: 'RULE' }),
  hold: (id: string) => ({ PK: `HOLD#${id}`, SK: 'HOLD' }),
  adjustment: (sourceSystem: string, sourceEventId: string) => ({
    PK: `ADJ#${sourceSystem}#${sourceEventId}`,
    SK: 'ADJ',
  }),
  availabilitySnapshot: (sku: string) => ({ PK: `SKU#${sku}`, SK: 'ATP' }),
  allocation: (sku: string) => ({ PK: `SKU#${sku}`, SK: 'ALLOC' }),
  /** A position's counts and movements sort by source time under its SKU. */
  recordPrefix: (locationId: string) => `REC#${locationId}#`,
  stockRecord: (
    r: Pick<
      StockRecord,
      'sku' | 'locationId' | 'occurredAt' | 'sourceSystem' | 'sourceEventId' | 'receivedAt'
    >,
  ) => ({
    PK: `SKU#${r.sku}`,
    SK: `REC#${r.locationId}#${r.occurredAt}#${r.sourceSystem ?? '-'}#${r.sourceEventId ?? r.receivedAt}`,
  }),
  /** A location's API key, by the SHA-256 of its secret (the secret itself is never stored). */
  recomputeJob: { PK: 'JOB#AVAILABILITY', SK: 'JOB' },
  rulesVersion: { PK: 'RULES#VERSION', SK: 'VERSION' },
  activeHoldsIndex: 'HOLD#ACTIVE',
  locationsIndex: 'LOCATIONS',
  rulesIndex: 'RULES',
};

const RETAIN_FINISHED_HOLDS_SECONDS = 7 * 24 * 3600;
const RETAIN_STOCK_RECORDS_SECONDS = 90 * 24 * 3600;

const stripKeys = <T>(item: Record<string, unknown>): T => {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, ttl: _ttl, lastChange: _lc, ...rest } = item;
  return rest as T;
};

/** The condition that a snapshot is still at `version` (0: there is none yet). */
function snapshotAt(version: number): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  return version === 0
    ? {
        ConditionExpression: 'attribute_not_exists(#pk) OR #version = :zeroVersion',
        ExpressionAttributeNames: { '#pk': 'PK', '#version': 'version' },
        ExpressionAttributeValues: { ':zeroVersion': 0 },
      }
    : {
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': version },
      };
}

const snapshotFromItem = (item: Record<string, unknown>): AvailabilitySnapshot => ({
  channels: (item.channels as Record<string, number>) ?? {},
  version: Number(item.version ?? 0),
  ...(item.pending ? { pending: item.pending as AvailabilitySnapshot['pending'] } : {}),
  ...(item.readModel ? { readModel: item.readModel as AvailabilityReadModel } : {}),
});

/** An allocation item as the domain sees it: its flat `atp:`, `room:` and `held:` attributes by rule. */
export function allocationFromItem(item: Record<string, unknown>): AllocationState {
  const state: AllocationState = {
    version: Number(item.version ?? 0),
    ruleSet: String(item.ruleSet ?? ''),
    rulesVersion: Number(item.rulesVersion ?? 0),
    atp: {},
    room: {},
    held: {},
  };
  for (const [name, value] of Object.entries(item)) {
    const [kind, ...rest] = name.split(':');
    const key = rest.join(':');
    if (rest.length === 0 || typeof value !== 'number') continue;
    if (kind === 'atp') state.atp[key] = value;
    else if (kind === 'room') state.room[key] = value;
    else if (kind === 'held') state.held[key] = value;
  }
  return state;
}

/** Reads and writes of the inventory context. All conditions use attribute-name placeholders. */
export class InventoryStore implements InventoryRepository {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  async putLocation(location: Location): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.location(location.locationId),
          GSI1PK: inventoryKeys.locationsIndex,
          GSI1SK: location.locationId,
          ...location,
        },
      }),
    );
  }

  async setLocationStatus(
    locationId: string,
    status: LocationStatus,
    now: string,
  ): Promise<Location | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: inventoryKeys.location(locationId),
          UpdateExpression: 'SET #status = :status, #updatedAt = :now',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt', '#pk': 'PK' },
          ExpressionAttributeValues: { ':status': status, ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const location = stripKeys<Location>(out.Attributes ?? {});
      return { ...location, priority: location.priority ?? DEFAULT_PRIORITY };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async getLocation(locationId: string): Promise<Location | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: inventoryKeys.location(locationId) }),
    );
    return out.Item ? stripKeys<Location>(out.Item) : undefined;
  }

  async listLocations(): Promise<Location[]> {
    const items = await this.listIndexed(inventoryKeys.locationsIndex);
    return items.map((i) => {
      const location = stripKeys<Location>(i);
      return { ...location, priority: location.priority ?? DEFAULT_PRIORITY };
    });
  }

  /**
   * Every position of a SKU. Placement reads strongly consistent (it decides reservations);
   * availability answers may read eventually consistent (half the cost; the reservation write is the
   * guarantee, not the read).
   */
  async getPositions(sku: string, options: { consistent?: boolean } = {}): Promise<Position[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :loc)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': `SKU#${sku}`, ':loc': 'LOC#' },
      ConsistentRead: options.consistent ?? true,
    });
    return items.map((i) => stripKeys<Position>(i));
  }

  async getPosition(sku: string, locationId: string): Promise<Position | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: inventoryKeys.position(sku, locationId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? stripKeys<Position>(out.Item) : undefined;
  }

  /**
   * Writes a counted position, conditional on the position read (its version), so a reservation or
   * a movement landing between the read and the write cancels the count rather than being lost.
   */
  countOp(previous: Position | undefined, next: Position, change: PositionChange, now: string): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.position(next.sku, next.locationId),
          ...next,
          updatedAt: now,
          lastChange: change,
        },
        ConditionExpression: previous ? '#version = :version' : 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: previous ? { '#version': 'version' } : { '#pk': 'PK' },
        ...(previous ? { ExpressionAttributeValues: { ':version': previous.version } } : {}),
      },
    };
  }

  /** The applied movements of a position that happened after `after` (source time), added up. */
  async movementsAfter(sku: string, locationId: string, after: string): Promise<number> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      FilterExpression: '#kind = :adjustment AND #applied = :yes',
      ExpressionAttributeNames: {
        '#pk': 'PK',
        '#sk': 'SK',
        '#kind': 'kind',
        '#applied': 'applied',
        '#delta': 'delta',
      },
      ExpressionAttributeValues: {
        ':pk': `SKU#${sku}`,
        // Source ids sort below '~', so this starts after every record at exactly `after`.
        ':from': `${inventoryKeys.recordPrefix(locationId)}${after}#~`,
        ':to': `${inventoryKeys.recordPrefix(locationId)}~`,
        ':adjustment': 'adjustment',
        ':yes': true,
      },
      ProjectionExpression: '#delta',
      ConsistentRead: true,
    });
    return items.reduce((sum, item) => sum + Number(item.delta ?? 0), 0);
  }

  /** A count or movement in the position's history (kept 90 days). */
  stockRecordOp(record: StockRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.stockRecord(record),
          ...record,
          ttl: Math.floor(Date.parse(record.receivedAt) / 1000) + RETAIN_STOCK_RECORDS_SECONDS,
        },
      },
    };
  }

  /** A position's counts and movements, newest (by source time) first. */
  async stockHistory(sku: string, locationId: string, limit: number): Promise<StockRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: { ':pk': `SKU#${sku}`, ':prefix': inventoryKeys.recordPrefix(locationId) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => stripKeys<StockRecord>(i));
  }

  /** Takes `quantity` units at a position only if that many are available: the no-oversell write. */
  reserveOp(sku: string, allocation: Allocation, change: PositionChange, now: string): TransactItem {
    return this.moveReservedOp(sku, allocation, change, now, 'reserve');
  }

  /** Gives reserved units back to a position. */
  releaseOp(sku: string, allocation: Allocation, change: PositionChange, now: string): TransactItem {
    return this.moveReservedOp(sku, allocation, change, now, 'release');
  }

  private moveReservedOp(
    sku: string,
    allocation: Allocation,
    change: PositionChange,
    now: string,
    direction: 'reserve' | 'release',
  ): TransactItem {
    const [toReserved, toAvailable, guard] =
      direction === 'reserve' ? ['+', '-', '#available >= :q'] : ['-', '+', '#reserved >= :q'];
    return {
      Update: {
        TableName: this.tableName,
        Key: inventoryKeys.position(sku, allocation.locationId),
        UpdateExpression:
          `SET #reserved = #reserved ${toReserved} :q, #available = #available ${toAvailable} :q, ` +
          '#version = #version + :one, #updatedAt = :now, #lastChange = :change',
        ConditionExpression: `attribute_exists(#pk) AND ${guard}`,
        ExpressionAttributeNames: {
          '#pk': 'PK',
          '#reserved': 'reserved',
          '#available': 'available',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#lastChange': 'lastChange',
        },
        ExpressionAttributeValues: { ':q': allocation.quantity, ':one': 1, ':now': now, ':change': change },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /**
   * Reserved units leave the location (shipped, collected): on hand and reserved fall together, so
   * available does not move; refused only unless that many are reserved.
   */
  fulfilOp(sku: string, allocation: Allocation, change: PositionChange, now: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: inventoryKeys.position(sku, allocation.locationId),
        UpdateExpression:
          'SET #reserved = #reserved - :q, #onHand = #onHand - :q, ' +
          '#version = #version + :one, #updatedAt = :now, #lastChange = :change',
        // A shipment that happened is never refused: a count taken after the pick may already show
        // the shelf without these units, and on hand then goes below zero until the next count.
        ConditionExpression: 'attribute_exists(#pk) AND #reserved >= :q',
        ExpressionAttributeNames: {
          '#pk': 'PK',
          '#reserved': 'reserved',
          '#onHand': 'onHand',
          '#version': 'version',
          '#updatedAt': 'updatedAt',
          '#lastChange': 'lastChange',
        },
        ExpressionAttributeValues: { ':q': allocation.quantity, ':one': 1, ':now': now, ':change': change },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Moves onHand by `delta`, creating the position on a first receipt; never below zero on hand. */
  adjustOp(
    sku: string,
    locationId: string,
    delta: number,
    change: PositionChange,
    now: string,
    occurredAt?: string,
  ): TransactItem {
    // A movement from before the position's last count is already in that count: the write is
    // refused if such a count lands first, and the caller records the movement as ignored.
    const conditions = [
      ...(delta < 0 ? ['attribute_exists(#pk) AND #onHand >= :needed'] : []),
      ...(occurredAt ? ['(attribute_not_exists(#lastCountAt) OR #lastCountAt < :occurredAt)'] : []),
    ];
    return {
      Update: {
        TableName: this.tableName,
        Key: inventoryKeys.position(sku, locationId),
        UpdateExpression:
          'SET #onHand = if_not_exists(#onHand, :zero) + :d, #available = if_not_exists(#available, :zero) + :d, ' +
          '#reserved = if_not_exists(#reserved, :zero), #safetyStock = if_not_exists(#safetyStock, :zero), ' +
          '#version = if_not_exists(#version, :zero) + :one, #sku = :sku, #locationId = :loc, ' +
          '#updatedAt = :now, #lastChange = :change',
        ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
        ExpressionAttributeNames: {
          '#onHand': 'onHand',
          '#available': 'available',
          '#reserved': 'reserved',
          '#safetyStock': 'safetyStock',
          '#version': 'version',
          '#sku': 'sku',
          '#locationId': 'locationId',
          '#updatedAt': 'updatedAt',
          '#lastChange': 'lastChange',
          ...(delta < 0 ? { '#pk': 'PK' } : {}),
          ...(occurredAt ? { '#lastCountAt': 'lastCountAt' } : {}),
        },
        ExpressionAttributeValues: {
          ':d': delta,
          ':zero': 0,
          ':one': 1,
          ':sku': sku,
          ':loc': locationId,
          ':now': now,
          ':change': change,
          ...(delta < 0 ? { ':needed': -delta } : {}),
          ...(occurredAt ? { ':occurredAt': occurredAt } : {}),
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** The ledger entry of an adjustment; its key is the source system and event id: idempotent. */
  adjustmentLedgerOp(record: AdjustmentRecord): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...inventoryKeys.adjustment(record.sourceSystem, record.sourceEventId), ...record },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async getAdjustment(sourceSystem: string, sourceEventId: string): Promise<AdjustmentRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: inventoryKeys.adjustment(sourceSystem, sourceEventId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? stripKeys<AdjustmentRecord>(out.Item) : undefined;
  }

  /**
   * Every change of the rules moves the rule book's version in the same transaction, so a state
   * computed for older rules can be told from one computed for newer ones (see putAllocation).
   */
  async putRule(rule: ChannelRule): Promise<void> {
    await this.changeRules({
      Put: {
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.rule(rule.ruleId),
          GSI1PK: inventoryKeys.rulesIndex,
          GSI1SK: rule.ruleId,
          ...rule,
        },
      },
    });
  }

  async deleteRule(ruleId: string): Promise<boolean> {
    const result = await this.changeRules({
      Delete: {
        TableName: this.tableName,
        Key: inventoryKeys.rule(ruleId),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
      },
    });
    return result.kind === 'committed';
  }

  private async changeRules(change: TransactItem) {
    const result = await transactWrite(this.doc, [
      change,
      {
        Update: {
          TableName: this.tableName,
          Key: inventoryKeys.rulesVersion,
          UpdateExpression:
            'SET #version = if_not_exists(#version, :zero) + :one, #g1pk = :index, #g1sk = :sk',
          ExpressionAttributeNames: { '#version': 'version', '#g1pk': 'GSI1PK', '#g1sk': 'GSI1SK' },
          ExpressionAttributeValues: {
            ':zero': 0,
            ':one': 1,
            ':index': inventoryKeys.rulesIndex,
            ':sk': '~version',
          },
        },
      },
    ]);
    if (result.kind === 'cancelled' && result.reasons.some((r) => r.code === 'TransactionConflict')) {
      throw new Error('The channel rules changed concurrently; retry');
    }
    return result;
  }

  async listRules(): Promise<ChannelRule[]> {
    return (await this.ruleBook()).rules;
  }

  /** The rules and the version of the rule book they are, in one query. */
  async ruleBook(): Promise<RuleBook> {
    const items = await this.listIndexed(inventoryKeys.rulesIndex);
    const version = items.find((i) => i.PK === inventoryKeys.rulesVersion.PK);
    return {
      rules: items.filter((i) => i !== version).map((i) => stripKeys<ChannelRule>(i)),
      version: Number(version?.version ?? 0),
    };
  }

  createHoldOp(hold: Hold): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.hold(hold.holdId),
          GSI1PK: inventoryKeys.activeHoldsIndex,
          GSI1SK: `${hold.expiresAt}#${hold.holdId}`,
          ...hold,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
      },
    };
  }

  /**
   * Ends an active hold (released, expired or consumed by an order). Conditional on it still being
   * active, so two enders (a customer and the sweeper) cannot both give its units back.
   */
  finishHoldOp(
    holdId: string,
    status: 'RELEASED' | 'EXPIRED' | 'CONSUMED',
    now: string,
    extra: { consumedBy?: string; channel?: string; notExpiredAt?: string } = {},
  ): TransactItem {
    const conditions = ['#status = :active'];
    const values: Record<string, unknown> = {
      ':active': 'ACTIVE',
      ':status': status,
      ':now': now,
      ':ttl': Math.floor(Date.parse(now) / 1000) + RETAIN_FINISHED_HOLDS_SECONDS,
    };
    const names: Record<string, string> = {
      '#status': 'status',
      '#updatedAt': 'updatedAt',
      '#ttl': 'ttl',
      '#g1pk': 'GSI1PK',
      '#g1sk': 'GSI1SK',
    };
    let set = '#status = :status, #updatedAt = :now, #ttl = :ttl';
    if (extra.consumedBy) {
      set += ', #consumedBy = :consumedBy';
      names['#consumedBy'] = 'consumedBy';
      values[':consumedBy'] = extra.consumedBy;
    }
    if (extra.channel) {
      conditions.push('#channel = :channel');
      names['#channel'] = 'channel';
      values[':channel'] = extra.channel;
    }
    if (extra.notExpiredAt) {
      conditions.push('#expiresAt > :at');
      names['#expiresAt'] = 'expiresAt';
      values[':at'] = extra.notExpiredAt;
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: inventoryKeys.hold(holdId),
        UpdateExpression: `SET ${set} REMOVE #g1pk, #g1sk`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async getHold(holdId: string): Promise<Hold | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: inventoryKeys.hold(holdId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? stripKeys<Hold>(out.Item) : undefined;
  }

  /** Active holds whose time is up, oldest first (eventually consistent index; the release re-checks). */
  async expiredHoldIds(now: string, limit: number): Promise<string[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'GSI1',
        KeyConditionExpression: '#pk = :pk AND #sk <= :now',
        ExpressionAttributeNames: { '#pk': 'GSI1PK', '#sk': 'GSI1SK' },
        ExpressionAttributeValues: { ':pk': inventoryKeys.activeHoldsIndex, ':now': `${now}#~` },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => String(i.holdId));
  }

  /** The last published availability of a SKU per channel, the snapshot's version and its read model. */
  async getAvailabilitySnapshot(sku: string): Promise<AvailabilitySnapshot> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: inventoryKeys.availabilitySnapshot(sku),
        ConsistentRead: true,
      }),
    );
    return out.Item ? snapshotFromItem(out.Item) : { channels: {}, version: 0 };
  }

  /**
   * The snapshots of up to 100 SKUs in one request (eventually consistent: an answer, not a
   * decision); SKUs without one are absent. Unprocessed keys (throttling) are asked for again.
   */
  async getAvailabilitySnapshots(skus: string[]): Promise<Map<string, AvailabilitySnapshot>> {
    const snapshots = new Map<string, AvailabilitySnapshot>();
    let keys: Record<string, unknown>[] = skus.map((sku) => inventoryKeys.availabilitySnapshot(sku));
    while (keys.length > 0) {
      const out = await this.doc.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys.slice(0, 100) } } }),
      );
      for (const item of out.Responses?.[this.tableName] ?? [])
        snapshots.set(String(item.sku), snapshotFromItem(item));
      keys = [
        ...((out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[]),
        ...keys.slice(100),
      ];
    }
    return snapshots;
  }

  /**
   * Records the next version of a SKU's availability with the moves it is to announce, only if the
   * snapshot is still at `expectedVersion` (0: none yet). One item per SKU holds every channel, so a
   * change costs one write, not one per channel. Returns false when someone moved it first.
   */
  async swapAvailabilitySnapshot(
    sku: string,
    expectedVersion: number,
    channels: Record<string, number>,
    pending: NonNullable<AvailabilitySnapshot['pending']>,
    readModel?: AvailabilityReadModel,
  ): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...inventoryKeys.availabilitySnapshot(sku),
          sku,
          channels,
          version: expectedVersion + 1,
          pending,
          ...(readModel ? { readModel } : {}),
          updatedAt: pending.at,
        },
        ...snapshotAt(expectedVersion),
      }),
    );
  }

  /**
   * Refreshes the read model of a snapshot whose announced figures did not move. It moves the
   * version too, so a writer that read before it (another pass over the same SKU) re-reads instead
   * of putting older positions back.
   */
  async refreshAvailabilityReadModel(
    sku: string,
    expectedVersion: number,
    readModel: AvailabilityReadModel,
    now: string,
  ): Promise<boolean> {
    const at = snapshotAt(expectedVersion);
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inventoryKeys.availabilitySnapshot(sku),
        UpdateExpression:
          'SET #readModel = :readModel, #sku = :sku, #updatedAt = :now, #channels = if_not_exists(#channels, :none), ' +
          '#version = :next',
        ConditionExpression: at.ConditionExpression,
        ExpressionAttributeNames: {
          ...at.ExpressionAttributeNames,
          '#readModel': 'readModel',
          '#sku': 'sku',
          '#updatedAt': 'updatedAt',
          '#channels': 'channels',
          '#version': 'version',
        },
        ExpressionAttributeValues: {
          ...(at.ExpressionAttributeValues ?? {}),
          ':readModel': readModel,
          ':sku': sku,
          ':now': now,
          ':none': {},
          ':next': expectedVersion + 1,
        },
      }),
    );
  }

  /** The moves of `version` are on the bus: clears them (unless a newer version replaced them). */
  async settleAvailabilitySnapshot(sku: string, version: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inventoryKeys.availabilitySnapshot(sku),
        UpdateExpression: 'REMOVE #pending',
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#pending': 'pending', '#version': 'version' },
        ExpressionAttributeValues: { ':version': version },
      }),
    );
  }

  /**
   * The allocation items of these SKUs (one request for up to 100; a SKU without one is absent).
   * Placement reads them strongly consistent; availability answers may read them eventually.
   */
  async getAllocations(
    skus: string[],
    options: { consistent?: boolean } = {},
  ): Promise<Map<string, AllocationState>> {
    const states = new Map<string, AllocationState>();
    for (let i = 0; i < skus.length; i += 100) {
      let keys: Record<string, unknown>[] = skus
        .slice(i, i + 100)
        .map((sku) => inventoryKeys.allocation(sku));
      while (keys.length > 0) {
        const out = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: options.consistent ?? true } },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          states.set(String(item.PK).slice('SKU#'.length), allocationFromItem(item));
        }
        keys = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return states;
  }

  /**
   * Records a recomputed allocation state, only if the item is still at `expectedVersion` (0: none;
   * a reservation committed since the read moved the version, and its units must not be lost) and
   * was not recorded for a newer rule book. An update, not a put: `held` counts of rules that do not
   * apply now are kept, so a rule that applies again, or an environment still on older rules, never
   * loses what a channel holds.
   */
  async putAllocation(
    sku: string,
    state: Omit<AllocationState, 'version'>,
    expectedVersion: number,
    now: string,
  ): Promise<boolean> {
    const flat: Record<string, number> = {};
    for (const [id, n] of Object.entries(state.atp)) flat[`atp:${id}`] = n;
    for (const [id, n] of Object.entries(state.room)) flat[`room:${id}`] = n;
    for (const [key, n] of Object.entries(state.held)) flat[heldAttribute(key)] = n;
    const names: Record<string, string> = {
      '#sku': 'sku',
      '#ruleSet': 'ruleSet',
      '#rulesVersion': 'rulesVersion',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      ...(expectedVersion === 0 ? { '#pk': 'PK' } : {}),
    };
    const values: Record<string, unknown> = {
      ':sku': sku,
      ':ruleSet': state.ruleSet,
      ':rulesVersion': state.rulesVersion,
      ':next': expectedVersion + 1,
      ':now': now,
    };
    const set = [
      '#sku = :sku',
      '#ruleSet = :ruleSet',
      '#rulesVersion = :rulesVersion',
      '#version = :next',
      '#updatedAt = :now',
    ];
    Object.entries(flat).forEach(([name, n], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = n;
      set.push(`#f${i} = :f${i}`);
    });
    if (expectedVersion !== 0) values[':expected'] = expectedVersion;
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inventoryKeys.allocation(sku),
        UpdateExpression: `SET ${set.join(', ')}`,
        ConditionExpression:
          `${expectedVersion === 0 ? '(attribute_not_exists(#pk) OR attribute_not_exists(#version))' : '#version = :expected'}` +
          ' AND (attribute_not_exists(#rulesVersion) OR #rulesVersion <= :rulesVersion)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * Moves a SKU's allocation item with a reservation (or a fall in stock): each guarded rule must
   * still allow the units, and the item must be in the state of the rules placement used. A fall in
   * stock has no guard: it is a fact, and it only ever lowers what the rules give.
   */
  allocationOp(sku: string, move: AllocationMove, guarded: boolean): TransactItem {
    const names: Record<string, string> = { '#version': 'version', '#sku': 'sku' };
    const values: Record<string, unknown> = { ':one': 1, ':zero': 0, ':sku': sku };
    const set: string[] = ['#version = if_not_exists(#version, :zero) + :one', '#sku = :sku'];
    const conditions: string[] = [];
    let n = 0;
    for (const d of move.decrements) {
      const a = `#a${n}`;
      names[a] = d.attribute;
      values[`:d${n}`] = d.by;
      set.push(`${a} = if_not_exists(${a}, :zero) - :d${n}`);
      if (guarded && d.atLeast !== undefined) {
        values[`:min${n}`] = d.atLeast;
        conditions.push(`${a} >= :min${n}`);
      }
      n++;
    }
    for (const i of move.increments) {
      const a = `#a${n}`;
      names[a] = i.attribute;
      values[`:d${n}`] = i.by;
      set.push(`${a} = if_not_exists(${a}, :zero) + :d${n}`);
      n++;
    }
    if (guarded) {
      names['#ruleSet'] = 'ruleSet';
      values[':ruleSet'] = move.ruleSet;
      conditions.unshift('#ruleSet = :ruleSet');
    }
    return {
      Update: {
        TableName: this.tableName,
        Key: inventoryKeys.allocation(sku),
        UpdateExpression: `SET ${set.join(', ')}`,
        ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  /** Gives units counted in share rules back when their line is released: never refused. */
  allocationReleaseOp(sku: string, counted: CountedUnits[]): TransactItem {
    const names: Record<string, string> = { '#version': 'version', '#sku': 'sku' };
    const values: Record<string, unknown> = { ':one': 1, ':zero': 0, ':sku': sku };
    const set = ['#version = if_not_exists(#version, :zero) + :one', '#sku = :sku'];
    counted.forEach((c, i) => {
      names[`#h${i}`] = heldAttribute(c.key);
      values[`:q${i}`] = c.quantity;
      set.push(`#h${i} = if_not_exists(#h${i}, :zero) - :q${i}`);
    });
    return {
      Update: {
        TableName: this.tableName,
        Key: inventoryKeys.allocation(sku),
        UpdateExpression: `SET ${set.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  }

  /** Sends a conditional write; false when its condition failed. */
  private async conditional(command: PutCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.doc.send(command as PutCommand);
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * One page of the SKUs that have a position anywhere, from `cursor` on: a paginated, resumable
   * read for the availability recomputation after a rule change (never done in the stream publisher).
   */
  async skuPage(cursor: SkuCursor | undefined, limit: number): Promise<{ skus: string[]; next?: SkuCursor }> {
    const out = await this.doc.send(
      new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(#pk, :sku) AND begins_with(#sk, :loc)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: { ':sku': 'SKU#', ':loc': 'LOC#' },
        ProjectionExpression: '#pk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const skus = [...new Set((out.Items ?? []).map((item) => String(item.PK).slice(4)))].sort();
    return { skus, ...(out.LastEvaluatedKey ? { next: out.LastEvaluatedKey as SkuCursor } : {}) };
  }

  /** Asks for every SKU's availability to be re-evaluated; a running pass starts over. */
  async requestRecompute(reason: string, now: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: inventoryKeys.recomputeJob,
        UpdateExpression:
          'SET #requested = if_not_exists(#requested, :zero) + :one, #reason = :reason, #requestedAt = :now, ' +
          '#version = if_not_exists(#version, :zero) + :one REMOVE #cursor',
        ExpressionAttributeNames: {
          '#requested': 'requested',
          '#reason': 'reason',
          '#requestedAt': 'requestedAt',
          '#version': 'version',
          '#cursor': 'cursor',
        },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':reason': reason, ':now': now },
      }),
    );
  }

  async getRecomputeJob(): Promise<RecomputeJob> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: inventoryKeys.recomputeJob, ConsistentRead: true }),
    );
    const item = out.Item ?? {};
    return {
      requested: Number(item.requested ?? 0),
      done: Number(item.done ?? 0),
      version: Number(item.version ?? 0),
      ...(item.cursor ? { cursor: item.cursor as SkuCursor } : {}),
    };
  }

  /**
   * Records progress of a pass: the next cursor, or (without one) that the pass is done. Conditional
   * on the job's version, so a pass overtaken by a newer request (or another worker) stops.
   */
  async checkpointRecompute(job: RecomputeJob, next: SkuCursor | undefined, now: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: inventoryKeys.recomputeJob,
          UpdateExpression: next
            ? 'SET #cursor = :cursor, #version = :next, #updatedAt = :now'
            : 'SET #done = :requested, #version = :next, #updatedAt = :now REMOVE #cursor',
          ConditionExpression: '#version = :version',
          ExpressionAttributeNames: {
            '#version': 'version',
            '#updatedAt': 'updatedAt',
            ...(next ? { '#cursor': 'cursor' } : { '#done': 'done', '#cursor': 'cursor' }),
          },
          ExpressionAttributeValues: {
            ':version': job.version,
            ':next': job.version + 1,
            ':now': now,
            ...(next ? { ':cursor': next } : { ':requested': job.requested }),
          },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /** Every item listed under one GSI1 partition (locations, rules). */
  private listIndexed(partition: string): Promise<Record<string, unknown>[]> {
    return this.queryAll({
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI1PK' },
      ExpressionAttributeValues: { ':pk': partition },
    });
  }

  private queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    return queryAll(this.doc, input);
  }
}
