import { getDistance } from 'geolib';
import type { TransactItem } from '../../platform/dynamodb';
import { contentionBackoff, MAX_CONTENTION_ATTEMPTS } from '../../platform/dynamodb';
import { concurrentUpdate, DomainError, idempotencyKeyReused, notFound } from '../../platform/errors';
import { requestFingerprint, type StoredResponse } from '../../platform/idempotency/fingerprint';
import type { Principal } from '../../platform/principals';
import { availabilityByMethod, overlappingScopes } from '../domain/allocation';
import { unknownLocation } from '../domain/errors';
import type { PositionChange } from '../domain/hold';
import { afterLastCount, onHandAsOf, STOCK_RECORD_REASONS } from '../domain/movement';
import {
  type ChannelRule,
  channelLocationAvailable,
  computeAvailable,
  DEFAULT_PRIORITY,
  type Location,
  type LocationStatus,
  type Position,
  sellable,
  statusAt,
} from '../domain/stock';
import {
  type AdjustmentInput,
  type ChannelRuleInput,
  LIMITS,
  type LocationInput,
  type LocationStatusInput,
  type PositionInput,
} from '../schemas';
import { forgetReferenceData, loadAnswerPicture, stockFallItems } from './placement';
import type { InventoryPorts } from './ports';

export async function putLocation(
  ports: InventoryPorts,
  locationId: string,
  input: LocationInput,
): Promise<Location> {
  // Replacing a location's details keeps its status (a closed store stays closed).
  const existing = await ports.inventory.getLocation(locationId);
  const location: Location = {
    ...input,
    locationId,
    priority: input.priority ?? DEFAULT_PRIORITY,
    updatedAt: ports.now(),
    ...(existing?.status ? { status: existing.status } : {}),
  };
  await ports.inventory.putLocation(location);
  forgetReferenceData(ports);
  return location;
}

/**
 * Closes a location (nothing ships or is picked up there) or only its pickup, for a reason and
 * optionally until a time; or opens it again. Availability and placement respect it at once; the
 * stream announces LocationChanged and re-evaluates every SKU's availability.
 */
export async function setLocationStatus(
  ports: InventoryPorts,
  locationId: string,
  input: LocationStatusInput,
) {
  const now = ports.now();
  if (input.until !== undefined && new Date(input.until).toISOString() <= now) {
    throw new DomainError(422, 'UNTIL_IN_THE_PAST', `${input.until} has already passed`, [
      { path: 'until', message: 'must be in the future' },
    ]);
  }
  const status: LocationStatus = {
    state: input.state,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.until ? { until: new Date(input.until).toISOString() } : {}),
    changedAt: now,
  };
  const updated = await ports.inventory.setLocationStatus(locationId, status, now);
  if (!updated) throw unknownLocation('locationId', locationId);
  forgetReferenceData(ports);
  return updated;
}

/** Opens again every location whose status has run out (so that LocationChanged says so). */
export async function endExpiredLocationStatuses(ports: Pick<InventoryPorts, 'inventory' | 'now'>) {
  const now = ports.now();
  const expired = (await ports.inventory.listLocations()).filter(
    (l) => l.status && l.status.state !== 'enabled' && statusAt(l, now) === 'enabled',
  );
  for (const location of expired) {
    await ports.inventory.setLocationStatus(
      location.locationId,
      {
        state: 'enabled',
        reason: `${location.status?.state} until ${location.status?.until} ended`,
        changedAt: now,
      },
      now,
    );
  }
  if (expired.length > 0) forgetReferenceData(ports);
  return expired.length;
}

export async function listLocations(ports: InventoryPorts) {
  const items = await ports.inventory.listLocations();
  return { items: items.sort((a, b) => a.locationId.localeCompare(b.locationId)) };
}

/** The position as the API shows it: available never below zero. */
const positionView = (p: {
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  available: number;
}) => ({
  locationId: p.locationId,
  onHand: p.onHand,
  reserved: p.reserved,
  safetyStock: p.safetyStock,
  available: sellable(p),
});

/**
 * How far ahead of this system's clock a source system's time may be. Further is a wrong clock: a
 * count dated next year would make every real count until then "older than the last one".
 */
export const MAX_SOURCE_CLOCK_AHEAD_MS = 5 * 60_000;

/**
 * How far back a source time may go: the history a late count needs (the movements after it) is
 * kept this long, so an older count could not keep them.
 */
export const MAX_SOURCE_TIME_AGE_MS = 90 * 24 * 3600_000;

