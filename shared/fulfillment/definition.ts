import { z } from 'zod';
import { INVENTORY_TABLE_KEY } from '../inventory';
import { ORDERS_TABLE_KEY } from '../orders';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  type FunctionDefinition,
  mergeTableActions,
  ownTableRoutes,
  type RouteSpec,
  routeFunction,
  type TableActions,
  type TableDefinition,
  type WorkflowDefinition,
} from '../platform/definition';
import { fulfillmentEventDescriptions, fulfillmentEvents } from './events';
import {
  groupIdSchema,
  profileIdSchema,
  rejectAnswerSchema,
  shipAnswerSchema,
  shortPickAnswerSchema,
  sourcingProfileInputSchema,
  versionSchema,
} from './schemas';

/**
 * The fulfillment context: sourcing profiles (versioned routing rules), the routing decisions made
 * with them, and each order's fulfilment groups (the locations' work lists), in one table; the
 * fulfilment workflows that move the groups; the location API that answers them.
 */
export const FULFILLMENT_TABLE_KEY = 'fulfillment';

// GSI1: routing decisions by time (the dry run of a profile replays the most recent).
export const fulfillmentTable: TableDefinition = contextTable(
  FULFILLMENT_TABLE_KEY,
  'Fulfillment',
  'FULFILLMENT_TABLE',
);

const profileParams = z.object({ profileId: profileIdSchema });
const workParams = z.object({ locationId: z.string().min(1).max(64), groupId: groupIdSchema });
const versionParams = z.object({ profileId: profileIdSchema, version: versionSchema });

export const fulfillmentRoutes = {
  putSourcingProfile: defineRoute({
    method: 'PUT',
    path: '/sourcing-profiles/{profileId}',
    access: 'ops',
    summary:
      'Write the next version of a sourcing profile, as a draft (the same content again returns that draft)',
    params: profileParams,
    body: sourcingProfileInputSchema,
    responses: {
      201: { description: 'The new draft version' },
      200: { description: 'The same draft, already written' },
    },
  }),
  getSourcingProfile: defineRoute({
    method: 'GET',
    path: '/sourcing-profiles/{profileId}',
    access: 'ops',
    summary: "A sourcing profile's versions and which one is active",
    params: profileParams,
  }),
  getSourcingProfileVersion: defineRoute({
    method: 'GET',
    path: '/sourcing-profiles/{profileId}/versions/{version}',
    access: 'ops',
    summary: 'One version of a sourcing profile',
    params: versionParams,
  }),
  dryRunSourcingProfile: defineRoute({
    method: 'POST',
    path: '/sourcing-profiles/{profileId}/versions/{version}/dry-run',
    access: 'ops',
    summary: 'How many recent routing decisions a version would change, with examples',
    params: versionParams,
  }),
  activateSourcingProfile: defineRoute({
    method: 'POST',
    path: '/sourcing-profiles/{profileId}/versions/{version}/activate',
    access: 'ops',
    summary: 'Route with this version from now on (after its dry run, which the answer carries)',
    params: versionParams,
  }),
  listLocationWork: defineRoute({
    method: 'GET',
    path: '/locations/{locationId}/work',
    access: 'location',
    summary: "A location's work list: the groups waiting on it, oldest first (its own key only)",
    params: z.object({ locationId: z.string().min(1).max(64) }),
  }),
  acceptFulfillment: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/work/{groupId}/accept',
    access: 'location',
    summary: 'The location takes the work',
    params: workParams,
  }),
  rejectFulfillment: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/work/{groupId}/reject',
    access: 'location',
    summary: 'The location cannot do the work: the group is rerouted without it',
    params: workParams,
    body: rejectAnswerSchema,
  }),
  reportShortPick: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/work/{groupId}/short-pick',
    access: 'location',
    summary: 'The location found less than the group needs: the group is rerouted without it',
    params: workParams,
    body: shortPickAnswerSchema,
  }),
  markShipped: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/work/{groupId}/ship',
    access: 'location',
    summary: 'The group left the location with a carrier (to the customer, or to the pickup store)',
    params: workParams,
    body: shipAnswerSchema,
  }),
  markReadyForPickup: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/work/{groupId}/ready-for-pickup',
    access: 'location',
    summary: 'The group waits at the pickup store for the customer',
    params: workParams,
  }),
  markCollected: defineRoute({
    method: 'POST',
    path: '/locations/{locationId}/work/{groupId}/collected',
    access: 'location',
    summary: 'The customer collected the group',
    params: workParams,
  }),
  getOrderTimeline: defineRoute({
    method: 'GET',
    path: '/orders/{orderId}/timeline',
    access: 'any',
    summary: "An order's events, routing decisions and workflow steps, in order",
    params: z.object({ orderId: z.string().min(1).max(100) }),
  }),
} as const;

