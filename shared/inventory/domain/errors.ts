import { DomainError } from '../../platform/errors';

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
