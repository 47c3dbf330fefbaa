import { contentionBackoff, MAX_CONTENTION_ATTEMPTS, type TransactItem } from '../../platform/dynamodb';
import { concurrentUpdate, validationFailed } from '../../platform/errors';
import { stableId } from '../../platform/events/envelope';
import { logger } from '../../platform/logger';
import type { Channel } from '../../platform/principals';
import {
  type Identifier,
  type IdentifierPaths,
  identifierKey,
  identifierTypes,
  normaliseOrderIdentifiers,
  type OrderIdentifiers,
} from '../domain/identifiers';
import { mergeProfiles } from '../domain/merge';
import { decideIdentity, type IdentityDecision, type ProfileFacts } from '../domain/policy';
import type {
  CustomerDecision,
  MergeEvidence,
  Profile,
  ProfileIdentifier,
  ResolutionRecord,
  ReviewItem,
} from '../domain/profile';
import { activeProfile, orderHistory } from './history';
import type { CustomerPorts } from './ports';

export interface ResolveCustomerCommand {
  /** What the order says about its customer, as received (normalised here). */
  identifiers: OrderIdentifiers;
  /**
   * The key of this intake: the same value on a retry gets the same answer. The order id when it is
   * fixed before the first attempt; otherwise anything stable across retries of one intake.
   */
  orderId: string;
  channel: Channel;
  /** When the order was placed: a new profile's `createdAt`, an identifier's `addedAt`. */
  at: string;
  /** Where each identifier sits in the caller's request (default: the order intake's fields). */
  paths?: Required<IdentifierPaths>;
}

/** The customer of an order and why. Free of identifier values: the caller may log it. */
export interface Resolution {
  customerId: string;
  decision: CustomerDecision;
  /** True when this order had been resolved before: the first answer, unchanged. */
  replayed: boolean;
}

/** The profile, its identifiers and claims of a decision, and what the order resolves to. */
interface Plan {
  items: TransactItem[];
  record: ResolutionRecord;
}

/** The order's identifiers, the active profiles holding them, and each profile's facts for the policy. */
interface Facts {
  owners: Map<string, string>;
  profiles: Map<string, Profile>;
}

async function readFacts(ports: CustomerPorts, identifiers: Identifier[]): Promise<Facts> {
  const held = await ports.customers.owners(identifiers.map(identifierKey));
  const stored = await ports.customers.getProfiles([...new Set(held.values())]);
  const owners = new Map<string, string>();
  const profiles = new Map<string, Profile>();
  for (const [key, holder] of held) {
    const profile = stored.get(holder);
    if (!profile) throw new Error(`An identifier is claimed by ${holder}, which has no profile`);
    // A merge moves every identifier of the profile it absorbs in its own transaction, so a claim on
    // a merged profile is not expected; following the chain keeps the decision right regardless.
    const active = await activeProfile(ports, profile);
    owners.set(key, active.customerId);
    profiles.set(active.customerId, active);
  }
  return { owners, profiles };
}

const factsOf = (profile: Profile): ProfileFacts => ({
  customerId: profile.customerId,
  createdAt: profile.createdAt,
  identifiers: profile.identifiers,
  keepApart: profile.keepApart,
});

const held = (identifiers: Identifier[], at: string, orderId: string): ProfileIdentifier[] =>
  identifiers.map((i) => ({ ...i, addedAt: at, orderId }));

function newProfile(
  customerId: string,
  command: ResolveCustomerCommand,
  identifiers: Identifier[],
  now: string,
): Profile {
  return {
    customerId,
    status: 'active',
    createdFrom: { channel: command.channel, orderId: command.orderId },
    identifiers: held(identifiers, command.at, command.orderId),
    absorbed: [],
    keepApart: [],
    createdAt: command.at,
    updatedAt: now,
    version: 1,
  };
}

/** Identifier values stay in the table: the evidence of a merge or a review item, for operations. */
const evidenceOf = (decision: IdentityDecision, orderId: string): MergeEvidence => ({
  summary: decision.summary,
  orderId,
  matched: decision.matched.map((m) => ({
    type: m.identifier.type,
    value: m.identifier.value,
    customerId: m.customerId,
  })),
});

const notRecorded = (identifiers: Identifier[]) =>
  identifiers.length > 0 ? { notRecorded: identifierTypes(identifiers) } : {};

