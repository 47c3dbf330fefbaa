import { tables } from '../../shared/platform/definitions';
import { idOf, synthesizeCommerce } from './synthesize';

const { data, stacks } = synthesizeCommerce();

describe('data stack', () => {
  it.each(Object.values(tables))('keeps the $key table on demand, recoverable and streamed', (definition) => {
    const table = data.findResources('AWS::DynamoDB::Table')[idOf(stacks.data.tables[definition.key]!)];

    expect(table).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: definition.partitionKey, KeyType: 'HASH' },
          { AttributeName: definition.sortKey, KeyType: 'RANGE' },
        ],
      },
    });
    expect(table?.Properties.TableName).toBeUndefined();
  });

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

  it('archives every event on the bus for 90 days', () => {
    data.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [idOf(stacks.data.bus), 'Arn'] },
      EventPattern: { account: [{ Ref: 'AWS::AccountId' }] },
      RetentionDays: 90,
    });
  });

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
