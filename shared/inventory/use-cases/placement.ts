import type { TransactItem } from '../../platform/dynamodb';
import { concurrentUpdate, DomainError, type ErrorDetail } from '../../platform/errors';
import type { Principal } from '../../platform/principals';
import {
  type AllocationMove,
  type AllocationState,
  availabilityByMethod,
  type Constraint,
  constrainedAt,
  recomputeAllocation,
  reservationMove,
  rulesFor,
  stockFallMove,
} from '../domain/allocation';
import { insufficientStock, unknownLocation } from '../domain/errors';
import type { PositionChange } from '../domain/hold';
import type { AllocatedLine, PlacementDecision, ProfileDecision } from '../domain/sourcing';
import { sourceOrder } from '../domain/sourcing';
import { type ChannelRule, type Location, locationsAt, type Position, sellable } from '../domain/stock';
import type { Delivery, LineInput } from '../schemas';
import type { InventoryPorts, InventoryRepository, RuleBook } from './ports';

/** Everything a placement decision reads: locations, the SKUs' positions and the channel rules. */
export interface StockPicture {
  /** Each location with what it fulfils now. */
  locations: Map<string, Location>;
  /** Each location as registered (its own `fulfils` and its status). */
  registered: Map<string, Location>;
  positions: Map<string, Position[]>;
  rules: ChannelRule[];
  rulesVersion: number;
  /** The state of each SKU's channel rules, current for the rules read (SKUs without rules: absent). */
  allocations: Map<string, AllocationState>;
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

/** The channel rules and their book's version, from this environment's one-second copy. */
export const currentRuleBook = (ports: { inventory: InventoryRepository }): Promise<RuleBook> =>
  cached(`rules:${ports.inventory.tableName}`, () => ports.inventory.ruleBook());

/**
 * The allocation item move for a fall in stock at a location (a count or an adjustment), if the
 * SKU is under rules: committed with the fall, so a rule never promises units that just left.
 */
export async function stockFallItems(
  ports: Pick<InventoryPorts, 'inventory'>,
  sku: string,
  locationId: string,
  fall: number,
): Promise<TransactItem[]> {
  if (fall <= 0) return [];
  // Read fresh, not from this environment's copy: a rule another environment already applies must
  // not keep counting units that just left.
  const move = stockFallMove(rulesFor(await ports.inventory.listRules(), sku), '', locationId, fall);
  return move ? [ports.inventory.allocationOp(sku, move, false)] : [];
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
  options: { consistent?: boolean; settle?: boolean } = {},
): Promise<StockPicture> {
  const [locations, book, stored, ...positionLists] = await Promise.all([
    cached(`locations:${ports.inventory.tableName}`, () => ports.inventory.listLocations()),
    currentRuleBook(ports),
    ports.inventory.getAllocations(skus, options),
    ...skus.map((sku) => ports.inventory.getPositions(sku, options)),
  ]);
  const rules = book.rules;
  const picture: StockPicture = {
    locations: locationsAt(locations, ports.now()),
    registered: new Map(locations.map((l) => [l.locationId, l])),
    positions: new Map(skus.map((sku, i) => [sku, positionLists[i] ?? []])),
    rules,
    rulesVersion: book.version,
    allocations: stored,
  };
  for (const sku of skus) {
    const applicable = rulesFor(rules, sku);
    const state = stored.get(sku);
    const fresh = recomputeAllocation(
      sku,
      picture.positions.get(sku) ?? [],
      picture.locations,
      applicable,
      state,
      picture.rulesVersion,
    );
    if (state?.ruleSet === fresh.ruleSet || (applicable.length === 0 && !state)) continue;
    // The rules changed since the state was recorded (or it was never recorded): placement records
    // it before reserving against it; an answer only computes it.
    picture.allocations.set(
      sku,
      options.settle
        ? await settleAllocation(ports, sku, picture)
        : { ...fresh, version: state?.version ?? 0 },
    );
  }
  return picture;
}

/** What an availability answer reads: per SKU, the stored available figure of each location. */
export interface AnswerPicture {
  locations: Map<string, Location>;
  positions: Map<string, Pick<Position, 'locationId' | 'available'>[]>;
  rules: ChannelRule[];
  allocations: Map<string, AllocationState>;
}

/**
 * The figures an availability answer is computed from, in one DynamoDB request for up to 100 SKUs:
 * the snapshot items the stream keeps (never older than the stream's lag). A SKU without a snapshot
 * yet (just stocked, or the stream behind) is read from its positions instead. Locations and rules
 * come from this environment's one-second copy, and status is applied now, so a closed store is
 * out of the answer at once.
 */
export async function loadAnswerPicture(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  skus: string[],
): Promise<AnswerPicture> {
  const [registered, book, snapshots] = await Promise.all([
    cached(`locations:${ports.inventory.tableName}`, () => ports.inventory.listLocations()),
    currentRuleBook(ports),
    ports.inventory.getAvailabilitySnapshots(skus),
  ]);
  const rules = book.rules;
  const locations = locationsAt(registered, ports.now());
  const modelOf = (sku: string) => {
    const model = snapshots.get(sku)?.readModel;
    return model && !model.tooLarge ? model : undefined;
  };
  const missing = skus.filter((sku) => !modelOf(sku));
  const [fallbackStates, ...fallbackPositions] = await Promise.all([
    missing.length > 0 ? ports.inventory.getAllocations(missing, { consistent: false }) : new Map(),
    ...missing.map((sku) => ports.inventory.getPositions(sku, { consistent: false })),
  ]);
  const positions = new Map<string, Pick<Position, 'locationId' | 'available'>[]>();
  const allocations = new Map<string, AllocationState>();
  for (const sku of skus) {
    const model = modelOf(sku);
    const index = missing.indexOf(sku);
    const own = model
      ? Object.entries(model.positions).map(([locationId, available]) => ({ locationId, available }))
      : (fallbackPositions[index] ?? []);
    positions.set(sku, own);
    const state: AllocationState | undefined = model ? model.allocation : fallbackStates.get(sku);
    const applicable = rulesFor(rules, sku);
    const fresh = recomputeAllocation(sku, own, locations, applicable, state, book.version);
    // Rules or closed locations changed since the state was recorded: answer as placement will decide.
    if (state && state.ruleSet === fresh.ruleSet) allocations.set(sku, state);
    else if (applicable.length > 0 || state) allocations.set(sku, { ...fresh, version: state?.version ?? 0 });
  }
  return { locations, positions, rules, allocations };
}

/**
 * Records the state of a SKU's rules as the positions give it now; returns the state recorded. If
 * the item was recorded for a newer rule book than this environment's copy, the copy is reloaded
 * first (the picture then carries the newer rules), so environments never overwrite each other.
 */
async function settleAllocation(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  sku: string,
  picture: StockPicture,
): Promise<AllocationState> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const previous = (await ports.inventory.getAllocations([sku])).get(sku);
    if (previous && previous.rulesVersion > picture.rulesVersion) {
      forgetReferenceData(ports);
      const book = await currentRuleBook(ports);
      picture.rules = book.rules;
      picture.rulesVersion = book.version;
    }
    const positions = await ports.inventory.getPositions(sku);
    picture.positions.set(sku, positions);
    const applicable = rulesFor(picture.rules, sku);
    const fresh = recomputeAllocation(
      sku,
      positions,
      picture.locations,
      applicable,
      previous,
      picture.rulesVersion,
    );
    if (previous?.ruleSet === fresh.ruleSet) return previous;
    const version = previous?.version ?? 0;
    if (await ports.inventory.putAllocation(sku, fresh, version, ports.now()))
      return { ...fresh, version: version + 1 };
  }
  throw concurrentUpdate(
    'The stock changed too often while applying channel rules; retry',
    'lines',
    'contention',
  );
}