function sourceTime(value: string | undefined, now: string, path: string): string {
  if (!value) return now;
  const at = new Date(value).toISOString();
  const ahead = Date.parse(at) - Date.parse(now);
  if (ahead > MAX_SOURCE_CLOCK_AHEAD_MS) {
    throw new DomainError(422, 'SOURCE_TIME_IN_FUTURE', `${value} is ahead of this system's clock (${now})`, [
      { path, message: `at most ${MAX_SOURCE_CLOCK_AHEAD_MS / 60_000} minutes ahead of ${now}` },
    ]);
  }
  if (-ahead > MAX_SOURCE_TIME_AGE_MS) {
    throw new DomainError(422, 'SOURCE_TIME_TOO_OLD', `${value} is older than the stock history kept`, [
      { path, message: `at most ${MAX_SOURCE_TIME_AGE_MS / 86_400_000} days before ${now}` },
    ]);
  }
  return at;
}

/**
 * Sets the absolute on-hand count from the system of record (a POS or WMS count) as of `countedAt`:
 * movements after that time already applied stay on top of it; units reserved stay reserved. A
 * count no newer than the last applied one is recorded in the position's history and answered
 * `applied: false` with the reason. With a source system and event id, a repeat answers the first
 * result (a different count under the same id is refused).
 */
export async function setCount(
  ports: InventoryPorts,
  sku: string,
  locationId: string,
  input: PositionInput,
): Promise<Record<string, unknown>> {
  if (!(await ports.inventory.getLocation(locationId))) throw unknownLocation('locationId', locationId);
  const { sourceSystem, sourceEventId } = input;
  const sourced = sourceSystem !== undefined && sourceEventId !== undefined;
  const fingerprint = requestFingerprint({ sku, locationId, ...input });
  for (let attempt = 1; attempt <= MAX_CONTENTION_ATTEMPTS; attempt++) {
    if (sourced) {
      const existing = await ports.inventory.getAdjustment(sourceSystem, sourceEventId);
      if (existing) {
        if (existing.fingerprint !== fingerprint) throw idempotencyKeyReused('sourceEventId');
        return existing.response.body as Record<string, unknown>;
      }
    }
    const now = ports.now();
    const previous = await ports.inventory.getPosition(sku, locationId);
    // A count without its own time is as of its receipt, after everything applied so far (also a
    // count dated by a source clock that runs a little ahead).
    const lastCountAt = previous?.lastCountAt;
    const countedAt = input.countedAt
      ? sourceTime(input.countedAt, now, 'countedAt')
      : lastCountAt && lastCountAt > now
        ? lastCountAt
        : now;
    const record = {
      kind: 'count' as const,
      sku,
      locationId,
      occurredAt: countedAt,
      receivedAt: now,
      // An unsourced count gets an id of its own, so two in one millisecond keep two records.
      ...(sourced ? { sourceSystem, sourceEventId } : { sourceEventId: ports.newId('count') }),
      counted: input.onHand,
      onHandBefore: previous?.onHand ?? 0,
    };
    let body: Record<string, unknown>;
    const items: TransactItem[] = [];
    const newer = input.countedAt ? afterLastCount(lastCountAt, countedAt) : true;
    if (!newer) {
      const reason = 'OLDER_THAN_LAST_COUNT' as const;
      body = {
        sku,
        applied: false,
        reason,
        message: STOCK_RECORD_REASONS[reason],
        countedAt,
        lastCountAt: previous?.lastCountAt,
        ...positionView(previous ?? emptyPosition(sku, locationId)),
      };
      items.push(
        ports.inventory.stockRecordOp({
          ...record,
          applied: false,
          reason,
          onHandAfter: record.onHandBefore,
        }),
      );
    } else {
      const later = await ports.inventory.movementsAfter(sku, locationId, countedAt);
      const onHand = onHandAsOf(input.onHand, later);
      const reserved = previous?.reserved ?? 0;
      const safetyStock = input.safetyStock ?? previous?.safetyStock ?? 0;
      const next: Position = {
        sku,
        locationId,
        onHand,
        reserved,
        safetyStock,
        available: computeAvailable(onHand, reserved, safetyStock),
        version: (previous?.version ?? 0) + 1,
        lastCountAt: countedAt,
      };
      const change: PositionChange = {
        type: 'count',
        ref: sourced
          ? { type: 'count', id: sourceEventId, source: sourceSystem }
          : { type: 'count', id: now },
        reason: 'count',
      };
      body = { sku, applied: true, countedAt, laterMovements: later, ...positionView(next) };
      const fall = sellable(previous ?? { available: 0 }) - sellable(next);
      items.push(
        ports.inventory.countOp(previous, next, change, now),
        ports.inventory.stockRecordOp({
          ...record,
          applied: true,
          laterMovements: later,
          onHandAfter: onHand,
        }),
        ...(await stockFallItems(ports, sku, locationId, fall)),
      );
    }
    if (sourced) {
      items.push(
        ports.inventory.adjustmentLedgerOp({
          sourceSystem,
          sourceEventId,
          fingerprint,
          response: { statusCode: 200, body },
          createdAt: now,
        }),
      );
    }
    const result = await ports.transact(items);
    if (result.kind === 'committed') return body;
    await contentionBackoff(attempt);
  }
  throw concurrentUpdate('The position changed too often while counting; retry', 'onHand', 'contention');
}