const api = ownTableRoutes('fulfillment', FULFILLMENT_TABLE_KEY);

/**
 * Fulfilment moves orders, their groups and the stock they hold together, in one transaction. Its
 * ports need the three tables' names; what each function calls on them is its `dynamodb`.
 */
const ALL_TABLES = {
  reads: [FULFILLMENT_TABLE_KEY, ORDERS_TABLE_KEY, INVENTORY_TABLE_KEY],
  writes: [FULFILLMENT_TABLE_KEY, ORDERS_TABLE_KEY, INVENTORY_TABLE_KEY],
};

/** Reads a group, its order and the order's fulfilment head (GetItem), saves them (PutItem, UpdateItem). */
const MOVES_GROUP = {
  [FULFILLMENT_TABLE_KEY]: ['GetItem', 'PutItem'],
  [ORDERS_TABLE_KEY]: ['GetItem', 'UpdateItem'],
} as const;

const actions = mergeTableActions;

/**
 * Stock given back as transaction items: units still reserved are released (UpdateItem on the
 * positions); a transfer waiting at its pickup store is put on hand there (UpdateItem, and a stock
 * record: PutItem).
 */
const GIVES_STOCK_BACK: TableActions = { [INVENTORY_TABLE_KEY]: ['PutItem', 'UpdateItem'] };
/** Units leave stock (shipped, collected): the positions move and a stock record is written. */
const FULFILS_STOCK: TableActions = { [INVENTORY_TABLE_KEY]: ['PutItem', 'UpdateItem'] };

export const FULFILLMENT_WORKFLOW = 'Fulfillment';
export const FULFILLMENT_GROUP_WORKFLOW = 'FulfillmentGroup';

/** The two state machines: one execution per order, one child execution per fulfilment group. */
export const fulfillmentWorkflows: WorkflowDefinition[] = [
  {
    name: FULFILLMENT_WORKFLOW,
    file: 'statemachines/fulfillment.asl.json',
    description: 'Fulfils one order: routes it, fulfils each group in a child execution, completes it',
    functions: {
      RouteOrderFunctionArn: 'RouteOrder',
      AbandonGroupFunctionArn: 'AbandonGroup',
      CompleteOrderFunctionArn: 'CompleteOrder',
    },
    workflows: { FulfillmentGroupStateMachineArn: FULFILLMENT_GROUP_WORKFLOW },
    envVar: 'FULFILLMENT_STATE_MACHINE_ARN',
    startsWorkflows: [FULFILLMENT_GROUP_WORKFLOW],
  },
  {
    name: FULFILLMENT_GROUP_WORKFLOW,
    file: 'statemachines/fulfillment-group.asl.json',
    description:
      'Fulfils one group at one location; reroutes it into replacement groups when the location fails',
    functions: {
      AskLocationFunctionArn: 'AskLocation',
      ResolveTimeoutFunctionArn: 'ResolveTimeout',
      RerouteGroupFunctionArn: 'RerouteGroup',
      AbandonReplacementFunctionArn: 'AbandonReplacement',
    },
    envVar: 'FULFILLMENT_GROUP_STATE_MACHINE_ARN',
    startsWorkflows: [FULFILLMENT_GROUP_WORKFLOW],
  },
];

/** A Task of a fulfilment workflow, with the actions it calls on the three tables. */
const task = (
  name: string,
  file: string,
  workflow: string,
  description: string,
  dynamodb: TableActions,
): FunctionDefinition => ({
  name,
  entry: `functions/fulfillment/${file}.ts`,
  description,
  trigger: { kind: 'workflow', workflow },
  ...ALL_TABLES,
  dynamodb,
  putsEvents: false,
  timeoutSeconds: 30,
});

/** A location API route: it works on the groups through the fulfilment ports. */
const locationRoute = (
  name: string,
  file: string,
  spec: RouteSpec,
  writes: string[],
  dynamodb: TableActions,
): FunctionDefinition =>
  routeFunction('fulfillment', name, file, spec, { reads: ALL_TABLES.reads, writes, dynamodb });

/**
 * A location's answer (accept, reject, ship, …): it also answers the group workflow's waiting task.
 * Every answer reads the group, its order and the head, and moves the group and its order in one
 * transaction with the stock `stock` says.
 */
