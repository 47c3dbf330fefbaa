import stringify from 'safe-stable-stringify';
import type { ChannelRuleInput, LocationInput } from '../schemas';
import type { AllocationState } from './allocation';

/**
 * Whether a location takes work now: `disabled` (store closed, WMS down, stock take: nothing ships
 * or is picked up there) or `pickup-disabled` (it still ships). `until`, when set, ends the status by
 * itself; `reason` says why, for whoever asks.
 */
export type LocationState = 'enabled' | 'disabled' | 'pickup-disabled';
export interface LocationStatus {
  state: LocationState;
  reason?: string;
  until?: string;
  changedAt: string;
}

/** A store or distribution centre. */
export interface Location extends LocationInput {
  locationId: string;
  priority: number;
  updatedAt: string;
  status?: LocationStatus;
}

/** The status in force at `now`: a status whose `until` has passed is over. */
export function statusAt(location: Pick<Location, 'status'>, now: string): LocationState {
  const status = location.status;
  if (!status || (status.until !== undefined && status.until <= now)) return 'enabled';
  return status.state;
}

/** The locations by id, each with what it fulfils at `now` (a closed store fulfils nothing). */
export const locationsAt = (registered: Location[], now: string): Map<string, Location> =>
  new Map(registered.map((l) => [l.locationId, { ...l, fulfils: fulfilsAt(l, now) }]));

/** What a location fulfils at `now`, its status applied. */
export function fulfilsAt(location: Pick<Location, 'fulfils' | 'status'>, now: string): Location['fulfils'] {
  const state = statusAt(location, now);
  if (state === 'disabled') return [];
  return state === 'pickup-disabled' ? location.fulfils.filter((f) => f !== 'pickup') : location.fulfils;
}

export const DEFAULT_PRIORITY = 100;

/**
 * Stock of one SKU at one location. `available` is stored (onHand − reserved − safetyStock) so a
 * reservation can be a single conditional write (`available >= :qty`); it can be negative only when
 * a count lowers onHand below what is already reserved, and is never shown below zero.
 */
export interface Position {
  sku: string;
  locationId: string;
  onHand: number;
  reserved: number;
  safetyStock: number;
  available: number;
  version: number;
  /** The source time of the last applied count: older counts and movements are ignored. */
  lastCountAt?: string;
}

/** One channel's figure moving, as AvailabilityChanged announces it. */
export interface AvailabilityMove {
  channel: string;
  available: number;
  previous: number | null;
}

/**
 * What each channel may sell of a SKU, as last decided. A new version is recorded with the moves it
 * announces still `pending`; they are cleared once on the bus, so a crash in between republishes
 * the same moves (same ids) instead of losing them, and a writer that lost the race for a version
 * never announces figures of its own for it.
 */
export interface AvailabilitySnapshot {
  channels: Record<string, number>;
  /** 0 when nothing was decided yet. */
  version: number;
  pending?: { moves: AvailabilityMove[]; at: string };
  /** What availability answers are computed from, as of the last change the stream carried. */
  readModel?: AvailabilityReadModel;
}

/**
 * A SKU's positions (stored available by location) and the state of its channel rules, kept on the
 * snapshot item so that an availability answer for up to 100 SKUs is one BatchGetItem. Location
 * status and the rules themselves are applied when answering, so closing a store shows at once.
 */
export interface AvailabilityReadModel {
  positions: Record<string, number>;
  allocation?: AllocationState;
  /** Stocked at more than {@link MAX_READ_MODEL_LOCATIONS}: answers read the positions instead. */
  tooLarge?: true;
}

/**
 * A read model lists one figure per location (about 25 bytes each); past this many the snapshot
 * item would cost more write units on every change than the positions cost to read, and would near
 * DynamoDB's 400 KB item limit.
 */
export const MAX_READ_MODEL_LOCATIONS = 2_000;

export function readModelOf(
  positions: Pick<Position, 'locationId' | 'available'>[],
  allocation: AllocationState | undefined,
): AvailabilityReadModel {
  if (positions.length > MAX_READ_MODEL_LOCATIONS) return { positions: {}, tooLarge: true };
  return {
    positions: Object.fromEntries(positions.map((p) => [p.locationId, p.available])),
    ...(allocation ? { allocation } : {}),
  };
}

/** Key order does not matter: a stored map comes back in any order. */
export const sameReadModel = (a: AvailabilityReadModel | undefined, b: AvailabilityReadModel): boolean =>
  a !== undefined && stringify(a) === stringify(b);

export type ChannelRule = ChannelRuleInput & { ruleId: string; updatedAt: string };

/** What a position can still promise: never below zero. */
export const sellable = (position: Pick<Position, 'available'>): number => Math.max(0, position.available);

export function computeAvailable(onHand: number, reserved: number, safetyStock: number): number {
  return onHand - reserved - safetyStock;
}

/** Per-location figure for a channel: the location's own sellable stock, within the channel's total. */
export const channelLocationAvailable = (
  position: Pick<Position, 'available'>,
  channelTotal: number,
): number => Math.min(sellable(position), channelTotal);

/**
 * The positions that can serve anything: at a known location that fulfils something now (the
 * locations' fulfilment already has their status applied). A closed store's units are not part of
 * the network a channel's share is taken from.
 */
export const activePositions = <P extends Pick<Position, 'locationId'>>(
  positions: P[],
  locations: ReadonlyMap<string, Pick<Location, 'fulfils'>>,
): P[] => positions.filter((p) => (locations.get(p.locationId)?.fulfils.length ?? 0) > 0);
