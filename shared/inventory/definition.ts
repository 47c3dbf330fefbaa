import { z } from 'zod';
import { CATALOG_TABLE_KEY } from '../catalog';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  ownTableRoutes,
  routeFunction,
  type TableDefinition,
  tablesFor,
} from '../platform/definition';
import { idempotencyKeySchema } from '../platform/idempotency/fingerprint';
import { limitQuery } from '../platform/queries';
import { INVENTORY_TABLE_KEY } from './domain/record-events';
import { inventoryEventDescriptions, inventoryEvents } from './events';
import {
  adjustmentInputSchema,
  availabilityQuerySchema,
  channelRuleInputSchema,
  holdInputSchema,
  locationIdSchema,
  locationInputSchema,
  locationStatusInputSchema,
  positionInputSchema,
  skuSchema,
} from './schemas';

/**
 * The inventory context: locations, positions, holds, the adjustment ledger, channel allocation
 * rules and availability snapshots, in one table.
 */

// GSI1: active holds by expiry (for the sweeper); locations and rules listings.
export const inventoryTable: TableDefinition = contextTable(
  INVENTORY_TABLE_KEY,
  'Inventory',
  'INVENTORY_TABLE',
);

const ruleIdSchema = locationIdSchema;
const holdIdSchema = z.string().min(1).max(100);

/** The inventory API: each route's schemas validate in the handler and generate the contracts. */
export const inventoryRoutes = {
  putLocation: defineRoute({
    method: 'PUT',
    path: '/locations/{locationId}',
    access: 'ops',
    summary:
      "Create or replace a store or DC (its systems' credentials: `POST /locations/{locationId}/clients`)",
    params: z.object({ locationId: locationIdSchema }),
    body: locationInputSchema,
  }),
  issueLocationClient: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/clients',
    access: 'ops',
    summary:
      "Issue OAuth client credentials for a location's own systems (scope `fulfillment/location`; the secret is shown this once; earlier clients stay valid until revoked)",
    params: z.object({ locationId: locationIdSchema }),
    responses: {
      201: {
        description:
          'The client: `clientSecret` is not shown again; post both to `tokenUrl` (client credentials grant)',
      },
    },
  }),
  listLocationClients: defineRoute({
    method: 'GET',
    path: '/locations/{locationId}/clients',
    access: 'ops',
    summary: "A location's OAuth clients: ids and names, never secrets",
    params: z.object({ locationId: locationIdSchema }),
  }),
  revokeLocationClient: defineRoute({
    method: 'DELETE',
    path: '/locations/{locationId}/clients/{clientId}',
    access: 'ops',
    summary: "Revoke one of a location's OAuth clients (a leaked or retired credential)",
    params: z.object({
      locationId: locationIdSchema,
      clientId: z.string().regex(/^[\w+]{1,128}$/, 'an OAuth client id'),
    }),
  }),
  setLocationStatus: defineRoute({
    method: 'PUT',
    path: '/locations/{locationId}/status',
    access: 'ops',
    summary: 'Close a location, or only its pickup, for a reason and optionally until a time; or open it',
    params: z.object({ locationId: locationIdSchema }),
    body: locationStatusInputSchema,
  }),
  listLocations: defineRoute({
    method: 'GET',
    path: '/locations',
    access: 'any',
    summary: 'List stores and DCs',
  }),
  countInventory: defineRoute({
    method: 'PUT',
    path: '/inventory/{sku}/{locationId}',
    access: 'ops',
    summary: 'Absolute on-hand count for a SKU at a location from the system of record',
    params: z.object({ sku: skuSchema, locationId: locationIdSchema }),
    body: positionInputSchema,
  }),
  adjustInventory: defineRoute({
    method: 'POST',
    path: '/inventory/adjustments',
    access: 'ops',
    summary: 'Relative stock movement, applied once per source system and sourceEventId',
    body: adjustmentInputSchema,
    responses: {
      201: {
        description:
          'Applied; a repeat of the same source system and sourceEventId answers the first result again (header idempotent-replayed: true)',
      },
    },
  }),
  getStockHistory: defineRoute({
    method: 'GET',
    path: '/inventory/{sku}/{locationId}/history',
    access: 'ops',
    summary: "A position's counts and movements by source time, newest first, applied or ignored (with why)",
    params: z.object({ sku: skuSchema, locationId: locationIdSchema }),
    query: z.object({
      limit: limitQuery(100, 'At most this many records (default 50)'),
    }),
  }),
  getInventory: defineRoute({
    method: 'GET',
    path: '/inventory/{sku}',
    access: 'ops',
    summary: 'Positions of a SKU at every location',
    params: z.object({ sku: skuSchema }),
  }),
  putChannelRule: defineRoute({
    method: 'PUT',
    path: '/channel-rules/{ruleId}',
    access: 'ops',
    summary: 'Create or replace a named channel allocation rule',
    params: z.object({ ruleId: ruleIdSchema }),
    body: channelRuleInputSchema,
  }),
  listChannelRules: defineRoute({
    method: 'GET',
    path: '/channel-rules',
    access: 'ops',
    summary: 'List channel allocation rules',
  }),
  deleteChannelRule: defineRoute({
    method: 'DELETE',
    path: '/channel-rules/{ruleId}',
    access: 'ops',
    summary: 'Remove a channel allocation rule',
    params: z.object({ ruleId: ruleIdSchema }),
    responses: { 204: { description: 'Removed' } },
  }),
  getAvailability: defineRoute({
    method: 'GET',
    path: '/availability',
    access: 'any',
    summary: "What the caller's channel may sell now",
    query: availabilityQuerySchema,
  }),
  placeHold: defineRoute({
    method: 'POST',
    path: '/holds',
    access: 'channel',
    summary: 'Hold stock for a cart, POS basket or pending marketplace order',
    body: holdInputSchema,
    headers: z.object({ 'Idempotency-Key': idempotencyKeySchema.optional() }),
  }),
  releaseHold: defineRoute({
    method: 'DELETE',
    path: '/holds/{holdId}',
    access: 'channel',
    summary: 'Release a hold',
    params: z.object({ holdId: holdIdSchema }),
  }),
} as const;

