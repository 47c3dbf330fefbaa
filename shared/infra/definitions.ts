/**
 * The one definition of the system's shape: tables, functions (with their triggers), bus rules and
 * schedules. The CDK stack (`cdk/`) and the embedded runtime (`local/`) both build from this module,
 * so nothing about routes, keys or event patterns is written twice.
 */

/** Environment variable names the handlers read (through `shared/config/env.ts`). */
export const ENV = {
  inventoryTable: 'INVENTORY_TABLE',
  ordersTable: 'ORDERS_TABLE',
  eventBusName: 'EVENT_BUS_NAME',
  /** JSON object mapping an API Gateway API key id to a channel name (or `ops`). */
  apiKeyChannels: 'API_KEY_CHANNELS',
  /** Optional endpoint override for DynamoDB (the embedded runtime points it at DynamoDB Local). */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  /** Optional endpoint override for EventBridge (the embedded runtime points it at the local bus). */
  eventBridgeEndpoint: 'EVENTBRIDGE_ENDPOINT',
} as const;

export type TableKey = 'inventory' | 'orders';

export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

/** A DynamoDB table: string keys `PK`/`SK`, TTL on `ttl`, a NEW_AND_OLD_IMAGES stream. */
export interface TableDefinition {
  key: TableKey;
  /** Logical id in CDK and suffix of the local table name. */
  id: string;
  envVar: string;
  partitionKey: 'PK';
  sortKey: 'SK';
  ttlAttribute: 'ttl';
  indexes: IndexDefinition[];
}

