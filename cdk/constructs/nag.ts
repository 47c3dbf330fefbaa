import { Stack, Validations } from 'aws-cdk-lib';
// cdk-nag names an IAM5 finding after the resource as it flattens it; acknowledging exactly that
// resource needs the same flattening (the module is not re-exported from the package's index).
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/**
 * The id of cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource, e.g.
 * `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:…:execution:<Machine.Name>:*]`, so an
 * acknowledgement names that resource and no other wildcard.
 */
export function wildcardResourceFinding(scope: IConstruct, arn: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`;
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for exactly one wildcard resource on `scope`
 * ({@link wildcardResourceFinding}), with its reason.
 *
 * The finding names the resource as `scope`'s template does, and an ARN from another stack (a
 * workflow of another context) only becomes a nested-stack parameter or an import when the app is
 * prepared for synthesis. So the finding's id is computed then: CDK validates the construct tree
 * after preparing it and before the validation plugins (cdk-nag) read the acknowledgements.
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  scope.node.addValidation({
    validate: () => {
      Validations.of(scope).acknowledge({ id: wildcardResourceFinding(scope, arn), reason });
      return [];
    },
  });
}