const emptyPosition = (sku: string, locationId: string): Position => ({
  sku,
  locationId,
  onHand: 0,
  reserved: 0,
  safetyStock: 0,
  available: 0,
  version: 0,
});

/**
 * Applies a relative movement (receipt, damage, shrink, a POS sale) once per source system and
 * `sourceEventId`: the ledger entry (which keeps the first answer), the position change and its
 * history record commit together; a repeat returns the first answer, status included. A movement
 * that happened before the position's last applied count is already in that count: it is recorded
 * and answered `applied: false`.
 */
export async function adjustInventory(
  ports: InventoryPorts,
  input: AdjustmentInput,
): Promise<StoredResponse & { replayed: boolean }> {
  const fingerprint = requestFingerprint(input);
  if (!(await ports.inventory.getLocation(input.locationId)))
    throw unknownLocation('locationId', input.locationId);
  for (let attempt = 1; attempt <= MAX_CONTENTION_ATTEMPTS; attempt++) {
    const existing = await ports.inventory.getAdjustment(input.sourceSystem, input.sourceEventId);
    if (existing) {
      if (existing.fingerprint !== fingerprint) throw idempotencyKeyReused('sourceEventId');
      return { ...existing.response, replayed: true };
    }
    const now = ports.now();
    const occurredAt = sourceTime(input.occurredAt, now, 'occurredAt');
    const position = await ports.inventory.getPosition(input.sku, input.locationId);
    const onHandBefore = position?.onHand ?? 0;
    const record = {
      kind: 'adjustment' as const,
      sku: input.sku,
      locationId: input.locationId,
      occurredAt,
      receivedAt: now,
      sourceSystem: input.sourceSystem,
      sourceEventId: input.sourceEventId,
      delta: input.delta,
      note: input.reason,
      onHandBefore,
    };
    const ledger = (response: StoredResponse) =>
      ports.inventory.adjustmentLedgerOp({
        sourceSystem: input.sourceSystem,
        sourceEventId: input.sourceEventId,
        fingerprint,
        response,
        createdAt: now,
      });
    // Only a movement that says when it happened can predate a count; one without a time is as of
    // its receipt, after everything applied so far.
    if (input.occurredAt && !afterLastCount(position?.lastCountAt, occurredAt)) {
      const reason = 'BEFORE_LAST_COUNT' as const;
      const response: StoredResponse = {
        statusCode: 200,
        body: {
          ...input,
          occurredAt,
          status: 'IGNORED',
          applied: false,
          reason,
          message: STOCK_RECORD_REASONS[reason],
          lastCountAt: position?.lastCountAt,
        },
      };
      const result = await ports.transact([
        ledger(response),
        ports.inventory.stockRecordOp({ ...record, applied: false, reason, onHandAfter: onHandBefore }),
      ]);
      if (result.kind === 'committed') return { ...response, replayed: false };
      continue; // a concurrent duplicate won: its answer is replayed
    }
    const response: StoredResponse = {
      statusCode: 201,
      body: { ...input, occurredAt, status: 'APPLIED', applied: true, appliedAt: now },
    };
    const result = await ports.transact([
      ledger(response),
      ports.inventory.adjustOp(
        input.sku,
        input.locationId,
        input.delta,
        {
          type: 'adjustment',
          ref: { type: 'adjustment', id: input.sourceEventId, source: input.sourceSystem },
          reason: input.reason,
        },
        now,
        input.occurredAt ? occurredAt : undefined,
      ),
      ports.inventory.stockRecordOp({ ...record, applied: true, onHandAfter: onHandBefore + input.delta }),
      ...(await stockFallItems(ports, input.sku, input.locationId, -input.delta)),
    ]);
    if (result.kind === 'committed') return { ...response, replayed: false };
    if (result.reasons[0]?.code === 'ConditionalCheckFailed') continue; // a concurrent duplicate won
    const refused = result.reasons[1];
    if (refused?.code === 'ConditionalCheckFailed') {
      const lastCountAt = refused.item?.lastCountAt as string | undefined;
      if (input.occurredAt && !afterLastCount(lastCountAt, occurredAt)) continue; // a newer count landed first
      const onHand = Number(refused.item?.onHand ?? 0);
      throw new DomainError(409, 'ADJUSTMENT_BELOW_ZERO', `On hand is ${onHand}; it cannot go below zero`, [
        { path: 'delta', message: `would take on hand below zero (on hand ${onHand})`, onHand },
      ]);
    }
    await contentionBackoff(attempt);
  }
  throw concurrentUpdate('The position changed too often while adjusting; retry', 'sku', 'contention');
}