export const tables: Record<TableKey, TableDefinition> = {
  inventory: {
    key: 'inventory',
    id: 'Inventory',
    envVar: ENV.inventoryTable,
    partitionKey: 'PK',
    sortKey: 'SK',
    ttlAttribute: 'ttl',
    // GSI1: active reservations by expiry (for the sweeper); locations and rules listings.
    indexes: [{ indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' }],
  },
  orders: {
    key: 'orders',
    id: 'Orders',
    envVar: ENV.ordersTable,
    partitionKey: 'PK',
    sortKey: 'SK',
    ttlAttribute: 'ttl',
    // GSI1: orders by channel order id (channel sees its own, ops sees all).
    indexes: [{ indexName: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' }],
  },
};

export const BUS_NAME = 'commerce';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export type Trigger =
  | { kind: 'http'; method: HttpMethod; path: string }
  | { kind: 'event'; rule: string }
  | { kind: 'stream'; tables: TableKey[] }
  | { kind: 'schedule'; everySeconds: number };

/** What a function may touch; CDK turns it into grants, the local runtime ignores it. */
export interface FunctionDefinition {
  /** Logical name, PascalCase. */
  name: string;
  /** Handler module relative to the project root; it exports `handler`. */
  entry: string;
  description: string;
  trigger: Trigger;
  reads: TableKey[];
  writes: TableKey[];
  putsEvents: boolean;
  /** Needs the API key id → channel map. */
  apiKeys?: boolean;
  timeoutSeconds?: number;
  memoryMb?: number;
}

const http = (method: HttpMethod, path: string): Trigger => ({ kind: 'http', method, path });

export const functions: FunctionDefinition[] = [
  {
    name: 'GetHealth',
    entry: 'functions/get-health.ts',
    description: 'Liveness of the API',
    trigger: http('GET', '/health'),
    reads: [],
    writes: [],
    putsEvents: false,
  },
  {
    name: 'PutLocation',
    entry: 'functions/put-location.ts',
    description: 'Create or replace a store or DC',
    trigger: http('PUT', '/locations/{locationId}'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'ListLocations',
    entry: 'functions/list-locations.ts',
    description: 'List stores and DCs',
    trigger: http('GET', '/locations'),
    reads: ['inventory'],
    writes: [],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'PutInventoryPosition',
    entry: 'functions/put-inventory-position.ts',
    description: 'Absolute on-hand count for a SKU at a location from the system of record',
    trigger: http('PUT', '/inventory/{sku}/{locationId}'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'PostInventoryAdjustment',
    entry: 'functions/post-inventory-adjustment.ts',
    description: 'Relative stock movement, idempotent per sourceEventId',
    trigger: http('POST', '/inventory/adjustments'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'GetInventory',
    entry: 'functions/get-inventory.ts',
    description: 'Positions of a SKU at every location',
    trigger: http('GET', '/inventory/{sku}'),
    reads: ['inventory'],
    writes: [],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'PutChannelRule',
    entry: 'functions/put-channel-rule.ts',
    description: 'Create or replace a named channel allocation rule',
    trigger: http('PUT', '/channel-rules/{ruleId}'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'ListChannelRules',
    entry: 'functions/list-channel-rules.ts',
    description: 'List channel allocation rules',
    trigger: http('GET', '/channel-rules'),
    reads: ['inventory'],
    writes: [],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'DeleteChannelRule',
    entry: 'functions/delete-channel-rule.ts',
    description: 'Remove a channel allocation rule',
    trigger: http('DELETE', '/channel-rules/{ruleId}'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'GetAvailability',
    entry: 'functions/get-availability.ts',
    description: "What the caller's channel may sell now",
    trigger: http('GET', '/availability'),
    reads: ['inventory'],
    writes: [],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'CreateReservation',
    entry: 'functions/create-reservation.ts',
    description: 'Hold stock for a cart, POS basket or pending marketplace order',
    trigger: http('POST', '/reservations'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'DeleteReservation',
    entry: 'functions/delete-reservation.ts',
    description: 'Release a hold',
    trigger: http('DELETE', '/reservations/{reservationId}'),
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'CreateOrder',
    entry: 'functions/create-order.ts',
    description: 'The one order intake for every channel',
    trigger: http('POST', '/orders'),
    reads: ['inventory', 'orders'],
    writes: ['inventory', 'orders'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'GetOrder',
    entry: 'functions/get-order.ts',
    description: 'One order',
    trigger: http('GET', '/orders/{orderId}'),
    reads: ['orders'],
    writes: [],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'ListOrders',
    entry: 'functions/list-orders.ts',
    description: 'Orders by channel order id',
    trigger: http('GET', '/orders'),
    reads: ['orders'],
    writes: [],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'CancelOrder',
    entry: 'functions/cancel-order.ts',
    description: 'Cancel an order and release what it holds',
    trigger: http('POST', '/orders/{orderId}/cancel'),
    reads: ['inventory', 'orders'],
    writes: ['inventory', 'orders'],
    putsEvents: false,
    apiKeys: true,
  },
  {
    name: 'MarketplaceOrderIntake',
    entry: 'functions/marketplace-order-intake.ts',
    description: 'Marketplace orders from the bus into the one order intake',
    trigger: { kind: 'event', rule: 'MarketplaceOrderPlaced' },
    reads: ['inventory', 'orders'],
    writes: ['inventory', 'orders'],
    putsEvents: true,
  },
  {
    name: 'PublishEvents',
    entry: 'functions/publish-events.ts',
    description: 'Outbox publisher: table streams to the bus, and per-channel availability changes',
    trigger: { kind: 'stream', tables: ['inventory', 'orders'] },
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: true,
    timeoutSeconds: 60,
  },
  {
    name: 'SweepReservations',
    entry: 'functions/sweep-reservations.ts',
    description: 'Releases holds whose time is up',
    trigger: { kind: 'schedule', everySeconds: 60 },
    reads: ['inventory'],
    writes: ['inventory'],
    putsEvents: false,
    timeoutSeconds: 120,
  },
];

export type EventPattern = Record<string, unknown>;

/** An EventBridge rule on the `commerce` bus. */
export interface BusRule {
  name: string;
  description: string;
  eventPattern: EventPattern;
  /** A function by its definition name, or the audit log. */
  target: { function: string } | { auditLog: true };
}

export const busRules: BusRule[] = [
  {
    name: 'MarketplaceOrderPlaced',
    description: 'Marketplace orders enter the same intake as HTTP orders',
    eventPattern: { source: [{ prefix: 'marketplace.' }], 'detail-type': ['MarketplaceOrderPlaced'] },
    target: { function: 'MarketplaceOrderIntake' },
  },
  {
    name: 'CommerceAudit',
    description: 'Every domain event, kept in a log group for operations',
    eventPattern: { source: [{ prefix: 'commerce.' }] },
    target: { auditLog: true },
  },
];

/** Dev API keys of the embedded runtime: key value → channel (or `ops`). Documented in the README. */
export const LOCAL_API_KEYS: Record<string, string> = {
  'local-web': 'web',
  'local-app': 'app',
  'local-store': 'store',
  'local-marketplace': 'marketplace',
  'local-callcenter': 'callcenter',
  'local-ops': 'ops',
};

/** Channels that sell; `ops` is the operations principal, not a channel. */
export const CHANNELS = ['web', 'app', 'store', 'marketplace', 'callcenter'] as const;
export type Channel = (typeof CHANNELS)[number];
export type Principal = Channel | 'ops';