/** A location as a planner sees it: as it fulfils now, with what the channel may take there of each SKU. */
export interface PlanningCandidate {
  location: Location;
  /** Units of each SKU the channel may take at this location (its channel rules applied). */
  stock: Record<string, number>;
}

/** What a planner is asked: place these lines for this channel, from these candidates. */
export interface PlanRequest {
  orderId: string;
  channel: Principal;
  lines: LineInput[];
  delivery: Delivery;
  candidates: PlanningCandidate[];
  /** Locations that must not be chosen (they rejected or failed this order's work). */
  excludedLocationIds?: string[];
  now: string;
}

/** A planner's answer: each line at its locations, and why; `unfilled` lines it could not place. */
export interface PlanOutcome {
  lines: AllocatedLine[];
  unfilled: { sku: string; quantity: number; reason: string }[];
  decision: ProfileDecision;
}

/**
 * Who decides where an order's lines go, when given (the fulfillment context's sourcing profiles).
 * Placement keeps the guarantees: a planner only sees what the channel may take, and what it
 * decides is reserved with the same conditional writes as any placement.
 */
export interface Planner {
  plan(request: PlanRequest): Promise<PlanOutcome>;
}

/** The candidates of a decision: every location as it fulfils now, with the channel's units of each SKU. */
export function planningCandidates(
  picture: StockPicture,
  channel: Principal,
  skus: string[],
): PlanningCandidate[] {
  const stock = new Map<string, Record<string, number>>();
  for (const sku of skus) {
    const { constraints } = availabilityByMethod(
      sku,
      channel,
      picture.positions.get(sku) ?? [],
      picture.locations,
      picture.rules,
      picture.allocations.get(sku),
    );
    for (const position of picture.positions.get(sku) ?? []) {
      const units = constrainedAt(position.locationId, sellable(position), constraints);
      if (units <= 0) continue;
      const own = stock.get(position.locationId) ?? {};
      own[sku] = units;
      stock.set(position.locationId, own);
    }
  }
  return [...picture.locations.values()].map((location) => ({
    location,
    stock: stock.get(location.locationId) ?? {},
  }));
}