const answerRoute = (
  name: string,
  file: string,
  spec: RouteSpec,
  stock: TableActions = {},
): FunctionDefinition => ({
  ...locationRoute(name, file, spec, ALL_TABLES.writes, actions(MOVES_GROUP, stock)),
  answersWorkflows: [FULFILLMENT_GROUP_WORKFLOW],
});

export const fulfillment: ContextDefinition = {
  name: 'fulfillment',
  tables: [fulfillmentTable],
  functions: [
    api('PutSourcingProfile', 'put-sourcing-profile', fulfillmentRoutes.putSourcingProfile, [
      'GetItem',
      'PutItem',
      'UpdateItem',
    ]),
    api('GetSourcingProfile', 'get-sourcing-profile', fulfillmentRoutes.getSourcingProfile, [
      'GetItem',
      'Query',
    ]),
    // Read from the code (not reached by the suites): the version by its key.
    api(
      'GetSourcingProfileVersion',
      'get-sourcing-profile-version',
      fulfillmentRoutes.getSourcingProfileVersion,
      ['GetItem'],
    ),
    api('DryRunSourcingProfile', 'dry-run-sourcing-profile', fulfillmentRoutes.dryRunSourcingProfile, [
      'GetItem',
      'Query:GSI1',
    ]),
    api('ActivateSourcingProfile', 'activate-sourcing-profile', fulfillmentRoutes.activateSourcingProfile, [
      'GetItem',
      'Query:GSI1',
      'UpdateItem',
    ]),
    task(
      'RouteOrder',
      'route-order',
      FULFILLMENT_WORKFLOW,
      'Routes an order: its groups and decision',
      // The head, groups and routing record; the day's group counts (UpdateItem); the locations' step
      // times (inventory GetItem).
      actions(MOVES_GROUP, {
        [FULFILLMENT_TABLE_KEY]: ['Query', 'UpdateItem'],
        [INVENTORY_TABLE_KEY]: ['GetItem'],
      }),
    ),
    task(
      'CompleteOrder',
      'complete-order',
      FULFILLMENT_WORKFLOW,
      'Completes an order once every group is done',
      // Read from the code beyond the suites: the order is saved complete (UpdateItem) and units
      // stranded on its lines are released (inventory UpdateItem).
      {
        [FULFILLMENT_TABLE_KEY]: ['Query'],
        [ORDERS_TABLE_KEY]: ['GetItem', 'UpdateItem'],
        [INVENTORY_TABLE_KEY]: ['UpdateItem'],
      },
    ),
    task(
      'AskLocation',
      'ask-location',
      FULFILLMENT_GROUP_WORKFLOW,
      "Puts a group's next step in its location's work list",
      actions(MOVES_GROUP),
    ),
    task(
      'ResolveTimeout',
      'resolve-timeout',
      FULFILLMENT_GROUP_WORKFLOW,
      "A step's wait ran out: follow the location's late answer, or fail the group, or expire the pickup",
      // A failed or expired group gives its stock back (read from the code: the suites let no
      // transfer's pickup expire, which puts its units on hand: PutItem).
      actions(MOVES_GROUP, GIVES_STOCK_BACK),
    ),
    task(
      'AbandonGroup',
      'abandon-group',
      FULFILLMENT_WORKFLOW,
      "A group's execution failed: give back what it and its replacements hold, cancel their lines",
      // Read from the code (not reached by the suites): the order's groups and routings (Query), each
      // abandoned group saved with its order, its stock given back.
      actions(MOVES_GROUP, { [FULFILLMENT_TABLE_KEY]: ['Query'] }, GIVES_STOCK_BACK),
    ),
    // The same compensation for a replacement group, as a task of the group workflow (a function
    // is the task of one workflow).
    task(
      'AbandonReplacement',
      'abandon-group',
      FULFILLMENT_GROUP_WORKFLOW,
      "A replacement group's execution failed: give back what it and its replacements hold",
      actions(MOVES_GROUP, { [FULFILLMENT_TABLE_KEY]: ['Query'] }, GIVES_STOCK_BACK),
    ),
    task(
      'RerouteGroup',
      'reroute-group',
      FULFILLMENT_GROUP_WORKFLOW,
      'Reroutes a group a location failed',
      // Plans the replacements over the pool (positions, snapshots, rules, locations); a short pick's
      // stock correction is an inventory adjustment (its stock record, PutItem, read from the code).
      actions(MOVES_GROUP, {
        [FULFILLMENT_TABLE_KEY]: ['Query', 'UpdateItem'],
        [INVENTORY_TABLE_KEY]: ['BatchGetItem', 'GetItem', 'PutItem', 'Query', 'Query:GSI1', 'UpdateItem'],
      }),
    ),
    {
      name: 'StartFulfillment',
      entry: 'functions/fulfillment/start-fulfillment.ts',
      description: 'Starts the fulfilment workflow of each new order, named after the order id',
      trigger: { kind: 'event', rule: 'FulfilNewOrders' },
      reads: [],
      writes: [],
      dynamodb: {},
      putsEvents: false,
      startsWorkflows: [FULFILLMENT_WORKFLOW],
      // StartExecution answers in milliseconds on AWS; the embedded runner queues behind DynamoDB
      // Local under a burst of orders, and a start must not be given up on for that.
      timeoutSeconds: 60,
    },
    {
      name: 'StopFulfillment',
      entry: 'functions/fulfillment/stop-fulfillment.ts',
      description: "Stops a cancelled order's fulfilment and takes its groups off the work lists",
      trigger: { kind: 'event', rule: 'StopCancelledOrders' },
      reads: ALL_TABLES.reads,
      // A transfer waiting at its pickup store is put back on hand there.
      writes: [FULFILLMENT_TABLE_KEY, INVENTORY_TABLE_KEY],
      // The order's groups, each open one saved cancelled; the restock read from the code.
      dynamodb: actions({ [FULFILLMENT_TABLE_KEY]: ['GetItem', 'PutItem', 'Query'] }, GIVES_STOCK_BACK),
      putsEvents: false,
      // The order's execution and its open groups' executions.
      stopsWorkflows: [FULFILLMENT_WORKFLOW, FULFILLMENT_GROUP_WORKFLOW],
    },
    // Reads the work lists in the table only: no workflow rights.
    locationRoute('ListLocationWork', 'list-location-work', fulfillmentRoutes.listLocationWork, [], {
      [FULFILLMENT_TABLE_KEY]: ['Query:GSI1'],
    }),
    answerRoute('AcceptFulfillment', 'accept-fulfillment', fulfillmentRoutes.acceptFulfillment),
    // A failed group releases what it still holds.
    answerRoute('RejectFulfillment', 'reject-fulfillment', fulfillmentRoutes.rejectFulfillment, {
      [INVENTORY_TABLE_KEY]: ['UpdateItem'],
    }),
    // As a rejection (read from the code: the suites report no short pick through the API).
    answerRoute('ReportShortPick', 'report-short-pick', fulfillmentRoutes.reportShortPick, {
      [INVENTORY_TABLE_KEY]: ['UpdateItem'],
    }),
    answerRoute('MarkShipped', 'mark-shipped', fulfillmentRoutes.markShipped, FULFILS_STOCK),
    answerRoute('MarkReadyForPickup', 'mark-ready-for-pickup', fulfillmentRoutes.markReadyForPickup),
    // A collection takes the units out of the store's stock (read from the code: the suites'
    // collections end before the move).
    answerRoute('MarkCollected', 'mark-collected', fulfillmentRoutes.markCollected, FULFILS_STOCK),
    {
      ...routeFunction(
        'fulfillment',
        'GetOrderTimeline',
        'get-order-timeline',
        fulfillmentRoutes.getOrderTimeline,
        // Its ports are the fulfilment ports, which need the three tables' names; it reads the order
        // and the order's groups and routings.
        {
          reads: ALL_TABLES.reads,
          writes: [],
          dynamodb: { [FULFILLMENT_TABLE_KEY]: ['Query'], [ORDERS_TABLE_KEY]: ['GetItem'] },
        },
      ),
      // The execution history of the order and of each of its groups.
      readsWorkflows: [FULFILLMENT_WORKFLOW, FULFILLMENT_GROUP_WORKFLOW],
    },
  ],
  busRules: [
    {
      name: 'FulfilNewOrders',
      description: 'Every new order, whatever its channel, gets its fulfilment workflow',
      eventPattern: { source: ['commerce.orders'], 'detail-type': ['OrderCreated'] },
      target: { function: 'StartFulfillment' },
    },
    {
      name: 'StopCancelledOrders',
      description: "A cancelled order's fulfilment stops",
      eventPattern: { source: ['commerce.orders'], 'detail-type': ['OrderCancelled'] },
      target: { function: 'StopFulfillment' },
    },
  ],
  events: { ...fulfillmentEvents, descriptions: fulfillmentEventDescriptions },
  eventSource: {
    table: FULFILLMENT_TABLE_KEY,
    reads: [],
    writes: [],
    load: async () => (await import('./adapters/event-source')).fulfillmentStream,
  },
  workflows: fulfillmentWorkflows,
};
