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

export const notFound = (what: string, id: string) =>
  new DomainError(404, 'NOT_FOUND', `${what} ${id} was not found`, [{ path: what.toLowerCase(), id }]);

export const forbidden = (message: string) => new DomainError(403, 'FORBIDDEN', message);

export const unknownSku = (path: string, sku: string) =>
  new DomainError(422, 'UNKNOWN_SKU', `SKU ${sku} is not stocked anywhere`, [
    { path, message: 'unknown SKU', sku },
  ]);

export const unknownLocation = (path: string, locationId: string) =>
  new DomainError(422, 'UNKNOWN_LOCATION', `Location ${locationId} does not exist`, [
    { path, message: 'unknown location', locationId },
  ]);

/** What was asked of one SKU and what the caller's channel could have had. */
export interface ShortLine {
  sku: string;
  requested: number;
  available: number;
  locationId?: string;
}

export const insufficientStock = (lines: ShortLine[]) =>
  new DomainError(
    409,
    'INSUFFICIENT_STOCK',
    `Not enough stock for ${lines.map((l) => l.sku).join(', ')}`,
    lines.map((l) => ({ ...l })),
  );

export const idempotencyKeyReused = (path: string) =>
  new DomainError(
    422,
    'IDEMPOTENCY_KEY_REUSED',
    'This idempotency key was already used with a different request',
    [{ path, message: 'already used with another payload' }],
  );
