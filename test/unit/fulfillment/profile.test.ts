import {
  DEFAULT_PROFILE,
  type SourcingProfile,
  validateProfile,
} from '../../../shared/fulfillment/domain/profile';
import { profile, strategy } from './network';

/** The default profile with one change, as JSON written by a person would arrive. */
const edited = (change: (p: SourcingProfile) => unknown): unknown => {
  const copy = structuredClone(DEFAULT_PROFILE);
  return change(copy) ?? copy;
};

describe('validateProfile', () => {
  it('accepts the default profile and the test profiles', () => {
    expect(validateProfile(DEFAULT_PROFILE)).toEqual([]);
    expect(validateProfile(profile({ fallbacks: [strategy('fallback')] }))).toEqual([]);
  });

  it('names an unknown criterion by its path', () => {
    const problems = validateProfile(
      edited((p) => {
        (p.strategies[0]!.criteria as unknown[])[1] = { name: 'nearest' };
      }),
    );

    expect(problems).toEqual([
      {
        path: 'strategies[0].criteria[1].name',
        message:
          'unknown criterion "nearest" (one of distance, fewestShipments, priority, costPerShipment, mostStock, capacityLeft, carrierCutoff)',
      },
    ]);
  });

  it('refuses maxSplit below 1 or not an integer', () => {
    for (const maxSplit of [0, -1, 1.5, '2']) {
      expect(validateProfile(edited((p) => ({ ...p, defaults: { ...p.defaults, maxSplit } })))).toEqual([
        { path: 'defaults.maxSplit', message: 'must be an integer at least 1' },
      ]);
    }
  });

  it('refuses a profile without strategies', () => {
    expect(validateProfile(edited((p) => ({ ...p, strategies: [] })))).toEqual([
      { path: 'strategies', message: 'must list at least one strategy' },
    ]);
  });

  it('names every problem of a badly written strategy, each at its path', () => {
    const problems = validateProfile(
      edited((p) => ({
        ...p,
        fallbacks: [
          {
            name: 'nearest-with-capacity',
            conditions: {
              channels: [],
              minOrderValueMinor: 500,
              maxOrderValueMinor: 100,
              deliveryTypes: ['drone'],
            },
            filters: [
              { name: 'enabled' },
              { name: 'maxDistance' },
              { name: 'teleport' },
              { name: 'enabled' },
            ],
            criteria: [],
            weight: 3,
          },
        ],
      })),
    );

    expect(problems).toEqual([
      { path: 'fallbacks[0].weight', message: 'unknown field "weight"' },
      { path: 'fallbacks[0].name', message: 'strategy name "nearest-with-capacity" is used twice' },
      {
        path: 'fallbacks[0].conditions.channels',
        message: 'must be a non-empty list (omit it to match every order)',
      },
      {
        path: 'fallbacks[0].conditions.deliveryTypes[0]',
        message: 'unknown value "drone" (one of ship, pickup)',
      },
      { path: 'fallbacks[0].conditions.maxOrderValueMinor', message: 'must not be below minOrderValueMinor' },
      { path: 'fallbacks[0].filters[1].km', message: 'must be a number greater than 0' },
      {
        path: 'fallbacks[0].filters[2].name',
        message:
          'unknown filter "teleport" (one of enabled, fulfilsDeliveryType, channelAllowed, capacityLeft, notExcluded, maxDistance, pickupStore)',
      },
      { path: 'fallbacks[0].filters[3].name', message: 'filter "enabled" is listed twice' },
      { path: 'fallbacks[0].filters', message: 'must include the "fulfilsDeliveryType" filter' },
      { path: 'fallbacks[0].criteria', message: 'must list at least one criterion' },
    ]);
  });

  it('checks the defaults: split rule, distance, ship-to-store', () => {
    const problems = validateProfile(
      edited((p) => ({
        ...p,
        defaults: { maxSplit: 2, splitRule: {}, maxDistanceKm: 0, allowShipToStore: 'yes', maxSplits: 3 },
      })),
    );

    expect(problems).toEqual([
      { path: 'defaults.maxSplits', message: 'unknown field "maxSplits"' },
      { path: 'defaults.allowShipToStore', message: 'must be true or false' },
      { path: 'defaults.maxDistanceKm', message: 'must be a number greater than 0' },
      {
        path: 'defaults.splitRule',
        message: 'must set minDistanceSavedKm or minCostSavedMinor (or be omitted)',
      },
    ]);
    expect(
      validateProfile(
        edited((p) => ({ ...p, defaults: { maxSplit: 2, splitRule: { minCostSavedMinor: 2.5 } } })),
      ),
    ).toEqual([{ path: 'defaults.splitRule.minCostSavedMinor', message: 'must be an integer at least 0' }]);
  });

  it('checks the identity of the profile and a distance band', () => {
    const problems = validateProfile(
      edited((p) => {
        p.strategies[0]!.criteria = [{ name: 'distance', bandKm: -5 }];
        return { ...p, profileId: '', version: 0, status: 'live' };
      }),
    );

    expect(problems).toEqual([
      { path: 'profileId', message: 'must be a non-empty string' },
      { path: 'version', message: 'must be an integer at least 1' },
      { path: 'status', message: 'must be draft, active or retired' },
      { path: 'strategies[0].criteria[0].bandKm', message: 'must be a number greater than 0' },
    ]);
  });

  it('refuses what is not a profile at all', () => {
    expect(validateProfile(null)).toEqual([{ path: '', message: 'a profile must be an object' }]);
    expect(validateProfile({})).toEqual([
      { path: 'profileId', message: 'must be a non-empty string' },
      { path: 'version', message: 'must be an integer at least 1' },
      { path: 'defaults', message: 'must be an object with maxSplit' },
      { path: 'strategies', message: 'must be a list of strategies' },
      { path: 'fallbacks', message: 'must be a list of strategies' },
    ]);
  });
});
