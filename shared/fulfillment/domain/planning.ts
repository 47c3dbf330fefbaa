import type { AllocatedLine, PlanningCandidate, PlanRequest, ProfileDecision } from '../../inventory';
import type { SourcingProfile } from './profile';
import {
  type CandidateLocation,
  type SourcingGroup,
  type SourcingResult,
  source,
  type UnfilledLine,
} from './sourcing';

/**
 * The sourcing engine as the inventory pool's planner: the candidates inventory reads (locations
 * as they fulfil now, with what the ordering channel may take of each SKU) become the engine's, and
 * its groups become allocated lines. Pure: the same request and profile give the same plan.
 */

/** A location as the engine ranks it; `used`: the groups it was given today. */
export function candidateOf({ location, stock }: PlanningCandidate, used?: number): CandidateLocation {
  return {
    locationId: location.locationId,
    type: location.type,
    geo: location.geo,
    country: location.country,
    fulfils: location.fulfils,
    // Status is already applied to `fulfils`: a closed location fulfils nothing.
    enabled: location.fulfils.length > 0,
    priority: location.priority,
    ...(location.channels ? { channels: location.channels } : {}),
    ...(location.dailyCapacity !== undefined
      ? { dailyCapacity: location.dailyCapacity, usedCapacityToday: used ?? 0 }
      : {}),
    ...(location.costPerShipmentMinor !== undefined
      ? { costPerShipmentMinor: location.costPerShipmentMinor }
      : {}),
    ...(location.carrierCutoff ? { carrierCutoff: location.carrierCutoff } : {}),
    stock,
  };
}

/** The UTC day of an instant, as daily capacity counts it. */
export const dayOf = (now: string) => now.slice(0, 10);

/** Sources a plan request under a profile; `usedToday` counts the groups each location was given today. */
export function sourcePlan(
  request: PlanRequest,
  profile: SourcingProfile,
  usedToday: ReadonlyMap<string, number> = new Map(),
): SourcingResult {
  const { delivery } = request;
  return source(
    {
      order: {
        orderId: request.orderId,
        channel: String(request.channel),
        lines: request.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
        delivery:
          delivery.type === 'ship'
            ? {
                type: 'ship',
                address: {
                  country: delivery.address.country,
                  postalCode: delivery.address.postalCode,
                  ...(delivery.address.lat !== undefined && delivery.address.lon !== undefined
                    ? { lat: delivery.address.lat, lon: delivery.address.lon }
                    : {}),
                },
              }
            : { type: 'pickup', locationId: delivery.locationId },
      },
      candidates: request.candidates.map((c) => candidateOf(c, usedToday.get(c.location.locationId))),
      excludedLocationIds: request.excludedLocationIds ?? [],
      now: request.now,
    },
    profile,
  );
}

/** Each group's lines as allocated lines (one allocation per line: the engine never splits a line). */
export function allocatedLines(groups: SourcingGroup[]): AllocatedLine[] {
  return groups.flatMap((g) =>
    g.lines.map((l) => ({
      sku: l.sku,
      quantity: l.quantity,
      allocations: [{ locationId: g.locationId, quantity: l.quantity }],
    })),
  );
}

/** The decision as another context keeps it: the explanation, the profile version, the replayable record. */
export const profileDecision = (result: SourcingResult): ProfileDecision => ({
  rule: 'sourcing-profile',
  summary: result.decision.explanation,
  profileId: result.decision.profileId,
  profileVersion: result.decision.profileVersion,
  record: result.decision as unknown as Record<string, unknown>,
});

/** What could not be placed, and why, in words. */
export const UNFILLED_REASONS: Record<UnfilledLine['reason'], string> = {
  noEligibleStock: 'no location that may fulfil it holds the whole quantity',
  maxSplitReached: "the profile's most shipments per order is reached",
  notStockedAtPickupStore: 'the pickup store does not hold it and ship-to-store is not allowed',
  pickupStoreUnavailable: 'the pickup store cannot take the order',
  noStrategyMatched: 'no strategy of the profile applies to this order',
};
