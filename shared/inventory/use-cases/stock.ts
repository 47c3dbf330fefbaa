import { getDistance } from 'geolib';
import { contentionBackoff, MAX_CONTENTION_ATTEMPTS } from '../../platform/dynamodb';
import { concurrentUpdate, DomainError, idempotencyKeyReused, notFound } from '../../platform/errors';
import { requestFingerprint, type StoredResponse } from '../../platform/idempotency/fingerprint';
import type { Principal } from '../../platform/principals';
import { availabilityByMethod, overlappingScopes } from '../domain/allocation';
import { unknownLocation } from '../domain/errors';
import {
  type ChannelRule,
  channelLocationAvailable,
  DEFAULT_PRIORITY,
  type Location,
  type LocationStatus,
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
 * Sets the absolute on-hand count from the system of record (a POS or WMS count). Units reserved
 * at the moment of the write stay reserved; available is recomputed around them.
 */
export async function setCount(ports: InventoryPorts, sku: string, locationId: string, input: PositionInput) {
  if (!(await ports.inventory.getLocation(locationId))) throw unknownLocation('locationId', locationId);
  for (let attempt = 1; attempt <= MAX_CONTENTION_ATTEMPTS; attempt++) {
    const count = await ports.inventory.prepareCount(
      sku,
      locationId,
      input.onHand,
      input.safetyStock,
      ports.now(),
    );
    const fall = sellable(count.previous ?? { available: 0 }) - sellable(count.next);
    const result = await ports.transact([count.op, ...(await stockFallItems(ports, sku, locationId, fall))]);
    if (result.kind === 'committed') return { sku, ...positionView(count.next) };
    await contentionBackoff(attempt);
  }
  throw concurrentUpdate('The position changed too often while counting; retry', 'onHand', 'contention');
}

/**
 * Applies a relative movement (receipt, damage, shrink) once per source system and `sourceEventId`:
 * the ledger entry (which keeps the first answer) and the position change commit together; a repeat
 * returns the first answer, status included.
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
    const response: StoredResponse = {
      statusCode: 201,
      body: { ...input, status: 'APPLIED', appliedAt: now },
    };
    const result = await ports.transact([
      ports.inventory.adjustmentLedgerOp({
        sourceSystem: input.sourceSystem,
        sourceEventId: input.sourceEventId,
        fingerprint,
        response,
        createdAt: now,
      }),
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
      ),
      ...(await stockFallItems(ports, input.sku, input.locationId, -input.delta)),
    ]);
    if (result.kind === 'committed') return { ...response, replayed: false };
    if (result.reasons[0]?.code === 'ConditionalCheckFailed') continue; // a concurrent duplicate won
    if (result.reasons[1]?.code === 'ConditionalCheckFailed') {
      const onHand = Number(result.reasons[1].item?.onHand ?? 0);
      throw new DomainError(409, 'ADJUSTMENT_BELOW_ZERO', `On hand is ${onHand}; it cannot go below zero`, [
        { path: 'delta', message: `would take on hand below zero (on hand ${onHand})`, onHand },
      ]);
    }
    await contentionBackoff(attempt);
  }
  throw concurrentUpdate('The position changed too often while adjusting; retry', 'sku', 'contention');
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
