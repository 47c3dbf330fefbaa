import * as logs from 'aws-cdk-lib/aws-logs';
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
  return contextOf(scope, API_CLIENTS_CONTEXT, apiClientsSchema, 'the API clients of this deployment');
}

export const ENVIRONMENTS_CONTEXT = 'commerce:environments';
export const MARKETPLACES_CONTEXT = 'commerce:marketplaces';

const accountSchema = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const throttleSchema = z.object({
  rateLimit: z.number().int().min(1),
  burstLimit: z.number().int().min(1),
});

/**
 * What differs between dev, staging and prod. Everything else is the same code: an environment is
 * a `cdk.Stage` built from its entry of `commerce:environments`.
 */
export const environmentSettingsSchema = z.object({
  /** Where it deploys: explicit, so a deployment with the wrong credentials fails instead of landing elsewhere. */
  account: accountSchema,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS Region such as eu-west-1'),
  /** Throttle of the whole API stage. */
  apiThrottle: throttleSchema,
  /** Throttle of each expensive route (order intake, quotes, offers, product imports), below the stage's. */
  expensiveRouteThrottle: throttleSchema,
  /** Days CloudWatch Logs keeps function, workflow, access and audit logs; a value CloudWatch accepts. */
  logRetentionDays: z
    .number()
    .int()
    .refine(
      (days) => (Object.values(logs.RetentionDays) as unknown[]).includes(days),
      'a CloudWatch Logs retention',
    ),
  /**
   * What a stack deletion does to the tables, the audit and access logs and the user pool: `retain`
   * where the data matters (prod), `destroy` where an environment is rebuilt at will.
   */
  removalPolicy: z.enum(['retain', 'destroy']),
  /** Who the alarm topic e-mails. */
  alarmEmails: z.array(z.email()).min(1),
  /** Requests per client (its token, else its IP address) in 5 minutes before the web ACL blocks it. */
  wafRateLimit: z.number().int().min(10),
  /**
   * Orders are expected every hour, so an hour without `OrdersPlaced` is an incident (prod). Where
   * traffic is sporadic (dev, staging) a missing datapoint is not one.
   */
  ordersExpectedHourly: z.boolean(),
  /** Account of each marketplace of `commerce:marketplaces`, which assumes its role to put events. */
  marketplaceAccounts: z.record(z.string(), accountSchema).default({}),
  /**
   * The external ID each marketplace passes when it assumes its role (`sts:ExternalId`), as the
   * marketplace gives it for this retailer: a marketplace acting for many retailers cannot be made
   * to act in this account for another one (the confused deputy).
   */
  marketplaceExternalIds: z
    .record(z.string(), z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'an STS external ID'))
    .default({}),
});
export type EnvironmentSettings = z.infer<typeof environmentSettingsSchema>;

const environmentsSchema = z
  .record(
    z.string().regex(/^[a-z][a-z0-9]{0,15}$/, 'lower-case letters and digits'),
    environmentSettingsSchema,
  )
  .refine((environments) => Object.keys(environments).length > 0, 'at least one environment');

const marketplacesSchema = z
  .array(z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'lower-case letters, digits and dashes'))
  .refine((names) => new Set(names).size === names.length, 'marketplace names must be unique');

/** Reads and validates one context value; fails the synth, naming the problem. */
function contextOf<T>(scope: Construct, key: string, schema: z.ZodType<T>, what: string): T {
  const raw = scope.node.tryGetContext(key);
  if (raw === undefined) {
    throw new Error(`The CDK context ${key} is required: ${what}`);
  }
  const parsed = schema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`The CDK context ${key} is not valid: ${problems}`);
  }
  return parsed.data;
}

/** The environments of the app, by name (`dev`, `staging`, `prod`). */
export function environmentsOf(scope: Construct): Record<string, EnvironmentSettings> {
  const environments = contextOf(
    scope,
    ENVIRONMENTS_CONTEXT,
    environmentsSchema,
    'the environments to deploy',
  );
  const marketplaces = marketplacesOf(scope);
  for (const [name, settings] of Object.entries(environments)) {
    const missing = marketplaces.filter((m) => settings.marketplaceAccounts[m] === undefined);
    if (missing.length > 0) {
      throw new Error(
        `The CDK context ${ENVIRONMENTS_CONTEXT} is not valid: ${name}.marketplaceAccounts has no account for ${missing.join(', ')}`,
      );
    }
    const withoutId = marketplaces.filter((m) => settings.marketplaceExternalIds[m] === undefined);
    if (withoutId.length > 0) {
      throw new Error(
        `The CDK context ${ENVIRONMENTS_CONTEXT} is not valid: ${name}.marketplaceExternalIds has no external ID for ${withoutId.join(', ')}`,
      );
    }
  }
  return environments;
}

/** The marketplaces allowed to put `marketplace.<name>` events on the bus. */
export function marketplacesOf(scope: Construct): string[] {
  return contextOf(
    scope,
    MARKETPLACES_CONTEXT,
    marketplacesSchema,
    'the marketplaces that put events on the bus',
  );
}
