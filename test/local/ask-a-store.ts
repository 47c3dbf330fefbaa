import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { substitute } from '../../local/workflows/lint';
import type { AslDefinition } from '../../local/workflows/runner';

/** The runner's test workflow (`test/fixtures/workflows/ask-a-store.asl.json`), its placeholders filled. */
export const ASK_A_STORE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:AskAStore';

export const askAStore = (): AslDefinition =>
  JSON.parse(
    substitute(
      readFileSync(resolve(__dirname, '../fixtures/workflows/ask-a-store.asl.json'), 'utf8'),
      (name) =>
        name === 'PrepareFunctionArn' ? 'arn:aws:lambda:us-east-1:000000000000:function:Prepare' : 'Notify',
    ),
  ) as AslDefinition;

/** The workflow with one state's fields changed (a longer Wait, another timeout). */
export const withState = (
  definition: AslDefinition,
  state: string,
  fields: Record<string, unknown>,
): AslDefinition => ({
  ...definition,
  States: {
    ...definition.States,
    [state]: { ...definition.States[state], ...fields } as AslDefinition['States'][string],
  },
});
