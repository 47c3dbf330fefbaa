import type { Construct } from 'constructs';
import { z } from 'zod';
import { CHANNELS } from '../shared/platform/principals';

/**
 * A deployment's configuration, read from the CDK context (`cdk.json`, or `-c` on the command
 * line): who may call the API. Each client gets its own API key and usage plan; the principal its
 * requests run as comes from here, never from code or a request body.
 */

export const API_CLIENTS_CONTEXT = 'commerce:apiClients';

const usageLimitsSchema = z.object({
  rateLimit: z.number().int().min(1),
  burstLimit: z.number().int().min(1),
  quotaPerDay: z.number().int().min(1),
});

export const apiClientSchema = z.object({
  /** Names the key, its usage plan and its output (`ApiKeyId<Id>`); lower case, digits, dashes. */
  id: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes'),
  /** A sales channel, `ops`, or `location:<locationId>` for a store's or DC's systems. */
  principal: z.union([
    z.enum([...CHANNELS, 'ops']),
    z.string().regex(/^location:[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'location:<locationId>'),
  ]),
  /**
   * The key generations in service. Rotation with overlap: add the next generation (a new key
   * for the same principal), deploy, move the client to it, then drop the old one and deploy.
   */
  keyGenerations: z
    .array(z.number().int().min(1))
    .min(1)
    .refine((g) => new Set(g).size === g.length, 'no repeated generation')
    .default([1]),
  usage: usageLimitsSchema.optional(),
});
export type ApiClient = z.infer<typeof apiClientSchema>;

export const apiClientsSchema = z
  .array(apiClientSchema)
  .min(1)
  .refine(
    (clients) => new Set(clients.map((c) => c.id)).size === clients.length,
    'client ids must be unique',
  );

/** The API clients of this deployment; fails the synth, naming the problem, when they are missing or wrong. */
export function apiClientsOf(scope: Construct): ApiClient[] {
  const raw = scope.node.tryGetContext(API_CLIENTS_CONTEXT);
  if (raw === undefined) {
    throw new Error(`The CDK context ${API_CLIENTS_CONTEXT} is required: the API clients of this deployment`);
  }
  const parsed = apiClientsSchema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`The CDK context ${API_CLIENTS_CONTEXT} is not valid: ${problems}`);
  }
  return parsed.data;
}
