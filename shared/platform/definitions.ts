/**
 * The one collection of the system's shape: every context's tables, functions (with their
 * triggers) and bus rules, plus the platform's own functions. The CDK app (`cdk/`) and the embedded
 * runtime (`local/`) both build from this module, so nothing about routes, keys or event patterns is
 * written twice. Adding a context adds its folder and one line to `contexts`.
 */
import { z } from 'zod';
import { catalog } from '../catalog/definition';
import { customers } from '../customers/definition';
import { fulfillment } from '../fulfillment/definition';
import { inventory } from '../inventory/definition';
import { orders } from '../orders/definition';
import { pricing } from '../pricing/definition';
import {
  type BusRule,
  type ContextDefinition,
  type FunctionDefinition,
  mergeTableActions,
  type QueueDefinition,
  type TableDefinition,
  type WorkflowDefinition,
} from './definition';

export const contexts: readonly ContextDefinition[] = [
  catalog,
  pricing,
  customers,
  inventory,
  orders,
  fulfillment,
];

export { PLATFORM_ENV as ENV } from './config';
export * from './definition';
export { CHANNELS, type Channel, LOCAL_API_KEYS, type Principal } from './principals';

export const BUS_NAME = 'commerce';

/** Every table, by its key. */
export const tables: Record<string, TableDefinition> = Object.fromEntries(
  contexts.flatMap((c) => c.tables).map((t) => [t.key, t]),
);

const eventSources = contexts.flatMap((c) => (c.eventSource ? [c.eventSource] : []));
const unique = (keys: string[]) => [...new Set(keys)];

/**
 * The platform's functions: liveness, the API's own document, and the outbox publisher over every
 * context's stream.
 */
const platformFunctions: FunctionDefinition[] = [
  {
    name: 'CheckHealth',
    entry: 'functions/platform/check-health.ts',
    description: 'Liveness of the API',
    trigger: {
      kind: 'http',
      method: 'GET',
      path: '/health',
      access: 'public',
      summary: 'Liveness of the API',
      responses: { 200: { description: 'The API is up', schema: z.object({ status: z.literal('ok') }) } },
    },
    reads: [],
    writes: [],
    dynamodb: {},
    putsEvents: false,
  },
  {
    name: 'GetApiDocument',
    entry: 'functions/platform/get-api-document.ts',
    description: 'The OpenAPI document of the API',
    trigger: {
      kind: 'http',
      method: 'GET',
      path: '/openapi.json',
      access: 'public',
      summary: 'The OpenAPI 3.1 document of this API (docs/openapi.json)',
      responses: { 200: { description: 'The OpenAPI 3.1 document, its `servers` set to the URL called' } },
    },
    reads: [],
    writes: [],
    dynamodb: {},
    putsEvents: false,
  },
  {
    name: 'Authorize',
    entry: 'functions/platform/authorize.ts',
    description:
      "The API's authorizer: verifies the OAuth access token and allows the operations of its scopes",
    trigger: { kind: 'authorizer' },
    reads: [],
    writes: [],
    dynamodb: {},
    putsEvents: false,
    // A client issued at run time (a location's) is found in the pool's list of client names (which
    // carries no secrets): its name says whom it acts for.
    oauthClients: ['ListUserPoolClients'],
  },
  {
    name: 'PublishEvents',
    entry: 'functions/platform/publish-events.ts',
    description: 'Outbox publisher: table streams to the bus, and what each context does after a batch',
    trigger: { kind: 'stream', tables: eventSources.map((s) => s.table) },
    reads: unique(eventSources.flatMap((s) => s.reads)),
    writes: unique(eventSources.flatMap((s) => s.writes)),
    dynamodb: mergeTableActions(...eventSources.map((s) => s.dynamodb ?? {})),
    putsEvents: true,
    timeoutSeconds: 60,
  },
];

export const functions: FunctionDefinition[] = [
  ...platformFunctions,
  ...contexts.flatMap((c) => c.functions),
];

export const busRules: BusRule[] = [
  ...contexts.flatMap((c) => c.busRules),
  {
    name: 'CommerceAudit',
    description: 'Every domain event, kept in a log group for operations',
    eventPattern: { source: [{ prefix: 'commerce.' }] },
    target: { auditLog: true },
  },
];

/** The tables whose streams the publisher turns into events. */
export const streamTables: TableDefinition[] = eventSources.flatMap((s) =>
  tables[s.table] ? [tables[s.table]!] : [],
);

/** Every context's stream event source, loaded on demand (the stream publisher's cold start). */
export const loadEventSources = () => Promise.all(eventSources.map((s) => s.load()));

/** Every published event's detail schema, by source and detail-type: the event catalogue. */
export const eventCatalogue: Record<string, Record<string, z.ZodType>> = Object.fromEntries(
  contexts.flatMap((c) => (c.events ? [[c.events.source, c.events.events]] : [])),
);

/** Every state machine, from every context. */
export const workflows: WorkflowDefinition[] = contexts.flatMap((c) => c.workflows ?? []);

/** Every queue in front of a function, from every context. */
export const queues: QueueDefinition[] = contexts.flatMap((c) => c.queues ?? []);

/**
 * The function a bus rule's events reach: its target function, or the consumer of its target queue;
 * undefined for the audit log.
 */
export function ruleConsumer(rule: BusRule, from: readonly QueueDefinition[] = queues): string | undefined {
  if ('function' in rule.target) return rule.target.function;
  if ('queue' in rule.target) {
    const name = rule.target.queue;
    const queue = from.find((q) => q.name === name);
    if (!queue) throw new Error(`Bus rule ${rule.name} targets queue ${name}, which no context declares`);
    return queue.consumer;
  }
  return undefined;
}
