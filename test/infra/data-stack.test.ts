import { Match } from 'aws-cdk-lib/assertions';
import { tables } from '../../shared/platform/definitions';
import { idOf, resourcesOf, synthesizeCommerce } from './synthesize';

const { data, stacks, stage } = synthesizeCommerce();
const prod = synthesizeCommerce({}, undefined, 'prod');
const keyArn = { 'Fn::GetAtt': [idOf(stacks.data.key), 'Arn'] };

describe('data stack', () => {
  it.each(Object.values(tables))(
    'keeps the $key table on demand, recoverable, streamed and encrypted with the key',
    (definition) => {
      const table = data.findResources('AWS::DynamoDB::Table')[idOf(stacks.data.tables[definition.key]!)];

      expect(table).toMatchObject({
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
          TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
          KeySchema: [
            { AttributeName: definition.partitionKey, KeyType: 'HASH' },
            { AttributeName: definition.sortKey, KeyType: 'RANGE' },
          ],
        },
      });
      expect(table?.Properties.TableName).toBeUndefined();
    },
  );

  it.each(Object.values(tables))(
    'gives the $key table every index of its definition, projecting all',
    (definition) => {
      const table = data.findResources('AWS::DynamoDB::Table')[idOf(stacks.data.tables[definition.key]!)];

      expect(table?.Properties.GlobalSecondaryIndexes).toEqual(
        definition.indexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
    },
  );

  it.each([
    ['dev', stage.settings.removalPolicy, data, stacks],
    ['prod', prod.stage.settings.removalPolicy, prod.data, prod.stacks],
  ] as const)(
    'gives the tables of %s the removal policy of its settings (%s)',
    (_name, policy, template, built) => {
      for (const table of Object.values(built.data.tables)) {
        const resource = template.findResources('AWS::DynamoDB::Table')[idOf(table)];
        expect(resource).toMatchObject({
          DeletionPolicy: policy === 'retain' ? 'Retain' : 'Delete',
          Properties: { DeletionProtectionEnabled: policy === 'retain' },
        });
      }
    },
  );

  it("archives the system's own events (no marketplace's customer data) for 90 days, encrypted with the key", () => {
    const [archive] = Object.values(resourcesOf(data, 'AWS::Events::Archive'));

    expect(archive?.Properties).toEqual({
      Description: expect.any(String),
      SourceArn: { 'Fn::GetAtt': [idOf(stacks.data.bus), 'Arn'] },
      EventPattern: { source: [{ prefix: 'commerce.' }] },
      RetentionDays: 90,
      KmsKeyIdentifier: keyArn,
    });
  });

  it('keeps one customer-managed key per environment, rotated and retained', () => {
    data.resourceCountIs('AWS::KMS::Key', 1);
    const key = resourcesOf(data, 'AWS::KMS::Key')[idOf(stacks.data.key)];
    expect(key).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true, RotationPeriodInDays: 365 },
    });
  });

  it.each([
    ['CloudWatch Logs', `logs.${stage.settings.region}.amazonaws.com`],
    ['CloudWatch alarms', 'cloudwatch.amazonaws.com'],
    ['EventBridge', 'events.amazonaws.com'],
  ])('lets %s use the key for this account only', (_what, service) => {
    const statements = (
      resourcesOf(data, 'AWS::KMS::Key')[idOf(stacks.data.key)]!.Properties.KeyPolicy as {
        Statement: Array<{ Principal?: { Service?: string }; Condition?: unknown; Action: string[] }>;
      }
    ).Statement.filter((s) => s.Principal?.Service === service);

    const usingData = statements.filter((s) =>
      [s.Action].flat().some((a) => /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt)/.test(a)),
    );
    expect(usingData.length).toBeGreaterThan(0);
    // Data operations only for this account's resources: its account id, or (archive) its bus ARN.
    for (const statement of usingData) {
      expect(JSON.stringify(statement.Condition)).toMatch(
        new RegExp(
          `${stage.settings.account}|"kms:EncryptionContext:aws:events:event-bus:arn":\\{"Fn::GetAtt":\\["${idOf(stacks.data.bus)}"`,
        ),
      );
    }
  });

  it('encrypts the audit log with the key and keeps it as long as the environment says', () => {
    expect(resourcesOf(data, 'AWS::Logs::LogGroup')[idOf(stacks.data.auditLog)]?.Properties).toMatchObject({
      KmsKeyId: keyArn,
      RetentionInDays: stage.settings.logRetentionDays,
    });
  });

  it('sends every alarm to one encrypted topic that e-mails the environment addresses', () => {
    data.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const emails = Object.values(resourcesOf(data, 'AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(emails).toEqual(
      stage.settings.alarmEmails.map((email) =>
        expect.objectContaining({
          Protocol: 'email',
          Endpoint: email,
          TopicArn: { Ref: idOf(stacks.data.alarms.topic) },
        }),
      ),
    );
    expect(prod.stage.settings.alarmEmails.length).toBeGreaterThan(1);
    prod.data.resourceCountIs('AWS::SNS::Subscription', prod.stage.settings.alarmEmails.length);
  });

  it.each(Object.values(tables))(
    'alarms on throttled requests and system errors of the $key table',
    (definition) => {
      const table = stacks.data.tables[definition.key]!;
      const alarms = Object.values(resourcesOf(data, 'AWS::CloudWatch::Alarm')).map((a) =>
        JSON.stringify(a.Properties),
      );
      const own = alarms.filter((a) => a.includes(`{"Ref":"${idOf(table)}"}`));

      expect(own.some((a) => a.includes('ReadThrottleEvents') && a.includes('WriteThrottleEvents'))).toBe(
        true,
      );
      expect(own.some((a) => a.includes('SystemErrors') && a.includes('TransactWriteItems'))).toBe(true);
    },
  );

  it('outputs the name and ARN of the bus, whose name CloudFormation makes unique per stack', () => {
    data.hasOutput('EventBusName', { Value: { Ref: idOf(stacks.data.bus) } });
    data.hasOutput('EventBusArn', { Value: { 'Fn::GetAtt': [idOf(stacks.data.bus), 'Arn'] } });
    const bus = data.findResources('AWS::Events::EventBus')[idOf(stacks.data.bus)];
    expect(bus?.Properties.Name).not.toBe('commerce');
  });

  it('lets EventBridge write to the audit log group through a native resource policy', () => {
    const [policy] = Object.values(data.findResources('AWS::Logs::ResourcePolicy'));
    const document = JSON.stringify(policy?.Properties.PolicyDocument);

    expect(document).toContain('events.amazonaws.com');
    expect(document).toContain('logs:PutLogEvents');
    expect(document).toContain(idOf(stacks.data.auditLog));
    data.resourceCountIs('Custom::CloudwatchLogResourcePolicy', 0);
  });
});
