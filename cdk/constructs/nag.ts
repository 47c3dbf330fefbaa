import { Stack } from 'aws-cdk-lib';
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
