import type { z } from 'zod';

/** One problem with a request, pointing at the offending field. */
export interface ErrorDetail {
  path?: string;
  message?: string;
  [key: string]: unknown;
}

/**
 * A failure the caller can act on. `code` is machine-readable and stable; `status` is the HTTP status
 * the API answers with. Anything that is not a DomainError reaching the API is a bug (a 5xx).
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const validationFailed = (details: ErrorDetail[], message = 'The request is not valid') =>
  new DomainError(400, 'VALIDATION_FAILED', message, details);

/** A thing that does not exist, or that the caller may not see (the two look the same from outside). */
export const notFound = (what: string, id: string, path: string, message: string) =>
  new DomainError(404, 'NOT_FOUND', `${what} ${id} was not found`, [{ path, message }]);

/** Too many lost races for the same items in one call; the caller may simply retry. */
export const concurrentUpdate = (message: string, path: string, detail: string) =>
  new DomainError(409, 'CONCURRENT_UPDATE', message, [{ path, message: detail }]);

export const idempotencyKeyReused = (path: string) =>
  new DomainError(
    422,
    'IDEMPOTENCY_KEY_REUSED',
    'This idempotency key was already used with a different request',
    [{ path, message: 'already used with another payload' }],
  );

/** zod issues → `details: [{path, message}]`, the path in dotted form (`lines.0.quantity`). */
export function issuesToDetails(error: z.ZodError, prefix?: string): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path:
      [prefix, ...issue.path.map(String)].filter((p) => p !== undefined && p !== '').join('.') ||
      (prefix ?? ''),
    message: issue.message,
  }));
}
