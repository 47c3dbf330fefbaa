import { appendFileSync } from 'node:fs';
import type { DynamoAction, FunctionDefinition, TableKey } from './definition';
import { currentFunction } from './metering';

/**
 * What each function does to each table, seen where it runs: a middleware on the DynamoDB client
 * that turns every request into the (table, IAM action) pairs IAM authorises it by — one per item of
 * a transaction, one per table of a batch, `Query:<index>` for a query on an index. The embedded
 * runtime uses it two ways:
 *
 * - enforcement: a function that calls an action on a table its definition does not declare
 *   (`dynamodb` of {@link FunctionDefinition}) fails with an `AccessDeniedException`, as it would on
 *   AWS, where CDK grants exactly the declared actions; every local test checks the declarations.
 * - recording: with `COMMERCE_TABLE_ACCESS_LOG=<file>`, every pair a function uses is appended to
 *   that file (`function<TAB>table<TAB>action`, once per process), to derive the declarations.
 *
 * Off on AWS: the local stack turns it on (`COMMERCE_TABLE_ACCESS=enforce` in the handlers'
 * environment, and {@link setTableAccessPolicy}); `COMMERCE_TABLE_ACCESS=off` in its own environment
 * keeps it from checking. Requests outside a function (tests, the runtime's own clients) are neither
 * checked nor recorded.
 */

/** The variable that turns the middleware on: `enforce` (set by the local stack) or `off`. */
export const TABLE_ACCESS_ENV = 'COMMERCE_TABLE_ACCESS';
/** The file every (function, table, action) a function uses is appended to, when set. */
export const TABLE_ACCESS_LOG_ENV = 'COMMERCE_TABLE_ACCESS_LOG';

export const tableAccessEnabled = (): boolean =>
  process.env[TABLE_ACCESS_ENV] === 'enforce' || Boolean(process.env[TABLE_ACCESS_LOG_ENV]);

/** One thing IAM authorises a request by: an action on a table (by its physical name). */
export interface TableAccess {
  tableName: string;
  action: DynamoAction;
}

type Item = Record<string, { TableName?: string; IndexName?: string } | undefined>;

/**
 * The (table, action) pairs IAM checks for a request: TransactWriteItems per item through
 * PutItem/UpdateItem/DeleteItem/ConditionCheckItem, TransactGetItems per item through GetItem,
 * BatchGetItem/BatchWriteItem per table, a Query or Scan on an index as `Query:<index>`/`Scan:<index>`
 * (IAM checks it against the index ARN). Commands without a table (ListTables) give none.
 */
export function accessesOf(command: string, input: Record<string, unknown>): TableAccess[] {
  switch (command) {
    case 'TransactWriteItems': {
      const kinds = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
      };
      return ((input.TransactItems as Item[] | undefined) ?? []).flatMap((item) =>
        Object.entries(kinds).flatMap(([kind, action]) => {
          const tableName = item[kind]?.TableName;
          return tableName ? [{ tableName, action: action as DynamoAction }] : [];
        }),
      );
    }
    case 'TransactGetItems':
      return ((input.TransactItems as Item[] | undefined) ?? []).flatMap((item) =>
        item.Get?.TableName ? [{ tableName: item.Get.TableName, action: 'GetItem' as const }] : [],
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems as Record<string, unknown> | undefined) ?? {}).map(
        (tableName) => ({ tableName, action: command }),
      );
    case 'Query':
    case 'Scan': {
      const tableName = input.TableName as string | undefined;
      const index = input.IndexName as string | undefined;
      if (!tableName) return [];
      return [{ tableName, action: index ? `${command}:${index}` : command }];
    }
    default: {
      const tableName = input.TableName as string | undefined;
      return tableName ? [{ tableName, action: command as DynamoAction }] : [];
    }
  }
}

/** What the local stack knows: which table a physical name is, and what each function declares. */
export interface TableAccessPolicy {
  /** Physical table name → table key. */
  tableKeys: Record<string, TableKey>;
  /** The functions, with their `dynamodb` declarations. */
  functions: readonly Pick<FunctionDefinition, 'name' | 'dynamodb'>[];
}

interface ActivePolicy {
  tableKeys: Record<string, TableKey>;
  declared: Map<string, Map<TableKey, Set<string>>>;
}

let policy: ActivePolicy | undefined;

/** Enforces `next` from now on in this process (the local stack at start), or nothing (at stop). */
export function setTableAccessPolicy(next: TableAccessPolicy | undefined): void {
  policy = next && {
    tableKeys: { ...next.tableKeys },
    declared: new Map(
      next.functions.map((fn) => [
        fn.name,
        new Map(Object.entries(fn.dynamodb ?? {}).map(([table, actions]) => [table, new Set(actions ?? [])])),
      ]),
    ),
  };
}

/** The error IAM's answer becomes in the SDK: its name, fault and status, naming who, what and where. */
export class AccessDeniedException extends Error {
  override readonly name = 'AccessDeniedException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
  constructor(
    readonly functionName: string,
    readonly table: string,
    readonly action: string,
  ) {
    const [iamAction, index] = action.split(':');
    super(
      `User: arn:aws:sts::000000000000:assumed-role/${functionName}/${functionName} is not authorized to ` +
        `perform: dynamodb:${iamAction} on resource: table ${table}${index ? ` index ${index}` : ''} ` +
        `because no identity-based policy allows the dynamodb:${iamAction} action ` +
        `(declare '${action}' on '${table}' in the dynamodb of ${functionName}'s definition)`,
    );
  }
}

/**
 * Throws the {@link AccessDeniedException} IAM would give `functionName` for `accesses`, if any is
 * not declared; a function the policy does not know (a test's fake) is not checked.
 */
export function checkTableAccess(functionName: string, accesses: readonly TableAccess[]): void {
  const declared = policy?.declared.get(functionName);
  if (!policy || !declared || process.env[TABLE_ACCESS_ENV] === 'off') return;
  for (const { tableName, action } of accesses) {
    const table = policy.tableKeys[tableName] ?? tableName;
    if (!declared.get(table)?.has(action)) throw new AccessDeniedException(functionName, table, action);
  }
}

const recorded = new Set<string>();

function record(functionName: string, accesses: readonly TableAccess[]): void {
  const file = process.env[TABLE_ACCESS_LOG_ENV];
  if (!file) return;
  for (const { tableName, action } of accesses) {
    const line = `${functionName}\t${policy?.tableKeys[tableName] ?? tableName}\t${action}`;
    if (recorded.has(line)) continue;
    recorded.add(line);
    // Appended as seen: the runtime may run in a child process that is killed rather than stopped.
    appendFileSync(file, `${line}\n`);
  }
}

interface Stack {
  add(
    middleware: (
      next: (args: { input: Record<string, unknown> }) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: { input: Record<string, unknown> }) => Promise<unknown>,
    options: { step: 'initialize'; name: string; priority: 'high' },
  ): void;
}

/** Records, and checks against the policy, every request a function makes through `client`. */
export function watchTableAccess(client: { middlewareStack: unknown }): void {
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const functionName = currentFunction();
      if (functionName !== undefined) {
        const accesses = accessesOf(String(context.commandName ?? '').replace(/Command$/, ''), args.input);
        record(functionName, accesses);
        checkTableAccess(functionName, accesses);
      }
      return next(args);
    },
    { step: 'initialize', name: 'commerceTableAccess', priority: 'high' },
  );
}
