import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { requireEnv } from '../../platform/config';
import { FULFILLMENT_GROUP_WORKFLOW, FULFILLMENT_WORKFLOW, fulfillmentWorkflows } from '../definition';
import type { WorkflowHistoryEntry, WorkflowPort } from '../use-cases/ports';

/** The execution ARN of a state machine's execution by name (as Step Functions forms it). */
export const executionArnOf = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** Errors that say the task or execution is no longer there to be answered or stopped. */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken', 'ExecutionDoesNotExist']);
const gone = (error: unknown) => GONE.has((error as Error).name);

/**
 * The fulfilment workflows through the Step Functions API (locally, the embedded runner's endpoint):
 * one execution per order named after it, one per group named after the group.
 */
export class StepFunctionsWorkflows implements WorkflowPort {
  constructor(
    private readonly client: SFNClient,
    private readonly arns: { order?: string; group?: string },
  ) {}

  private arn(kind: WorkflowKind): string {
    const arn = this.arns[kind];
    if (!arn) throw new Error(`This function was not given the ${kind} state machine's ARN`);
    return arn;
  }

  async startOrder(orderId: string): Promise<'started' | 'exists'> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.arn('order'),
          name: orderId,
          input: JSON.stringify({ orderId }),
        }),
      );
      return 'started';
    } catch (error) {
      // The same order again (a redelivered event): its one execution exists, running or ended.
      if ((error as Error).name === 'ExecutionAlreadyExists') return 'exists';
      throw error;
    }
  }

  async stop(kind: 'order' | 'group', name: string, cause: string): Promise<void> {
    try {
      await this.client.send(
        new StopExecutionCommand({
          executionArn: executionArnOf(this.arn(kind), name),
          error: 'OrderCancelled',
          cause,
        }),
      );
    } catch (error) {
      if (!gone(error)) throw error;
    }
  }

  async answer(
    token: string,
    outcome: { output: unknown } | { error: string; cause: string },
  ): Promise<'delivered' | 'notWaiting'> {
    try {
      if ('output' in outcome) {
        await this.client.send(
          new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(outcome.output) }),
        );
      } else {
        await this.client.send(
          new SendTaskFailureCommand({ taskToken: token, error: outcome.error, cause: outcome.cause }),
        );
      }
      return 'delivered';
    } catch (error) {
      if (gone(error)) return 'notWaiting';
      throw error;
    }
  }

  async history(kind: 'order' | 'group', name: string): Promise<WorkflowHistoryEntry[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new GetExecutionHistoryCommand({
            executionArn: executionArnOf(this.arn(kind), name),
            maxResults: 1000,
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        events.push(...(out.events ?? []));
        nextToken = out.nextToken;
      } while (nextToken);
    } catch (error) {
      if (gone(error)) return [];
      throw error;
    }
    return events.map((e) => ({
      at: e.timestamp ? new Date(e.timestamp).toISOString() : '',
      type: e.type ?? 'Unknown',
      execution: name,
      ...(stateOf(e) ? { state: stateOf(e) } : {}),
    }));
  }
}

/** The state an event is about, where it names one. */
function stateOf(event: HistoryEvent): string | undefined {
  return event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;
}

/** The fulfilment state machines, as the handlers name them: an order's, a group's. */
export type WorkflowKind = 'order' | 'group';

/**
 * The state machine ARNs of `kinds`, read at cold start: a function deployed without one fails its
 * init, naming the variable. A handler asks for exactly the workflows its definition uses
 * (`startsWorkflows`, `stopsWorkflows`, `readsWorkflows`, `answersWorkflows`), since it is given the
 * ARN of each of those and of no other. Answering a task needs no ARN (the task token names the
 * execution), but an answering function is given the ARN and requires it all the same: the
 * definition, the grants and the environment stay one list.
 */
export function workflowArnsFromEnv(kinds: readonly WorkflowKind[]) {
  const envOf = (name: string) => fulfillmentWorkflows.find((w) => w.name === name)?.envVar ?? '';
  return {
    ...(kinds.includes('order') ? { order: requireEnv(envOf(FULFILLMENT_WORKFLOW)) } : {}),
    ...(kinds.includes('group') ? { group: requireEnv(envOf(FULFILLMENT_GROUP_WORKFLOW)) } : {}),
  };
}