const api = ownTableRoutes('inventory', INVENTORY_TABLE_KEY);

export const inventory: ContextDefinition = {
  name: 'inventory',
  tables: [inventoryTable],
  functions: [
    api('PutLocation', 'put-location', inventoryRoutes.putLocation, ['GetItem', 'PutItem']),
    api('SetLocationStatus', 'set-location-status', inventoryRoutes.setLocationStatus, ['UpdateItem']),
    // The location's existence, its clients so far (at most 5), then a new client of the user pool.
    {
      ...api('IssueLocationClient', 'issue-location-client', inventoryRoutes.issueLocationClient, [
        'GetItem',
      ]),
      oauthClients: ['ListUserPoolClients', 'CreateUserPoolClient'],
    },
    {
      ...api('ListLocationClients', 'list-location-clients', inventoryRoutes.listLocationClients, []),
      reads: [],
      dynamodb: {},
      oauthClients: ['ListUserPoolClients'],
    },
    // The client's name says whose it is; nothing of the inventory table is read.
    {
      ...api('RevokeLocationClient', 'revoke-location-client', inventoryRoutes.revokeLocationClient, []),
      reads: [],
      dynamodb: {},
      oauthClients: ['DescribeUserPoolClient', 'DeleteUserPoolClient'],
    },
    api('ListLocations', 'list-locations', inventoryRoutes.listLocations, ['Query:GSI1']),
    api('CountInventory', 'count-inventory', inventoryRoutes.countInventory, [
      'GetItem',
      'PutItem',
      'Query',
      'Query:GSI1',
    ]),
    api('AdjustInventory', 'adjust-inventory', inventoryRoutes.adjustInventory, [
      'GetItem',
      'PutItem',
      'Query:GSI1',
      'UpdateItem',
    ]),
    api('GetInventory', 'get-inventory', inventoryRoutes.getInventory, ['Query']),
    api('GetStockHistory', 'get-stock-history', inventoryRoutes.getStockHistory, ['Query']),
    api('PutChannelRule', 'put-channel-rule', inventoryRoutes.putChannelRule, ['PutItem', 'UpdateItem']),
    // Read from the code (not reached by the suites): the rule book is one GSI1 query.
    api('ListChannelRules', 'list-channel-rules', inventoryRoutes.listChannelRules, ['Query:GSI1']),
    // Read from the code (not reached by the suites): the rule's delete and the rule book's version
    // move in one transaction.
    api('DeleteChannelRule', 'delete-channel-rule', inventoryRoutes.deleteChannelRule, [
      'DeleteItem',
      'UpdateItem',
    ]),
    api('GetAvailability', 'get-availability', inventoryRoutes.getAvailability, [
      'BatchGetItem',
      'Query',
      'Query:GSI1',
    ]),
    // The hold intake reads the catalog to refuse what the channel may not sell. GetItem read from
    // the code: a repeated Idempotency-Key reads the first answer (the suites send none).
    routeFunction(
      'inventory',
      'PlaceHold',
      'place-hold',
      inventoryRoutes.placeHold,
      tablesFor({
        [INVENTORY_TABLE_KEY]: ['BatchGetItem', 'GetItem', 'PutItem', 'Query', 'Query:GSI1', 'UpdateItem'],
        [CATALOG_TABLE_KEY]: ['BatchGetItem'],
      }),
    ),
    // Read from the code (not reached by the suites): reads the hold, ends it and releases its units.
    api('ReleaseHold', 'release-hold', inventoryRoutes.releaseHold, ['GetItem', 'UpdateItem']),
    {
      name: 'ExpireHolds',
      entry: 'functions/inventory/expire-holds.ts',
      description: 'Releases holds whose time is up',
      trigger: { kind: 'schedule', everySeconds: 60, localEverySeconds: 1 },
      ...tablesFor({ [INVENTORY_TABLE_KEY]: ['GetItem', 'Query:GSI1', 'UpdateItem'] }),
      putsEvents: false,
      timeoutSeconds: 50,
      reservedConcurrency: 1,
    },
    {
      name: 'RecomputeAvailability',
      entry: 'functions/inventory/recompute-availability.ts',
      description: "Re-evaluates every SKU's channel availability, page by page, after a rule change",
      trigger: { kind: 'schedule', everySeconds: 60, localEverySeconds: 1 },
      // The one Scan of the system: the resumable pass over every SKU with a position.
      ...tablesFor({
        [INVENTORY_TABLE_KEY]: [
          'BatchGetItem',
          'GetItem',
          'PutItem',
          'Query',
          'Query:GSI1',
          'Scan',
          'UpdateItem',
        ],
      }),
      putsEvents: true,
      timeoutSeconds: 50,
    },
  ],
  busRules: [],
  events: { ...inventoryEvents, descriptions: inventoryEventDescriptions },
  eventSource: {
    table: INVENTORY_TABLE_KEY,
    ...tablesFor({
      [INVENTORY_TABLE_KEY]: ['BatchGetItem', 'GetItem', 'PutItem', 'Query', 'Query:GSI1', 'UpdateItem'],
    }),
    load: async () => (await import('./adapters/event-source')).inventoryStream(),
  },
};