/**
 * The network as a planner sees it for these SKUs and this channel, read consistently: for a
 * reroute, which places what it decides with {@link placeAllocations}.
 */
export async function readPlanningCandidates(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  channel: Principal,
  skus: string[],
): Promise<PlanningCandidate[]> {
  const picture = await loadStockPicture(ports, skus, { consistent: true });
  return planningCandidates(picture, channel, skus);
}

/**
 * The transaction items that reserve lines already placed (by a planner, for a reroute): each
 * position's conditional reservation and each SKU's channel-rule guards, as for any order.
 */
export async function placeAllocations(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  channel: Principal,
  lines: AllocatedLine[],
  change: PositionChange,
  now: string,
): Promise<{ lines: AllocatedLine[]; stockOps: TransactItem[] }> {
  const picture = await loadStockPicture(
    ports,
    lines.map((l) => l.sku),
    { settle: true },
  );
  const placed = withRuleMoves(picture, channel, lines, { rule: 'sourcing-profile' } as PlacementDecision);
  return { lines: placed.lines, stockOps: reservationItems(ports, placed, change, now) };
}

/** Each line's channel-rule move, and the lines with the units their share rules count. */
function withRuleMoves(
  picture: StockPicture,
  channel: Principal,
  lines: AllocatedLine[],
  decision: PlacementDecision,
): PlacedLines {
  const moves = new Map<string, AllocationMove>();
  const placed = lines.map((line) => {
    const state = picture.allocations.get(line.sku);
    const move = state
      ? reservationMove(channel, rulesFor(picture.rules, line.sku), state.ruleSet, line.allocations)
      : undefined;
    if (!move) return line;
    moves.set(line.sku, move);
    return move.counted.length > 0 ? { ...line, counted: move.counted } : line;
  });
  return { lines: placed, decision, moves };
}

