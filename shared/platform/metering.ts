import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What each function costs in AWS requests, measured where it runs: DynamoDB requests and the
 * capacity DynamoDB reports for them (`ReturnConsumedCapacity`), EventBridge entries put, and
 * invocations with their duration. Off unless `COMMERCE_METER=1` (the benchmark turns it on); the
 * embedded runtime tells it which function an invocation belongs to.
 */
export interface Usage {
  invocations: number;
  durationMs: number;
  dynamodbRequests: number;
  /** Read request units as AWS bills them. */
  readUnits: number;
  /** Write request units as AWS bills them (transactional writes count twice). */
  writeUnits: number;
  byCommand: Record<string, number>;
  eventsPut: number;
}

const emptyUsage = (): Usage => ({
  invocations: 0,
  durationMs: 0,
  dynamodbRequests: 0,
  readUnits: 0,
  writeUnits: 0,
  byCommand: {},
  eventsPut: 0,
});

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
/** Commands that accept `ReturnConsumedCapacity`. */
const METERED = new Set([
  ...READS,
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

export const meteringEnabled = () => process.env.COMMERCE_METER === '1';

/** The function an invocation runs for, so that its requests are counted to it. */
const scope = new AsyncLocalStorage<string>();

export const runMetered = <T>(functionName: string, run: () => T): T => scope.run(functionName, run);

const current = () => scope.getStore() ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unscoped';

/** The function the current invocation runs for, where the embedded runtime says so. */
export const currentFunction = (): string | undefined => scope.getStore();

class Meter {
  private usage = new Map<string, Usage>();

  private of(name: string): Usage {
    let usage = this.usage.get(name);
    if (!usage) {
      usage = emptyUsage();
      this.usage.set(name, usage);
    }
    return usage;
  }

  invocation(name: string, durationMs: number): void {
    const usage = this.of(name);
    usage.invocations += 1;
    usage.durationMs += durationMs;
  }

  dynamodb(command: string, capacityUnits: number): void {
    const usage = this.of(current());
    usage.dynamodbRequests += 1;
    usage.byCommand[command] = (usage.byCommand[command] ?? 0) + 1;
    // DynamoDB Local reports a transaction's units as for plain requests; AWS bills them twice.
    const units = command.startsWith('Transact') ? 2 * capacityUnits : capacityUnits;
    if (READS.has(command)) usage.readUnits += units;
    else usage.writeUnits += units;
  }

  events(count: number): void {
    this.of(current()).eventsPut += count;
  }

  /** Everything counted since the last call, by function; starts counting afresh. */
  take(): Map<string, Usage> {
    const taken = this.usage;
    this.usage = new Map();
    return taken;
  }

  /** Requests counted so far by the functions `count` admits, to tell when they have gone quiet. */
  total(count: (functionName: string) => boolean = () => true): number {
    let n = 0;
    for (const [name, usage] of this.usage) {
      if (count(name)) n += usage.dynamodbRequests + usage.eventsPut + usage.invocations;
    }
    return n;
  }
}

export const meter = new Meter();

interface CommandArgs {
  input: Record<string, unknown>;
}
interface Stack {
  add(
    middleware: (
      next: (args: CommandArgs) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) => (args: CommandArgs) => Promise<{ output: Record<string, unknown> }>,
    options: { step: 'initialize'; name: string },
  ): void;
}

const unitsOf = (consumed: unknown): number => {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((sum: number, c: { CapacityUnits?: number }) => sum + (c.CapacityUnits ?? 0), 0);
};

/** Counts a DynamoDB client's requests and the capacity DynamoDB reports for each. */
export function meterDynamoDb(client: { middlewareStack: unknown }): void {
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      if (METERED.has(command)) args.input.ReturnConsumedCapacity = 'TOTAL';
      try {
        const result = await next(args);
        meter.dynamodb(command, unitsOf(result.output.ConsumedCapacity));
        return result;
      } catch (error) {
        meter.dynamodb(command, 0); // a cancelled transaction or a failed condition is still a request
        throw error;
      }
    },
    { step: 'initialize', name: 'commerceMeter' },
  );
}

/** Counts the entries an EventBridge client puts. */
export function meterEventBridge(client: { middlewareStack: unknown }): void {
  (client.middlewareStack as Stack).add(
    (next) => async (args) => {
      const entries = args.input.Entries;
      if (Array.isArray(entries)) meter.events(entries.length);
      return next(args);
    },
    { step: 'initialize', name: 'commerceMeter' },
  );
}
