import { z } from 'zod';
import { INVENTORY_TABLE_KEY } from '../inventory';
import { ORDERS_TABLE_KEY } from '../orders';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  type FunctionDefinition,
  ownTableRoutes,
  type RouteSpec,
  routeFunction,
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

/** Fulfilment moves orders, their groups and the stock they hold together, in one transaction. */
const ALL_TABLES = {
  reads: [FULFILLMENT_TABLE_KEY, ORDERS_TABLE_KEY, INVENTORY_TABLE_KEY],
  writes: [FULFILLMENT_TABLE_KEY, ORDERS_TABLE_KEY, INVENTORY_TABLE_KEY],
};

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

/** A Task of a fulfilment workflow. */
const task = (name: string, file: string, workflow: string, description: string): FunctionDefinition => ({
  name,
  entry: `functions/fulfillment/${file}.ts`,
  description,
  trigger: { kind: 'workflow', workflow },
  ...ALL_TABLES,
  putsEvents: false,
  timeoutSeconds: 30,
});

/** A location API route: it works on the groups through the fulfilment ports, writing the fulfillment table. */
const locationRoute = (name: string, file: string, spec: RouteSpec, writes: string[]): FunctionDefinition =>
  routeFunction('fulfillment', name, file, spec, { reads: ALL_TABLES.reads, writes });

/** A location's answer (accept, reject, ship, …): it also answers the group workflow's waiting task. */
const answerRoute = (name: string, file: string, spec: RouteSpec): FunctionDefinition => ({
  // An answer moves the group, its order and the stock they hold in one transaction.
  ...locationRoute(name, file, spec, ALL_TABLES.writes),
  answersWorkflows: [FULFILLMENT_GROUP_WORKFLOW],
});

export const fulfillment: ContextDefinition = {
  name: 'fulfillment',
  tables: [fulfillmentTable],
  functions: [
    api('PutSourcingProfile', 'put-sourcing-profile', fulfillmentRoutes.putSourcingProfile, true),
    api('GetSourcingProfile', 'get-sourcing-profile', fulfillmentRoutes.getSourcingProfile, false),
    api(
      'GetSourcingProfileVersion',
      'get-sourcing-profile-version',
      fulfillmentRoutes.getSourcingProfileVersion,
      false,
    ),
    api('DryRunSourcingProfile', 'dry-run-sourcing-profile', fulfillmentRoutes.dryRunSourcingProfile, false),
    api(
      'ActivateSourcingProfile',
      'activate-sourcing-profile',
      fulfillmentRoutes.activateSourcingProfile,
      true,
    ),
    task('RouteOrder', 'route-order', FULFILLMENT_WORKFLOW, 'Routes an order: its groups and decision'),
    task(
      'CompleteOrder',
      'complete-order',
      FULFILLMENT_WORKFLOW,
      'Completes an order once every group is done',
    ),
    task(
      'AskLocation',
      'ask-location',
      FULFILLMENT_GROUP_WORKFLOW,
      "Puts a group's next step in its location's work list",
    ),
    task(
      'ResolveTimeout',
      'resolve-timeout',
      FULFILLMENT_GROUP_WORKFLOW,
      "A step's wait ran out: follow the location's late answer, or fail the group, or expire the pickup",
    ),
    task(
      'AbandonGroup',
      'abandon-group',
      FULFILLMENT_WORKFLOW,
      "A group's execution failed: give back what it and its replacements hold, cancel their lines",
    ),
    // The same compensation for a replacement group, as a task of the group workflow (a function
    // is the task of one workflow).
    task(
      'AbandonReplacement',
      'abandon-group',
      FULFILLMENT_GROUP_WORKFLOW,
      "A replacement group's execution failed: give back what it and its replacements hold",
    ),
    task('RerouteGroup', 'reroute-group', FULFILLMENT_GROUP_WORKFLOW, 'Reroutes a group a location failed'),
    {
      name: 'StartFulfillment',
      entry: 'functions/fulfillment/start-fulfillment.ts',
      description: 'Starts the fulfilment workflow of each new order, named after the order id',
      trigger: { kind: 'event', rule: 'FulfilNewOrders' },
      reads: [],
      writes: [],
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
      putsEvents: false,
      // The order's execution and its open groups' executions.
      stopsWorkflows: [FULFILLMENT_WORKFLOW, FULFILLMENT_GROUP_WORKFLOW],
    },
    // Reads the work lists in the table only: no workflow rights.
    locationRoute('ListLocationWork', 'list-location-work', fulfillmentRoutes.listLocationWork, []),
    answerRoute('AcceptFulfillment', 'accept-fulfillment', fulfillmentRoutes.acceptFulfillment),
    answerRoute('RejectFulfillment', 'reject-fulfillment', fulfillmentRoutes.rejectFulfillment),
    answerRoute('ReportShortPick', 'report-short-pick', fulfillmentRoutes.reportShortPick),
    answerRoute('MarkShipped', 'mark-shipped', fulfillmentRoutes.markShipped),
    answerRoute('MarkReadyForPickup', 'mark-ready-for-pickup', fulfillmentRoutes.markReadyForPickup),
    answerRoute('MarkCollected', 'mark-collected', fulfillmentRoutes.markCollected),
    {
      ...routeFunction(
        'fulfillment',
        'GetOrderTimeline',
        'get-order-timeline',
        fulfillmentRoutes.getOrderTimeline,
        // Its ports are the fulfilment ports, which read the inventory pool too.
        { reads: ALL_TABLES.reads, writes: [] },
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
