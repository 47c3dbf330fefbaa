import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { substitute } from '../../local/workflows/lint';
import type { AslDefinition, StateMachineSpec } from '../../local/workflows/runner';

/**
 * The runner's child-execution test workflows (`test/fixtures/workflows/children-*.asl.json`), their
 * placeholders filled: a parent that starts one `AskAboutItem` child per item, the child (a
 * callback asking about its item), and a machine that starts children of itself.
 */
const stateMachineArn = (name: string) => `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`;

export const PARENT_ARN = stateMachineArn('ChildrenParent');
export const CHILD_ARN = stateMachineArn('AskAboutItem');
export const RECURSIVE_ARN = stateMachineArn('Recursive');
/** The function the children ask through (`lambda:invoke.waitForTaskToken`). */
export const ASK_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Ask';

const load = (file: string): AslDefinition =>
  JSON.parse(
    substitute(readFileSync(resolve(__dirname, '../fixtures/workflows', file), 'utf8'), (name) =>
      name === 'ChildStateMachineArn' ? CHILD_ARN : ASK_FUNCTION_ARN,
    ),
  ) as AslDefinition;

/** The parent's `RunChild` task (inside its Map) with some fields changed: `.sync`, a shorter timeout. */
export const parentWithRunChild = (fields: Record<string, unknown>): AslDefinition => {
  const parent = load('children-parent.asl.json');
  const map = parent.States.ChildPerItem as { ItemProcessor: AslDefinition };
  map.ItemProcessor.States.RunChild = { ...map.ItemProcessor.States.RunChild, ...fields } as never;
  return parent;
};

/** The three machines, registered as the runner takes them (`parent` replaces the parent's definition). */
export const childrenMachines = (
  parent: AslDefinition = load('children-parent.asl.json'),
): StateMachineSpec[] => [
  { arn: PARENT_ARN, name: 'ChildrenParent', definition: parent },
  { arn: CHILD_ARN, name: 'AskAboutItem', definition: load('children-child.asl.json') },
  { arn: RECURSIVE_ARN, name: 'Recursive', definition: load('children-recursive.asl.json') },
];
