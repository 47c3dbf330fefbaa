import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { functions } from '../../../shared/platform/definitions';
import { runMetered } from '../../../shared/platform/metering';
import {
  AccessDeniedException,
  accessesOf,
  checkTableAccess,
  setTableAccessPolicy,
  TABLE_ACCESS_ENV,
  TABLE_ACCESS_LOG_ENV,
  watchTableAccess,
} from '../../../shared/platform/table-access';

const T = 'commerce-Inventory';

describe('accessesOf', () => {
  it('authorises a transaction per item, through the action of each item', () => {
    expect(
      accessesOf('TransactWriteItems', {
        TransactItems: [
          { Put: { TableName: 'A' } },
          { Update: { TableName: 'B' } },
          { Delete: { TableName: 'A' } },
          { ConditionCheck: { TableName: 'C' } },
        ],
      }),
    ).toEqual([
      { tableName: 'A', action: 'PutItem' },
      { tableName: 'B', action: 'UpdateItem' },
      { tableName: 'A', action: 'DeleteItem' },
      { tableName: 'C', action: 'ConditionCheckItem' },
    ]);
    expect(accessesOf('TransactGetItems', { TransactItems: [{ Get: { TableName: 'A' } }] })).toEqual([
      { tableName: 'A', action: 'GetItem' },
    ]);
  });

  it('authorises a batch per table, a query on an index against the index', () => {
    expect(accessesOf('BatchGetItem', { RequestItems: { A: {}, B: {} } })).toEqual([
      { tableName: 'A', action: 'BatchGetItem' },
      { tableName: 'B', action: 'BatchGetItem' },
    ]);
    expect(accessesOf('BatchWriteItem', { RequestItems: { A: [] } })).toEqual([
      { tableName: 'A', action: 'BatchWriteItem' },
    ]);
    expect(accessesOf('Query', { TableName: T, IndexName: 'GSI1' })).toEqual([
      { tableName: T, action: 'Query:GSI1' },
    ]);
    expect(accessesOf('Query', { TableName: T })).toEqual([{ tableName: T, action: 'Query' }]);
    expect(accessesOf('Scan', { TableName: T })).toEqual([{ tableName: T, action: 'Scan' }]);
    expect(accessesOf('GetItem', { TableName: T })).toEqual([{ tableName: T, action: 'GetItem' }]);
    expect(accessesOf('ListTables', {})).toEqual([]);
  });
});

describe('enforcement', () => {
  afterEach(() => setTableAccessPolicy(undefined));

  const policy = () =>
    setTableAccessPolicy({
      tableKeys: { [T]: 'inventory' },
      functions: [{ name: 'GetInventory', dynamodb: { inventory: ['Query'] } }],
    });

  it('lets a function call what it declares and refuses anything else as IAM would, naming function, table and action', () => {
    policy();

    expect(() => checkTableAccess('GetInventory', [{ tableName: T, action: 'Query' }])).not.toThrow();
    let denied: unknown;
    try {
      checkTableAccess('GetInventory', [{ tableName: T, action: 'Scan' }]);
    } catch (error) {
      denied = error;
    }
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied).toMatchObject({
      name: 'AccessDeniedException',
      functionName: 'GetInventory',
      table: 'inventory',
      action: 'Scan',
    });
    expect((denied as Error).message).toMatch(
      /GetInventory.*not authorized to perform: dynamodb:Scan.*inventory/,
    );
    // A query on an index is not a query on the table.
    expect(() => checkTableAccess('GetInventory', [{ tableName: T, action: 'Query:GSI1' }])).toThrow(
      AccessDeniedException,
    );
  });

  it('checks no function it does not know, and nothing without a policy', () => {
    policy();
    expect(() => checkTableAccess('SomeFake', [{ tableName: T, action: 'Scan' }])).not.toThrow();
    setTableAccessPolicy(undefined);
    expect(() => checkTableAccess('GetInventory', [{ tableName: T, action: 'Scan' }])).not.toThrow();
  });

  it('refuses through the SDK client before the request leaves, and records what a function used', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'table-access-')), 'access.log');
    process.env[TABLE_ACCESS_LOG_ENV] = log;
    const previous = process.env[TABLE_ACCESS_ENV];
    process.env[TABLE_ACCESS_ENV] = 'enforce';
    try {
      policy();
      const sent: string[] = [];
      const base = new DynamoDBClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      });
      watchTableAccess(base);
      // Nothing reaches a network: the last step answers for DynamoDB.
      base.middlewareStack.add(
        (_next, context) => async () => {
          sent.push(String(context.commandName));
          return { output: { $metadata: {}, Items: [] }, response: {} };
        },
        { step: 'finalizeRequest', name: 'fakeDynamoDb', priority: 'low' },
      );
      const doc = DynamoDBDocumentClient.from(base);
      const query = new QueryCommand({
        TableName: T,
        KeyConditionExpression: 'PK = :p',
        ExpressionAttributeValues: { ':p': 'x' },
      });

      await runMetered('GetInventory', () => doc.send(query));
      await expect(
        runMetered('GetInventory', () =>
          doc.send(new GetCommand({ TableName: T, Key: { PK: 'x', SK: 'y' } })),
        ),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
        action: 'GetItem',
      });
      await expect(
        runMetered('GetInventory', () =>
          doc.send(
            new TransactWriteCommand({
              TransactItems: [{ Put: { TableName: T, Item: { PK: 'x', SK: 'y' } } }],
            }),
          ),
        ),
      ).rejects.toMatchObject({ name: 'AccessDeniedException', action: 'PutItem' });
      // Outside a function (a test's own setup, the runtime): neither checked nor recorded.
      await doc.send(new GetCommand({ TableName: T, Key: { PK: 'x', SK: 'y' } }));

      expect(sent).toEqual(['QueryCommand', 'GetItemCommand']);
      expect(readFileSync(log, 'utf8').trim().split('\n').sort()).toEqual([
        'GetInventory\tinventory\tGetItem',
        'GetInventory\tinventory\tPutItem',
        'GetInventory\tinventory\tQuery',
      ]);
    } finally {
      delete process.env[TABLE_ACCESS_LOG_ENV];
      if (previous === undefined) delete process.env[TABLE_ACCESS_ENV];
      else process.env[TABLE_ACCESS_ENV] = previous;
    }
  });
});

describe('the declarations', () => {
  it('declare, for every function, only actions IAM knows on tables it is told about', () => {
    const known = new Set([
      'GetItem',
      'BatchGetItem',
      'Query',
      'Scan',
      'PutItem',
      'UpdateItem',
      'DeleteItem',
      'BatchWriteItem',
      'ConditionCheckItem',
      'DescribeTable',
    ]);
    for (const fn of functions) {
      expect(fn.dynamodb).toBeDefined();
      for (const [table, actions] of Object.entries(fn.dynamodb ?? {})) {
        expect([...fn.reads, ...fn.writes]).toContain(table);
        for (const action of actions ?? []) expect(known.has(action.split(':')[0]!)).toBe(true);
      }
    }
  });
});
