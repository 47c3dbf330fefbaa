import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { z } from 'zod';

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

/** An idempotency key as a client sends it in the `Idempotency-Key` header. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
