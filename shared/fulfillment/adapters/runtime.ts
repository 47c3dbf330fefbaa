import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type InventoryPorts, runtimeInventoryPorts, stockReservations } from '../../inventory';
import { OrderStore, ordersTable } from '../../orders';
import { documentClient, stepFunctionsClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { fulfillmentTable } from '../definition';
import type { FulfillmentPorts, FulfilmentPorts, WorkflowPort } from '../use-cases/ports';
import { profilePlanner } from '../use-cases/routing';
import { FulfilmentStore } from './fulfilment-store';
import { ProfileStore } from './profile-store';
import { StepFunctionsWorkflows, type WorkflowKind, workflowArnsFromEnv } from './workflows';

/** The fulfillment ports over its table; tests build them over DynamoDB Local. */
export function makeFulfillmentPorts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: () => Date = () => new Date(),
): FulfillmentPorts {
  return { profiles: new ProfileStore(doc, tableName), now: () => clock().toISOString() };
}

let ports: FulfillmentPorts | undefined;

/** Built when a handler module loads: a missing table name fails the cold start, naming it. */
export function runtimeFulfillmentPorts(): FulfillmentPorts {
  ports ??= makeFulfillmentPorts(documentClient(), requireEnv(fulfillmentTable.envVar));
  return ports;
}

/**
 * The ports of the fulfilment workflow and the location API: the fulfillment and orders tables, the
 * inventory pool (whose transaction, clock and ids they share, so a group, its order and the stock
 * they move commit as one) and the workflows.
 */
export function makeFulfilmentPorts(
  doc: DynamoDBDocumentClient,
  tables: { fulfillment: string; orders: string },
  inventory: InventoryPorts,
  workflows: WorkflowPort,
): FulfilmentPorts {
  return {
    groups: new FulfilmentStore(doc, tables.fulfillment),
    profiles: new ProfileStore(doc, tables.fulfillment),
    orders: new OrderStore(doc, tables.orders),
    stock: stockReservations(inventory),
    inventory,
    workflows,
    transact: inventory.transact,
    now: inventory.now,
  };
}

/** One set per combination of workflows (the embedded runtime loads every handler in one process). */
const fulfilmentPorts = new Map<string, FulfilmentPorts>();

/**
 * The fulfilment ports of a handler, built at cold start from its environment. `workflows` are the
 * kinds of state machine whose ARN the handler must have: exactly those its definition uses
 * (`startsWorkflows`, `stopsWorkflows`, `readsWorkflows`, `answersWorkflows`), whose ARNs it is
 * given; a missing one fails the cold start, naming its variable. A call that needs an ARN the
 * handler was not given fails at run time, naming the kind.
 */
export function runtimeFulfilmentPorts(workflows: readonly WorkflowKind[] = []): FulfilmentPorts {
  const key = [...workflows].sort().join(',');
  let ports = fulfilmentPorts.get(key);
  if (!ports) {
    ports = makeFulfilmentPorts(
      documentClient(),
      { fulfillment: requireEnv(fulfillmentTable.envVar), orders: requireEnv(ordersTable.envVar) },
      runtimeInventoryPorts(),
      new StepFunctionsWorkflows(stepFunctionsClient(), workflowArnsFromEnv(workflows)),
    );
    fulfilmentPorts.set(key, ports);
  }
  return ports;
}

/** The intake's planner: the sourcing engine under the active routing profile, read from the fulfillment table. */
export function runtimeRoutingPlanner() {
  const table = requireEnv(fulfillmentTable.envVar);
  return profilePlanner(
    new ProfileStore(documentClient(), table),
    new FulfilmentStore(documentClient(), table),
  );
}
