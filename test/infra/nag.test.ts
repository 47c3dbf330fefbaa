import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { synthesizeCommerce } from './synthesize';

const { app, stacks } = synthesizeCommerce();

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in either stack, neither errors nor warnings', () => {
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

  it.each(['data', 'api'] as const)('leaves no CDK error or warning on the %s stack', (key) => {
    const annotations = Annotations.fromStack(stacks[key]);

    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});
