import { CreateTableCommand, type DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../../shared/platform/dynamodb';

/**
 * Where the local workflow runner keeps what a durable engine keeps: executions with their
 * checkpoint (the state being run and its input), their history, task tokens and timers, in a
 * DynamoDB Local table of its own (the runtime's, not a context's: on AWS, Step Functions keeps
 * this). Every record is written before the runner acts on it, so a `kill -9` loses nothing.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** The top-level state to run from after a restart, and its input. */
  checkpoint: { state: string; input: string };
  /** The transition the checkpoint is: moves at every top-level state (waits are keyed by it). */
  seq?: number;
  /**
   * A child started by a `states:startExecution.sync` task: the parent execution and the wait
   * (kind `child`) its task waits on, settled when this execution ends.
   */
  parentExecutionArn?: string;
  parentWaitId?: string;
}

export interface HistoryEvent {
  id: number;
  timestamp: string;
  type: string;
  details?: Record<string, unknown>;
}

export type WaitStatus = 'WAITING' | 'SUCCEEDED' | 'FAILED';

/** The child execution a `states:startExecution.sync` task starts, recorded before it is started. */
export interface ChildExecution {
  stateMachineArn: string;
  name: string;
  executionArn: string;
  /** The child's input, as StartExecution takes it (JSON text). */
  input: string;
}

/**
 * A task waiting for its callback, a Wait state's timer, or a task waiting for the child execution
 * it started: absolute deadlines survive restarts.
 */
export interface WaitRecord {
  /** The task token (callbacks), the timer's own key (waits), or the child's link to its parent. */
  id: string;
  kind: 'callback' | 'timer' | 'child';
  executionArn: string;
  state: string;
  /** Identifies this entry of the state (its input), so a resumed run finds the same wait. */
  entryKey: string;
  status: WaitStatus;
  deadline?: string;
  heartbeatSeconds?: number;
  heartbeatDeadline?: string;
  output?: string;
  error?: string;
  cause?: string;
  /**
   * A callback's service was called with the token, or the child was started (else a resumed run
   * does it again).
   */
  submitted?: boolean;
  /** The task's Resource (for a child: `.sync` or `.sync:2`, which shapes its result). */
  resource?: string;
  /** The child execution a child wait is for. */
  child?: ChildExecution;
  createdAt: string;
}

const executionKey = (arn: string) => ({ PK: `EXEC#${arn}`, SK: 'EXEC' });

/**
 * Microseconds since the epoch, strictly increasing in this process: the order of history events.
 * A restart continues from the wall clock, which is past every event of the run before.
 */
let historyClock = 0;
const waitKey = (id: string) => ({ PK: `WAIT#${id}`, SK: 'WAIT' });
const entryIndexKey = (executionArn: string, state: string, entryKey: string) => ({
  PK: `EXEC#${executionArn}`,
  SK: `ENTRY#${state}#${entryKey}`,
});

const strip = <T>(item: Record<string, unknown> | undefined): T | undefined => {
  if (!item) return undefined;
  const { PK: _pk, SK: _sk, ...rest } = item;
  return rest as T;
};

