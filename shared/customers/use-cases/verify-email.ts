import { contentionBackoff, MAX_CONTENTION_ATTEMPTS, type TransactItem } from '../../platform/dynamodb';
import { concurrentUpdate } from '../../platform/errors';
import { logger } from '../../platform/logger';
import { customerMerged, customerNotFound, emailBelongsToAnotherCustomer } from '../domain/errors';
import { identifierKey, normaliseEmail } from '../domain/identifiers';
import { MERGE_RULES, mergeProfiles } from '../domain/merge';
import { isGuest, type Profile } from '../domain/profile';
import { activeProfile, orderHistory } from './history';
import type { CustomerPorts } from './ports';

export interface VerifyEmailCommand {
  customerId: string;
  email: string;
  /** Where the email came from in the request, for errors. */
  path?: string;
}

export interface EmailVerified {
  customerId: string;
  /** The guest profile whose orders this profile claimed, and the merge that did it (undoable). */
  claimed?: { customerId: string; mergeId: string; orderIds: string[] };
}

/**
 * The customer proved control of an email (the web or app account confirmed it): the email becomes
 * a verified identifier of the profile. If a guest profile holds it (see `isGuest`: a web or app
 * order's profile with that one unverified email), the guest's orders are claimed: the guest is
 * merged into this profile by rule `guest-claim`, recorded and undoable like any merge. An email
 * held by another customer who is not a guest is refused: verifying an address does not prove the
 * other profile's orders were this customer's. Verifying twice is a no-op.
 */
export async function verifyEmail(ports: CustomerPorts, command: VerifyEmailCommand): Promise<EmailVerified> {
  const path = command.path ?? 'email';
  const email = normaliseEmail(command.email, path);
  const key = identifierKey(email);
  for (let attempt = 1; ; attempt++) {
    const profile = await ports.customers.getProfile(command.customerId);
    if (!profile) throw customerNotFound(command.customerId);
    if (profile.status !== 'active') {
      throw customerMerged(profile.customerId, (await activeProfile(ports, profile)).customerId);
    }
    const now = ports.now();
    const holder = (await ports.customers.owners([key])).get(key);
    let items: TransactItem[];
    let claimed: EmailVerified['claimed'];
    if (holder === undefined) {
      items = [
        ports.customers.addIdentifiersOp(
          profile.customerId,
          [{ ...email, addedAt: now, verifiedAt: now }],
          now,
        ),
        ports.customers.claimIdentifierOp(email, profile.customerId, now),
      ];
    } else if (holder === profile.customerId) {
      const held = profile.identifiers.find((i) => identifierKey(i) === key);
      if (held?.verifiedAt) return { customerId: profile.customerId };
      const next: Profile = {
        ...profile,
        identifiers: profile.identifiers.map((i) =>
          identifierKey(i) === key ? { ...i, verifiedAt: now } : i,
        ),
        updatedAt: now,
        version: profile.version + 1,
      };
      items = [ports.customers.saveProfileOp(next, profile.version)];
    } else {
      const stored = await ports.customers.getProfile(holder);
      const guest = stored ? await activeProfile(ports, stored) : undefined;
      if (!guest || !isGuest(guest)) throw emailBelongsToAnotherCustomer(path);
      const orderIds = (await orderHistory(ports, guest)).map((o) => o.orderId);
      const mergeId = ports.newId('mrg');
      const plan = mergeProfiles(
        profile,
        [{ profile: guest, mergeId, orderIds }],
        {
          rule: MERGE_RULES.guestClaim,
          by: 'verification',
          evidence: {
            summary: `The email of guest profile ${guest.customerId} was verified on ${profile.customerId}: its orders are claimed`,
            matched: [{ type: 'email', value: email.value, customerId: guest.customerId }],
          },
          at: now,
        },
        { verify: key },
      );
      items = [
        ports.customers.saveProfileOp(plan.survivor, profile.version),
        ports.customers.saveProfileOp(plan.merged[0]!, guest.version),
        ...plan.records.map((r) => ports.customers.mergeRecordOp(r)),
        ...plan.moves.map((m) =>
          ports.customers.moveIdentifierOp(m.identifier, m.from, profile.customerId, now),
        ),
      ];
      claimed = { customerId: guest.customerId, mergeId, orderIds };
    }
    const result = await ports.transact(items);
    if (result.kind === 'committed') {
      if (claimed) {
        logger.info('Guest orders claimed', {
          customerId: profile.customerId,
          guestId: claimed.customerId,
          mergeId: claimed.mergeId,
        });
      }
      return { customerId: profile.customerId, ...(claimed ? { claimed } : {}) };
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS) {
      throw concurrentUpdate(
        'The profile changed too often while verifying the email; retry',
        path,
        'contention',
      );
    }
    await contentionBackoff(attempt);
  }
}