/** One review item per set of profiles: an order linking the same profiles again adds nothing. */
export const reviewIdFor = (customerIds: string[]): string =>
  `rev_${stableId(`review:${[...customerIds].sort().join(',')}`).replaceAll('-', '')}`;

async function plan(
  ports: CustomerPorts,
  command: ResolveCustomerCommand,
  decision: IdentityDecision,
  facts: Facts,
): Promise<Plan> {
  const { customers } = ports;
  const now = ports.now();
  const claims = (identifiers: Identifier[], customerId: string) =>
    identifiers.map((i) => customers.claimIdentifierOp(i, customerId, command.at, command.orderId));
  const matched = decision.matched.map((m) => ({
    type: m.identifier.type,
    strength: m.strength,
    customerId: m.customerId,
  }));
  const base = {
    orderId: command.orderId,
    channel: command.channel,
    at: command.at,
  };
  const keysMatching = (ids: string[]) =>
    decision.matched.filter((m) => ids.includes(m.customerId)).map((m) => identifierKey(m.identifier));

  switch (decision.outcome) {
    case 'create': {
      const profile = newProfile(ports.newId('cus'), command, decision.add, now);
      return {
        items: [customers.createProfileOp(profile), ...claims(decision.add, profile.customerId)],
        record: {
          ...base,
          customerId: profile.customerId,
          decision: {
            outcome: 'created',
            rule: decision.rule,
            summary: decision.summary,
            matched,
            added: identifierTypes(decision.add),
          },
          matchedKeys: [],
          addedKeys: decision.add.map(identifierKey),
        },
      };
    }
    case 'attach': {
      const { customerId, add } = decision;
      return {
        // Nothing to add touches no profile item: a popular identifier (a store's walk-in email, a
        // household's address) on many concurrent orders must not make them all conflict on one
        // item. Should the profile be merged meanwhile, the order still shows in the survivor's
        // history, which reads every profile merged into it.
        items:
          add.length > 0
            ? [
                customers.addIdentifiersOp(customerId, held(add, command.at, command.orderId), now),
                ...claims(add, customerId),
              ]
            : [],
        record: {
          ...base,
          customerId,
          decision: {
            outcome: 'attached',
            rule: decision.rule,
            summary: decision.summary,
            matched,
            added: identifierTypes(add),
            ...notRecorded(decision.notRecorded),
          },
          matchedKeys: keysMatching([customerId]),
          addedKeys: add.map(identifierKey),
        },
      };
    }
    case 'merge': {
      const survivor = facts.profiles.get(decision.survivorId)!;
      const absorptions = await Promise.all(
        decision.mergedIds.map(async (id) => {
          const profile = facts.profiles.get(id)!;
          const orders = await orderHistory(ports, profile);
          return { profile, mergeId: ports.newId('mrg'), orderIds: orders.map((o) => o.orderId) };
        }),
      );
      const merged = mergeProfiles(
        survivor,
        absorptions,
        {
          rule: decision.rule,
          by: 'policy',
          evidence: evidenceOf(decision, command.orderId),
          at: command.at,
        },
        { add: held(decision.add, command.at, command.orderId) },
      );
      return {
        items: [
          customers.saveProfileOp(merged.survivor, survivor.version),
          ...merged.merged.map((p, i) => customers.saveProfileOp(p, absorptions[i]!.profile.version)),
          ...merged.records.map((r) => customers.mergeRecordOp(r)),
          ...merged.moves.map((m) =>
            customers.moveIdentifierOp(m.identifier, m.from, survivor.customerId, now),
          ),
          ...claims(decision.add, survivor.customerId),
        ],
        record: {
          ...base,
          customerId: survivor.customerId,
          decision: {
            outcome: 'merged',
            rule: decision.rule,
            summary: decision.summary,
            matched,
            added: identifierTypes(decision.add),
            ...notRecorded(decision.notRecorded),
            mergedIds: decision.mergedIds,
            mergeIds: absorptions.map((a) => a.mergeId),
          },
          matchedKeys: keysMatching([survivor.customerId, ...decision.mergedIds]),
          addedKeys: decision.add.map(identifierKey),
        },
      };
    }
    case 'review': {
      const created = decision.newProfile
        ? newProfile(ports.newId('cus'), command, decision.newProfile, now)
        : undefined;
      const placedOn =
        decision.placement.kind === 'existing' ? decision.placement.customerId : created!.customerId;
      const customerIds = [...decision.customerIds, ...(created ? [created.customerId] : [])];
      const reviewId = reviewIdFor(customerIds);
      const existing = created ? undefined : await customers.getReview(reviewId);
      const review: ReviewItem = {
        reviewId,
        rule: decision.rule,
        reason: decision.reason,
        customerIds,
        placedOn,
        evidence: evidenceOf(decision, command.orderId),
        status: 'open',
        openedAt: now,
        version: 1,
      };
      return {
        items: [
          ...(created
            ? [customers.createProfileOp(created), ...claims(decision.newProfile ?? [], created.customerId)]
            : []),
          ...(created?.customerId === placedOn ? [] : [customers.activeCheckOp(placedOn)]),
          ...(existing ? [] : [customers.reviewOp(review)]),
        ],
        record: {
          ...base,
          customerId: placedOn,
          decision: {
            outcome: 'review',
            rule: decision.rule,
            summary: decision.summary,
            matched,
            added: created?.customerId === placedOn ? identifierTypes(decision.newProfile ?? []) : [],
            reviewId,
          },
          matchedKeys: keysMatching([placedOn]),
          addedKeys: created?.customerId === placedOn ? (decision.newProfile ?? []).map(identifierKey) : [],
        },
      };
    }
  }
}

