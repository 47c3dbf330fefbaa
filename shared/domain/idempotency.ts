import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';

/**
 * A fingerprint of a request's meaning: key order and whitespace do not change it, any value does.
 * The same idempotency key with a different fingerprint is a client error, not a replay.
 */
export function requestFingerprint(value: unknown): string {
  return createHash('sha256')
    .update(stringify(value) ?? 'null')
    .digest('base64url');
}

/** The first answer given to an idempotent request, replayed verbatim for its repeats. */
export interface StoredResponse {
  statusCode: number;
  body: unknown;
}
