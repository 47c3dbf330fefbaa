import stringify from 'safe-stable-stringify';
import { contentionBackoff, MAX_CONTENTION_ATTEMPTS } from '../../platform/dynamodb';
import { DomainError, notFound } from '../../platform/errors';
import { DEFAULT_PROFILE, type SourcingProfile, validateProfile } from '../domain/profile';
import { sameJson } from '../domain/replay';
import { type SourcingGroup, source, type UnfilledLine } from '../domain/sourcing';
import type { SourcingProfileInput } from '../schemas';
import type { FulfillmentPorts, ProfileHead, StoredProfile } from './ports';

/**
 * Sourcing profiles are data: ops write a new version (a draft), look at what it would change by
 * replaying recent routing decisions under it, and activate it. A version never changes once
 * written; activating one retires the one before. Until a profile is written, `default` is the
 * built-in profile, version 1, active.
 */

/** How many recent decisions a dry run replays, and how many differences it shows. */
export const DRY_RUN_DECISIONS = 200;
const DRY_RUN_EXAMPLES = 10;

const builtIn = (profileId: string): StoredProfile | undefined =>
  profileId === DEFAULT_PROFILE.profileId
    ? { ...DEFAULT_PROFILE, status: 'active', createdAt: '1970-01-01T00:00:00.000Z' }
    : undefined;

/** `strategies[0].criteria[1].name` → `strategies.0.criteria.1.name`, as every other 422 says it. */
const dotted = (path: string) => path.replace(/\[(\d+)\]/g, '.$1');

const content = (p: { defaults: unknown; strategies: unknown; fallbacks: unknown }) =>
  stringify({ defaults: p.defaults, strategies: p.strategies, fallbacks: p.fallbacks });

async function headOf(ports: FulfillmentPorts, profileId: string): Promise<ProfileHead | undefined> {
  const head = await ports.profiles.head(profileId);
  if (head) return head;
  return builtIn(profileId) ? { latestVersion: 0, activeVersion: 1 } : undefined;
}

async function versionOf(ports: FulfillmentPorts, profileId: string, version: number) {
  const stored = await ports.profiles.version(profileId, version);
  if (stored) return stored;
  const fallback = builtIn(profileId);
  if (fallback && version === fallback.version && !(await ports.profiles.head(profileId))) return fallback;
  throw notFound('Sourcing profile version', `${profileId} v${version}`, 'version', 'no such version');
}

/**
 * Writes the next version of a profile as a draft, after validating it. The same content as the
 * latest draft again returns that draft (201 the first time, 200 after), so a retried PUT does not
 * pile up versions.
 */
export async function putProfile(ports: FulfillmentPorts, profileId: string, input: SourcingProfileInput) {
  const definition = {
    profileId,
    version: 1,
    status: 'draft' as const,
    defaults: input.defaults,
    strategies: input.strategies as SourcingProfile['strategies'],
    fallbacks: input.fallbacks as SourcingProfile['fallbacks'],
  };
  // Validated before anything is written: a refused profile leaves no trace.
  const problems = validateProfile(definition);
  if (problems.length > 0) {
    throw new DomainError(
      422,
      'PROFILE_INVALID',
      `The profile cannot be used: ${problems.map((p) => `${dotted(p.path)}: ${p.message}`).join('; ')}`,
      problems.map((p) => ({ path: dotted(p.path), message: p.message })),
    );
  }
  for (let attempt = 1; attempt <= MAX_CONTENTION_ATTEMPTS; attempt++) {
    const head = await ports.profiles.head(profileId);
    const initial = builtIn(profileId);
    if (!head && initial) {
      // The first write to the built-in profile stores it first, as version 1, still active; if
      // that lost a race (or was throttled), read again rather than write over its place.
      await ports.profiles.addVersion(initial, 0);
      await contentionBackoff(attempt);
      continue;
    }
    const previous = head ? await ports.profiles.version(profileId, head.latestVersion) : undefined;
    if (previous?.status === 'draft' && content(previous) === content(input)) {
      return { statusCode: 200, body: previous };
    }
    const profile: StoredProfile = {
      ...definition,
      version: (head?.latestVersion ?? 0) + 1,
      createdAt: ports.now(),
    };
    if (await ports.profiles.addVersion(profile, head?.latestVersion ?? 0))
      return { statusCode: 201, body: profile };
    await contentionBackoff(attempt);
  }
  throw new DomainError(409, 'CONCURRENT_UPDATE', `Profile ${profileId} changed while writing; retry`, [
    { path: 'profileId', message: 'other versions were written at the same time' },
  ]);
}

