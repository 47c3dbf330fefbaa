import { z } from 'zod';
import { skuSchema } from './identifiers';

/** A point on Earth in decimal degrees. */
export const geoSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

/** `limit=N` in a query string: a whole number from 1 to `max`, optional (the caller's default). */
export const limitQuery = (max: number, description: string) =>
  z.coerce.number().int().min(1).max(max).optional().describe(description);

/** `skus=A,B,C` in a query string: at least one, at most `max`. */
export const skuListQuery = (max: number) =>
  z
    .string()
    .min(1)
    .transform((value) => value.split(',').map((s) => s.trim()))
    .pipe(z.array(skuSchema).min(1).max(max))
    .describe(`Comma-separated SKUs, at most ${max}`);

/** `near=lat,lon` in a query string: pickup stores are sorted by distance from it. */
export const nearQuery = z
  .string()
  .regex(/^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$/, 'latitude,longitude in decimal degrees, e.g. 51.515,-0.142')
  .transform((value) => {
    const [lat, lon] = value.split(',').map(Number);
    return { lat: lat ?? 0, lon: lon ?? 0 };
  })
  .pipe(geoSchema)
  .optional()
  .describe('Sort pickup stores by distance from this point (latitude,longitude)');