/** A position's counts and movements, newest by source time first, applied or ignored. */
export async function getStockHistory(ports: InventoryPorts, sku: string, locationId: string, limit = 50) {
  return { sku, locationId, items: await ports.inventory.stockHistory(sku, locationId, limit) };
}

export async function getInventory(ports: InventoryPorts, sku: string) {
  const positions = await ports.inventory.getPositions(sku);
  return {
    sku,
    positions: positions.sort((a, b) => a.locationId.localeCompare(b.locationId)).map(positionView),
  };
}

export async function putChannelRule(
  ports: InventoryPorts,
  ruleId: string,
  input: ChannelRuleInput,
): Promise<ChannelRule> {
  const rule = { ...input, ruleId, updatedAt: ports.now() } as ChannelRule;
  if (rule.locations) {
    const known = new Set((await ports.inventory.listLocations()).map((l) => l.locationId));
    const index = rule.locations.findIndex((l) => !known.has(l));
    if (index >= 0) throw unknownLocation(`locations.${index}`, rule.locations[index] ?? '');
    const overlapping = overlappingScopes(rule, await ports.inventory.listRules());
    if (overlapping.length > 0) {
      throw new DomainError(
        409,
        'RULE_SCOPE_OVERLAP',
        `The locations partly overlap those of rule ${overlapping.join(', ')}: scopes must be nested or apart`,
        [
          {
            path: 'locations',
            message: `partly overlaps rule ${overlapping.join(', ')}`,
            rules: overlapping,
          },
        ],
      );
    }
  }
  await ports.inventory.putRule(rule);
  forgetReferenceData(ports);
  return rule;
}

export async function listChannelRules(ports: InventoryPorts) {
  return { items: (await ports.inventory.listRules()).sort((a, b) => a.ruleId.localeCompare(b.ruleId)) };
}

export async function deleteChannelRule(ports: InventoryPorts, ruleId: string): Promise<void> {
  const deleted = await ports.inventory.deleteRule(ruleId);
  forgetReferenceData(ports);
  if (!deleted) {
    throw notFound('Channel rule', ruleId, 'ruleId', 'no such rule');
  }
}

export interface AvailabilityQuery {
  skus: string[];
  /** Narrows `locations` (and `available`) to one location. */
  locationId?: string;
  /** Pickup stores nearest this point first, with their distance. */
  near?: { lat: number; lon: number };
  /** At most this many pickup stores per SKU. */
  limit?: number;
}

/**
 * What the caller's channel may get now, after safety stock and its allocation rules, by fulfilment
 * method: `ship` (locations that ship) and `pickup` (each store that offers it, nearest first when
 * asked). `available` is the ship figure (or, with `locationId`, that location's), kept for clients
 * of the first version; `limitedBy` names the rules that took units from this channel. Unknown SKUs
 * have nothing available; they are not an error.
 */
export async function getAvailability(ports: InventoryPorts, channel: Principal, query: AvailabilityQuery) {
  const unique = [...new Set(query.skus)];
  const picture = await loadAnswerPicture(ports, unique);
  const { locationId, near } = query;
  if (locationId && !picture.locations.has(locationId)) throw unknownLocation('locationId', locationId);
  const distanceKm = (id: string) => {
    const geo = picture.locations.get(id)?.geo;
    return near && geo ? Math.round(getDistance(near, geo) / 100) / 10 : undefined;
  };
  return {
    channel,
    items: unique.map((sku) => {
      const all = picture.positions.get(sku) ?? [];
      const byMethod = availabilityByMethod(
        sku,
        channel,
        all,
        picture.locations,
        picture.rules,
        picture.allocations.get(sku),
      );
      const total = byMethod.channel.available;
      const locations = all
        .filter((p) => !locationId || p.locationId === locationId)
        .map((p) => ({ locationId: p.locationId, available: channelLocationAvailable(p, total) }))
        .sort((a, b) => a.locationId.localeCompare(b.locationId));
      const pickup = byMethod.pickup
        .map((p) => {
          const km = distanceKm(p.locationId);
          return {
            locationId: p.locationId,
            name: picture.locations.get(p.locationId)?.name ?? p.locationId,
            available: p.available,
            ...(km !== undefined ? { distanceKm: km } : {}),
          };
        })
        .sort((a, b) => (a.distanceKm ?? 0) - (b.distanceKm ?? 0) || a.locationId.localeCompare(b.locationId))
        .slice(0, query.limit ?? LIMITS.maxPickupStoresPerSku);
      return {
        sku,
        available: locationId ? (locations[0]?.available ?? 0) : byMethod.ship,
        ship: byMethod.ship,
        pickup,
        ...(byMethod.channel.appliedRules.length > 0 ? { limitedBy: byMethod.channel.appliedRules } : {}),
        locations,
      };
    }),
  };
}