export class WorkflowStore {
  readonly doc: DynamoDBDocumentClient;

  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async ensureTable(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'PK', AttributeType: 'S' },
            { AttributeName: 'SK', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'PK', KeyType: 'HASH' },
            { AttributeName: 'SK', KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException')
        throw error;
    }
  }

  /** Records a new execution; false when one with this ARN exists already. */
  async createExecution(record: ExecutionRecord): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...executionKey(record.executionArn), ...record },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async getExecution(arn: string): Promise<ExecutionRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: executionKey(arn), ConsistentRead: true }),
    );
    return strip<ExecutionRecord>(out.Item);
  }

  async listExecutions(): Promise<ExecutionRecord[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'SK = :exec',
          ExpressionAttributeValues: { ':exec': 'EXEC' },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map((i) => strip<ExecutionRecord>(i) as ExecutionRecord);
  }

  /** Records the state being entered; returns the transition number it is. */
  async setCheckpoint(arn: string, checkpoint: ExecutionRecord['checkpoint']): Promise<number> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: executionKey(arn),
          UpdateExpression: 'SET checkpoint = :c, seq = if_not_exists(seq, :zero) + :one',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':c': checkpoint, ':running': 'RUNNING', ':zero': 0, ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.seq ?? 0);
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return -1; // the execution has ended (stopped): nothing waits on this transition
    }
  }

  /** Ends a running execution; false when it had already ended (a stop racing its end). */
  finishExecution(
    arn: string,
    end: Pick<ExecutionRecord, 'status' | 'stopDate' | 'output' | 'error' | 'cause'>,
  ): Promise<boolean> {
    return this.setWhile(executionKey(arn), end, 'RUNNING');
  }

  /**
   * Sets the given fields (undefined ones left out) only while the item's status is `status`;
   * false when it no longer is (or the item is gone).
   */
  private async setWhile(key: Record<string, string>, fields: Record<string, unknown>, status: string) {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':current': status };
    const set: string[] = [];
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      set.push(`#${name} = :${name}`);
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${set.join(', ')}`,
          ConditionExpression: 'attribute_exists(PK) AND #status = :current',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Appends an event to an execution's history in one write: its key orders it (the time, then a
   * counter of this process), and ids are given on reading, in that order. A counter on the execution
   * item would cost a second request per event, and events are written at every state.
   */
  async appendHistory(arn: string, type: string, details?: Record<string, unknown>): Promise<void> {
    const now = Date.now();
    historyClock = Math.max(historyClock + 1, now * 1000);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          PK: `EXEC#${arn}`,
          SK: `HIST#${String(historyClock).padStart(17, '0')}`,
          timestamp: new Date(now).toISOString(),
          type,
          ...(details ? { details } : {}),
        },
      }),
    );
  }

  async history(arn: string): Promise<HistoryEvent[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :hist)',
      ExpressionAttributeValues: { ':pk': `EXEC#${arn}`, ':hist': 'HIST#' },
      ConsistentRead: true,
    });
    return items.map((i, index) => ({ ...(strip<HistoryEvent>(i) as HistoryEvent), id: index + 1 }));
  }

  /**
   * The wait of this entry of a state, creating it if there is none: a resumed run gets the one it
   * had before the restart (same token, same deadline) instead of starting the clock again.
   */
  async waitFor(record: WaitRecord): Promise<{ wait: WaitRecord; created: boolean }> {
    const index = entryIndexKey(record.executionArn, record.state, record.entryKey);
    const existing = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: index, ConsistentRead: true }),
    );
    const id = existing.Item?.waitId as string | undefined;
    if (id) {
      // Whatever became of it (answered while the run was being put away, timed out) is the answer.
      const wait = await this.getWait(id);
      if (wait) return { wait, created: false };
    }
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { ...waitKey(record.id), ...record } }),
    );
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...index, waitId: record.id },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return { wait: record, created: true };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      // Another entry recorded its wait first: that one is the entry's (ours is never handed out).
      return this.waitFor(record);
    }
  }

  /** The waits an execution has had, whatever their status. */
  async executionWaits(executionArn: string): Promise<WaitRecord[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :entry)',
        ExpressionAttributeValues: { ':pk': `EXEC#${executionArn}`, ':entry': 'ENTRY#' },
        ConsistentRead: true,
      }),
    );
    const waits = await Promise.all((out.Items ?? []).map((i) => this.getWait(String(i.waitId))));
    return waits.filter((w): w is WaitRecord => w !== undefined);
  }

  async markSubmitted(id: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: waitKey(id),
        UpdateExpression: 'SET submitted = :yes',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  }

  async getWait(id: string): Promise<WaitRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: waitKey(id), ConsistentRead: true }),
    );
    return strip<WaitRecord>(out.Item);
  }

  /** Settles a waiting wait once; false if it was not waiting (already answered, timed out). */
  settleWait(
    id: string,
    outcome: Pick<WaitRecord, 'status' | 'output' | 'error' | 'cause'>,
  ): Promise<boolean> {
    return this.setWhile(waitKey(id), outcome, 'WAITING');
  }

  setHeartbeatDeadline(id: string, deadline: string): Promise<boolean> {
    return this.setWhile(waitKey(id), { heartbeatDeadline: deadline }, 'WAITING');
  }
}
