import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synthesizeCommerce } from './synthesize';

const { app, stacks } = synthesizeCommerce();

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in any stack, nested ones included, neither errors nor warnings', () => {
    const report = new AwsSolutionsChecks().validateScope(app);

    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
  });

  it('gives every acknowledged finding a reason', () => {
    const acknowledgements = app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));

    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect({ id, reason: reason.length > 40 }).toEqual({ id, reason: true });
    }
  });

  it('checks the resources of the nested stacks too', () => {
    const other = synthesizeCommerce();
    const orders = other.stacks.api.contexts.get('orders')!;
    new sqs.Queue(orders, 'Unacknowledged');

    const report = new AwsSolutionsChecks().validateScope(other.app);

    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => r.constructPath))).toContain(
      `${other.stage.node.path}/CommerceApi/Contexts/Orders/Unacknowledged/Resource`,
    );
  });

  // The messages of a nested stack's constructs are in its parent's artifact: `api` covers them.
  it.each(['baseline', 'data', 'api'] as const)('leaves no CDK error or warning on the %s stack', (key) => {
    const annotations = Annotations.fromStack(stacks[key]);

    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});
