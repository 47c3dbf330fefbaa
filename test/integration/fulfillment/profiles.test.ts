import { makeFulfillmentPorts } from '../../../shared/fulfillment/adapters/runtime';
import { DEFAULT_PROFILE } from '../../../shared/fulfillment/domain/profile';
import { source } from '../../../shared/fulfillment/domain/sourcing';
import type { SourcingProfileInput } from '../../../shared/fulfillment/schemas';
import type { FulfillmentPorts } from '../../../shared/fulfillment/use-cases/ports';
import {
  activateProfile,
  activeProfile,
  dryRun,
  getProfile,
  getProfileVersion,
  putProfile,
} from '../../../shared/fulfillment/use-cases/profiles';
import { documentClient } from '../../../shared/platform/clients';
import type { DomainError } from '../../../shared/platform/errors';
import { freshTables } from '../../support/dynamo';
import { lines, location, request, shipOrder } from '../../unit/fulfillment/network';

/** Sourcing profiles as data: versions, validation, a dry run over recorded decisions, activation. */
describe('sourcing profiles', () => {
  let ports: FulfillmentPorts;
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: DomainError) => e,
    );
  /** The default profile's shape with the priority criterion first: DCs (priority 10) beat the nearer store. */
  const byPriority: SourcingProfileInput = {
    defaults: DEFAULT_PROFILE.defaults,
    strategies: DEFAULT_PROFILE.strategies.map((s) => ({
      ...s,
      criteria: [{ name: 'fewestShipments' }, { name: 'priority' }, { name: 'distance' }],
    })),
    fallbacks: DEFAULT_PROFILE.fallbacks,
  };
  /** Decisions as the default profile made them: each order near store S1, with stock at S1 and DC1. */
  const recordDecisions = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const orderId = `ord-${i}`;
      const { decision } = source(
        request(shipOrder(lines(['TEE', 1]), { orderId }), [
          location('S1', 2, { TEE: 5 }),
          location('DC1', 40, { TEE: 100 }, { priority: 10 }),
        ]),
        DEFAULT_PROFILE,
      );
      await ports.profiles.putDecision(orderId, { ...decision, at: `2026-12-01T10:00:0${i}.000Z` });
    }
  };

  beforeEach(async () => {
    const { client, names } = await freshTables();
    ports = makeFulfillmentPorts(documentClient(client), names.fulfillment ?? '');
  });

  it('starts with the built-in default profile, version 1, active', async () => {
    expect(await getProfile(ports, 'default')).toMatchObject({
      activeVersion: 1,
      versions: [{ version: 1, status: 'active' }],
    });
    expect((await activeProfile(ports)).strategies[0]?.name).toBe('nearest-with-capacity');
    expect(await refusal(getProfile(ports, 'nope'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('refuses a profile that cannot route, naming each problem’s field, and writes nothing', async () => {
    const broken: SourcingProfileInput = {
      ...byPriority,
      strategies: [{ name: 'no-filters', conditions: {}, filters: [], criteria: [{ name: 'distance' }] }],
    };

    const error = await refusal(putProfile(ports, 'default', broken));

    expect(error).toMatchObject({ status: 422, code: 'PROFILE_INVALID' });
    expect(error.details.map((d) => d.path)).toContain('strategies.0.filters');
    expect(await ports.profiles.head('default')).toBeUndefined();
  });

  it('writes each new content as the next draft version, and the same content again as that draft', async () => {
    const first = await putProfile(ports, 'default', byPriority);
    const again = await putProfile(ports, 'default', byPriority);
    const other = await putProfile(ports, 'default', { ...byPriority, defaults: { maxSplit: 2 } });

    expect(first).toMatchObject({ statusCode: 201, body: { version: 2, status: 'draft' } });
    expect(again).toMatchObject({ statusCode: 200, body: { version: 2 } });
    expect(other).toMatchObject({ statusCode: 201, body: { version: 3 } });
    expect(await getProfileVersion(ports, 'default', 1)).toMatchObject({ status: 'active' });
  });

  it('never loses a version when several are written at once, the first write of default included', async () => {
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((maxSplit) =>
        putProfile(ports, 'default', { ...byPriority, defaults: { maxSplit } }),
      ),
    );

    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect((await getProfile(ports, 'default')).versions.map((v) => v.version)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await getProfileVersion(ports, 'default', 1)).toMatchObject({ status: 'active' });
  });

  it('dry-runs a version over recent decisions: how many would route differently, with examples', async () => {
    await recordDecisions(3);
    const { body } = await putProfile(ports, 'default', byPriority);

    const report = await dryRun(ports, 'default', body.version);
    const unchanged = await dryRun(ports, 'default', 1);

    expect(report).toMatchObject({ decisionsReplayed: 3, wouldRouteDifferently: 3, unreplayable: 0 });
    expect(report.examples[0]).toMatchObject({
      before: { plan: [{ locationId: 'S1' }] },
      after: { plan: [{ locationId: 'DC1' }] },
    });
    expect(unchanged).toMatchObject({ decisionsReplayed: 3, wouldRouteDifferently: 0 });
  });

  it('replays only its own profile’s decisions, and counts a record it cannot source again', async () => {
    await recordDecisions(2);
    const [one] = await ports.profiles.recentDecisions(1);
    if (!one) throw new Error('no decision recorded');
    await ports.profiles.putDecision('other', {
      ...one.decision,
      profileId: 'regional',
      at: '2026-12-01T11:00:00.000Z',
    });
    await ports.profiles.putDecision('broken', {
      ...one.decision,
      at: '2026-12-01T11:00:01.000Z',
      input: { ...one.decision.input, now: 'not a time' },
    });

    const report = await dryRun(ports, 'default', 1);

    expect(report).toMatchObject({ decisionsReplayed: 2, unreplayable: 1, wouldRouteDifferently: 0 });
  });

  it('activates a draft after its dry run and retires the version before; the retired one stays retired', async () => {
    await recordDecisions(2);
    const { body } = await putProfile(ports, 'default', byPriority);

    const activated = await activateProfile(ports, 'default', body.version);
    const again = await activateProfile(ports, 'default', body.version);
    const back = await refusal(activateProfile(ports, 'default', 1));

    expect(activated).toMatchObject({
      activated: { version: 2, status: 'active' },
      dryRun: { wouldRouteDifferently: 2 },
    });
    expect(again.activated.version).toBe(2);
    expect(back).toMatchObject({ status: 409, code: 'PROFILE_RETIRED' });
    expect((await activeProfile(ports)).version).toBe(2);
    expect(await getProfile(ports, 'default')).toMatchObject({
      activeVersion: 2,
      versions: [
        { version: 2, status: 'active' },
        { version: 1, status: 'retired' },
      ],
    });
  });
});
