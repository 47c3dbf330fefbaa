import { DomainError, type ErrorDetail } from '../../platform/errors';
import type { Principal } from '../../platform/principals';
import { insufficientStock, unknownLocation } from '../domain/errors';
import { type SourcingResult, sourceOrder } from '../domain/sourcing';
import {
  activePositions,
  type ChannelRule,
  channelAvailability,
  type Location,
  locationsAt,
  type Position,
} from '../domain/stock';
import type { Delivery, LineInput } from '../schemas';
import type { InventoryPorts, InventoryRepository } from './ports';

/** Everything a placement decision reads: locations, the SKUs' positions and the channel rules. */
export interface StockPicture {
  /** Each location with what it fulfils now. */
  locations: Map<string, Location>;
  /** Each location as registered (its own `fulfils` and its status). */
  registered: Map<string, Location>;
  positions: Map<string, Position[]>;
  rules: ChannelRule[];
}

/**
 * Locations and channel rules change a few times a day but are read by every availability call and
 * every order, so each execution environment keeps them for a second. Writes through this process
 * drop the copy at once; elsewhere (another Lambda environment) a change shows within REFERENCE_TTL_MS.
 */
export const REFERENCE_TTL_MS = 1_000;
const referenceCache = new Map<string, { at: number; value: Promise<unknown> }>();

function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = referenceCache.get(key);
  if (hit && Date.now() - hit.at < REFERENCE_TTL_MS) return hit.value as Promise<T>;
  const value = load();
  referenceCache.set(key, { at: Date.now(), value });
  value.catch(() => referenceCache.delete(key));
  return value;
}

/** Forgets the cached locations and rules of a table (after this process changed them). */
export function forgetReferenceData(ports: { inventory: InventoryRepository }): void {
  referenceCache.delete(`locations:${ports.inventory.tableName}`);
  referenceCache.delete(`rules:${ports.inventory.tableName}`);
}

/**
 * The locations, rules and positions a decision reads. Each location's `fulfils` is what it fulfils
 * now, its status applied (a closed store fulfils nothing); `registered` keeps the locations as
 * they are registered, for messages that explain a refusal.
 */
export async function loadStockPicture(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  skus: string[],
  options: { consistent?: boolean } = {},
): Promise<StockPicture> {
  const [locations, rules, ...positionLists] = await Promise.all([
    cached(`locations:${ports.inventory.tableName}`, () => ports.inventory.listLocations()),
    cached(`rules:${ports.inventory.tableName}`, () => ports.inventory.listRules()),
    ...skus.map((sku) => ports.inventory.getPositions(sku, options)),
  ]);
  return {
    locations: locationsAt(locations, ports.now()),
    registered: new Map(locations.map((l) => [l.locationId, l])),
    positions: new Map(skus.map((sku, i) => [sku, positionLists[i] ?? []])),
    rules,
  };
}

/**
 * Reads the network and decides where the lines go, for an order or a hold. Unknown SKUs and
 * locations are the caller's mistake (422, with the field); shortage is a fact of the moment (409).
 */
export async function placeLines(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  channel: Principal,
  lines: LineInput[],
  delivery: Delivery,
): Promise<Extract<SourcingResult, { ok: true }>> {
  const picture = await loadStockPicture(
    ports,
    lines.map((l) => l.sku),
  );
  const unknown: ErrorDetail[] = [];
  lines.forEach((line, index) => {
    if ((picture.positions.get(line.sku) ?? []).length === 0) {
      unknown.push({
        path: `lines.${index}.sku`,
        message: 'unknown SKU: not stocked at any location',
        sku: line.sku,
      });
    }
  });
  if (unknown.length > 0) {
    throw new DomainError(
      422,
      'UNKNOWN_SKU',
      `Unknown SKU: ${unknown.map((u) => u.sku).join(', ')}`,
      unknown,
    );
  }
  if (delivery.type === 'pickup') {
    const location = picture.locations.get(delivery.locationId);
    if (!location) {
      throw unknownLocation('delivery.locationId', delivery.locationId);
    }
    if (!location.fulfils.includes('pickup')) {
      const status = picture.registered.get(location.locationId)?.status;
      const suspended =
        location.fulfils.length < (picture.registered.get(location.locationId)?.fulfils.length ?? 0);
      const why = suspended
        ? `pickup is suspended${status?.reason ? `: ${status.reason}` : ''}${status?.until ? ` (until ${status.until})` : ''}`
        : 'this location does not offer pickup';
      throw new DomainError(422, 'LOCATION_CANNOT_FULFIL', `${location.name}: ${why}`, [
        { path: 'delivery.locationId', message: why, locationId: location.locationId },
      ]);
    }
  }
  const channelLimit = new Map(
    lines.map((l) => [
      l.sku,
      channelAvailability(
        l.sku,
        channel,
        activePositions(picture.positions.get(l.sku) ?? [], picture.locations),
        picture.rules,
      ).available,
    ]),
  );
  const result = sourceOrder({
    lines,
    delivery,
    locations: picture.locations,
    positions: picture.positions,
    channelLimit,
  });
  if (!result.ok) throw insufficientStock(result.short);
  return result;
}