/**
 * Who an order's customer is. Normalises the order's identifiers, reads who holds each (strongly
 * consistent), lets the identity policy decide (create, attach, merge, or review — see
 * `decideIdentity`), and writes the decision in one transaction whose conditions are what it
 * assumed: each new identifier claimed only if nobody holds it, each profile as read. A lost race
 * (another order claimed the same new email a moment earlier) cancels the transaction, and the
 * loser decides again on what is now there. The answer is remembered under `orderId`: a retried
 * intake gets it again (`replayed`).
 *
 * The order link itself is not written here: the order intake commits {@link linkOrderOp} inside
 * its own order transaction, so a link exists exactly when the order does.
 */
export async function resolveCustomer(
  ports: CustomerPorts,
  command: ResolveCustomerCommand,
): Promise<Resolution> {
  const identifiers = normaliseOrderIdentifiers(command.identifiers, command.paths);
  if (identifiers.length === 0) {
    throw validationFailed([
      { path: 'customer', message: 'at least one of email, phone, loyaltyId or a marketplace buyer id' },
    ]);
  }
  const answered = (record: ResolutionRecord, replayed: boolean): Resolution => ({
    customerId: record.customerId,
    decision: record.decision,
    replayed,
  });
  // No read of an earlier answer first: the resolution record is put only if absent, so a repeat of
  // this intake finds its first answer when that put fails, and a new intake (the common case) pays
  // no extra request.
  for (let attempt = 1; ; attempt++) {
    const facts = await readFacts(ports, identifiers);
    const decision = decideIdentity({
      identifiers,
      owners: facts.owners,
      profiles: new Map([...facts.profiles].map(([id, p]) => [id, factsOf(p)])),
    });
    const { items, record } = await plan(ports, command, decision, facts);
    const result = await ports.transact([ports.customers.resolutionOp(record), ...items]);
    if (result.kind === 'committed') {
      logger.debug('Customer resolved', {
        orderId: command.orderId,
        customerId: record.customerId,
        outcome: record.decision.outcome,
        rule: record.decision.rule,
      });
      return answered(record, false);
    }
    if (result.reasons[0]?.code === 'ConditionalCheckFailed') {
      // The same order resolved concurrently (a retry racing its original): its answer stands.
      const first = await ports.customers.getResolution(command.orderId);
      if (first) return answered(first, true);
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate(
        "The customer's profiles changed too often while resolving the order; retry",
        'customer',
        'contention on these identifiers',
      );
    }
    // Another order claimed one of these identifiers, or a profile changed: decide again.
    await contentionBackoff(attempt);
  }
}

/**
 * The transaction item that links an order to its customer, for the order intake to commit in its
 * own order transaction (so the link exists exactly when the order does). `customerId` is the one
 * {@link resolveCustomer} answered; if that profile is merged before the order commits, the order
 * still shows in the survivor's history (it reads every profile merged into it).
 */
export function linkOrderOp(
  ports: Pick<CustomerPorts, 'customers'>,
  customerId: string,
  orderId: string,
  channel: Channel,
  at: string,
): TransactItem {
  return ports.customers.linkOrderOp({ orderId, customerId, channel, at });
}