export async function getProfile(ports: FulfillmentPorts, profileId: string) {
  const head = await headOf(ports, profileId);
  if (!head) throw notFound('Sourcing profile', profileId, 'profileId', 'no such profile');
  const stored = await ports.profiles.versions(profileId);
  const versions = stored.length > 0 ? stored : [builtIn(profileId) as StoredProfile];
  return {
    profileId,
    activeVersion: head.activeVersion ?? null,
    latestVersion: Math.max(head.latestVersion, ...versions.map((v) => v.version)),
    versions: versions
      .sort((a, b) => b.version - a.version)
      .map((v) => ({
        version: v.version,
        status: v.status,
        createdAt: v.createdAt,
        activatedAt: v.activatedAt,
      })),
  };
}

export const getProfileVersion = (ports: FulfillmentPorts, profileId: string, version: number) =>
  versionOf(ports, profileId, version);

/** The version orders are routed with now. */
export async function activeProfile(ports: FulfillmentPorts, profileId = DEFAULT_PROFILE.profileId) {
  const head = await headOf(ports, profileId);
  if (!head?.activeVersion)
    throw notFound('Active sourcing profile', profileId, 'profileId', 'none is active');
  return versionOf(ports, profileId, head.activeVersion);
}

/** A plan as a comparable value: which locations fill which lines, in any order. */
const planKey = (groups: SourcingGroup[]) =>
  stringify(
    groups
      .map((g) => ({ locationId: g.locationId, transferTo: g.transferTo ?? null, lines: g.lines }))
      .sort((a, b) => `${a.locationId}>${a.transferTo}`.localeCompare(`${b.locationId}>${b.transferTo}`)),
  );

/**
 * What a version would change: the most recent routing decisions made under this profile, sourced
 * again under the version from the inputs their records keep. A record keeps the candidates its
 * own decision depended on (the chosen, the split alternatives and the best-ranked others), so a
 * version that would prefer a location outside them is not seen: the count of differences is a
 * lower bound. A record that cannot be sourced again is counted, not fatal.
 */
export async function dryRun(ports: FulfillmentPorts, profileId: string, version: number) {
  const candidate = await versionOf(ports, profileId, version);
  const decisions = (await ports.profiles.recentDecisions(DRY_RUN_DECISIONS)).filter(
    (d) => d.decision.profileId === profileId,
  );
  const examples: {
    orderId: string;
    before: { plan: SourcingGroup[]; unfilled: UnfilledLine[] };
    after: { plan: SourcingGroup[]; unfilled: UnfilledLine[] };
  }[] = [];
  let differently = 0;
  let unreplayable = 0;
  for (const { orderId, decision } of decisions) {
    let after: ReturnType<typeof source>;
    try {
      after = source(decision.input, candidate);
    } catch {
      unreplayable++;
      continue;
    }
    if (planKey(after.groups) === planKey(decision.plan) && sameJson(after.unfilled, decision.unfilled))
      continue;
    differently++;
    if (examples.length < DRY_RUN_EXAMPLES) {
      examples.push({
        orderId,
        before: { plan: decision.plan, unfilled: decision.unfilled },
        after: { plan: after.groups, unfilled: after.unfilled },
      });
    }
  }
  return {
    profileId,
    version,
    decisionsReplayed: decisions.length - unreplayable,
    wouldRouteDifferently: differently,
    unreplayable,
    examples,
  };
}

/**
 * Activates a version after its dry run; the dry run comes back with the answer. Activating the
 * active version again is harmless; a retired version cannot come back (write it again instead).
 */
export async function activateProfile(ports: FulfillmentPorts, profileId: string, version: number) {
  const target = await versionOf(ports, profileId, version);
  const head = await headOf(ports, profileId);
  if (!head) throw notFound('Sourcing profile', profileId, 'profileId', 'no such profile');
  if (head.activeVersion !== version && target.status === 'retired') {
    throw new DomainError(
      409,
      'PROFILE_RETIRED',
      `${profileId} v${version} is retired; write it again as a new version`,
      [{ path: 'version', message: 'retired versions are not activated again', status: 'retired' }],
    );
  }
  const report = await dryRun(ports, profileId, version);
  if (head.activeVersion === version) return { activated: target, dryRun: report };
  const now = ports.now();
  if (await ports.profiles.activate(profileId, version, head, now)) {
    return { activated: { ...target, status: 'active' as const, activatedAt: now }, dryRun: report };
  }
  // Someone else changed the active version between our read and our write: say so, do not guess.
  const after = await ports.profiles.head(profileId);
  if (after?.activeVersion === version)
    return { activated: await versionOf(ports, profileId, version), dryRun: report };
  throw new DomainError(
    409,
    'CONCURRENT_UPDATE',
    `Another version of ${profileId} was activated meanwhile; look again`,
    [
      {
        path: 'version',
        message: `the active version is now ${after?.activeVersion ?? 'none'}`,
        activeVersion: after?.activeVersion,
      },
    ],
  );
}