/**
 * Reads the network and decides where the lines go, for an order or a hold. Unknown SKUs and
 * locations are the caller's mistake (422, with the field); shortage is a fact of the moment (409).
 * With a `planner`, a ship order's lines go where it decides when it places every line; otherwise
 * (and for pickup, which reserves at the chosen store) the built-in placement decides, which may
 * split a line across locations: what availability shows a channel is always what it can order.
 */
export async function placeLines(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  channel: Principal,
  lines: LineInput[],
  delivery: Delivery,
  options: { planner?: Planner; orderId?: string } = {},
): Promise<PlacedLines> {
  const picture = await loadStockPicture(
    ports,
    lines.map((l) => l.sku),
    { settle: true },
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
  const channelLimit = new Map<string, number>();
  const constraints = new Map<string, Constraint[]>();
  for (const line of lines) {
    const byMethod = availabilityByMethod(
      line.sku,
      channel,
      picture.positions.get(line.sku) ?? [],
      picture.locations,
      picture.rules,
      picture.allocations.get(line.sku),
    );
    channelLimit.set(
      line.sku,
      delivery.type === 'ship'
        ? byMethod.ship
        : (byMethod.pickup.find((p) => p.locationId === delivery.locationId)?.available ?? 0),
    );
    constraints.set(line.sku, byMethod.constraints);
  }
  const result = sourceOrder({
    lines,
    delivery,
    locations: picture.locations,
    positions: picture.positions,
    channelLimit,
    constraints,
  });
  if (!result.ok) throw insufficientStock(result.short);
  if (options.planner && delivery.type === 'ship') {
    const skus = lines.map((l) => l.sku);
    const planned = await options.planner.plan({
      orderId: options.orderId ?? '',
      channel,
      lines,
      delivery,
      candidates: planningCandidates(picture, channel, skus),
      now: ports.now(),
    });
    // Within the channel's limits by construction; a planner that leaves a line unplaced (it never
    // splits a line across locations) yields to the built-in placement, which can.
    if (planned.unfilled.length === 0 && withinLimits(planned.lines, channelLimit)) {
      return withRuleMoves(picture, channel, planned.lines, planned.decision);
    }
  }
  return withRuleMoves(picture, channel, result.lines, result.decision);
}

/** Whether placed lines take no more of each SKU than the channel may get by this delivery. */
const withinLimits = (lines: AllocatedLine[], limits: Map<string, number>) =>
  lines.every((l) => l.allocations.reduce((n, a) => n + a.quantity, 0) <= (limits.get(l.sku) ?? 0));

/** Where the lines go, and how each SKU's channel rules move with them. */
export interface PlacedLines {
  lines: AllocatedLine[];
  decision: PlacementDecision;
  moves: Map<string, AllocationMove>;
}

/**
 * The transaction items that take placed lines: each position's conditional reservation and, per SKU
 * under channel rules, the allocation item with its guards (committed together, so a rule holds
 * exactly whatever runs at the same time).
 */
export function reservationItems(
  ports: Pick<InventoryPorts, 'inventory'>,
  placed: PlacedLines,
  change: PositionChange,
  now: string,
): TransactItem[] {
  return placed.lines.flatMap((line) => {
    const move = placed.moves.get(line.sku);
    return [
      ...line.allocations.map((a) => ports.inventory.reserveOp(line.sku, a, change, now)),
      ...(move ? [ports.inventory.allocationOp(line.sku, move, true)] : []),
    ];
  });
}

/** The items that give allocated lines back: positions, and what share rules counted. */
export function releaseItems(
  ports: Pick<InventoryPorts, 'inventory'>,
  lines: AllocatedLine[],
  change: PositionChange,
  now: string,
): TransactItem[] {
  return lines.flatMap((line) => [
    ...line.allocations.map((a) => ports.inventory.releaseOp(line.sku, a, change, now)),
    ...(line.counted && line.counted.length > 0
      ? [ports.inventory.allocationReleaseOp(line.sku, line.counted)]
      : []),
  ]);
}
