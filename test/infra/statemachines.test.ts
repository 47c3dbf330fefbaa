import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import aslValidator from 'asl-validator';
import { lintStateMachine, substitute } from '../../local/workflows/lint';

/**
 * Every state machine file (the project's and the runner's test fixtures) is valid ASL by the
 * official schema (asl-validator) and passes the local-runtime lint.
 */
const dirs = [resolve(__dirname, '../../statemachines'), resolve(__dirname, '../fixtures/workflows')];
const files = dirs.flatMap((dir) => {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.asl.json'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
});
const load = (file: string) =>
  JSON.parse(
    substitute(readFileSync(file, 'utf8'), (name) =>
      name.endsWith('Arn') ? `arn:aws:lambda:us-east-1:000000000000:function:${name}` : name,
    ),
  );

describe('state machine files', () => {
  it('include the runner’s fixture', () => {
    expect(files.some((f) => f.endsWith('ask-a-store.asl.json'))).toBe(true);
  });

  it.each(files)('%s is valid ASL and passes the lint', (file) => {
    const definition = load(file);
    const { isValid, errorsText } = aslValidator(definition);

    expect(isValid ? '' : errorsText('\n')).toBe('');
    expect(lintStateMachine(definition)).toEqual([]);
  });
});

describe('the local-runtime lint', () => {
  const task = {
    Type: 'Task',
    Resource: 'arn:aws:lambda:us-east-1:000000000000:function:F',
    TimeoutSeconds: 5,
    End: true,
  };

  it('refuses JSONata, Arguments, Output and Assign', () => {
    const problems = lintStateMachine({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: { A: { ...task, Arguments: {}, Output: {}, Assign: {} } },
    });

    expect(problems.map((p) => p.path)).toEqual([
      '$.QueryLanguage',
      '$.States.A.Arguments',
      '$.States.A.Output',
      '$.States.A.Assign',
    ]);
  });

  it('refuses a Task without TimeoutSeconds, also inside a Map', () => {
    const { TimeoutSeconds: _t, ...untimed } = task;
    const problems = lintStateMachine({
      StartAt: 'M',
      States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'B', States: { B: untimed } }, End: true } },
    });

    expect(problems).toEqual([
      {
        path: '$.States.M.ItemProcessor.States.B.TimeoutSeconds',
        message: 'every Task needs TimeoutSeconds',
      },
    ]);
  });

  it('refuses what the runner does not keep across a restart', () => {
    const problems = lintStateMachine({
      TimeoutSeconds: 60,
      StartAt: 'A',
      States: {
        A: {
          ...task,
          TimeoutSecondsPath: '$.t',
          HeartbeatSecondsPath: '$.h',
          Parameters: { 'started.$': '$$.Execution.StartTime' },
        },
      },
    });

    expect(problems.map((p) => p.path)).toEqual([
      '$.TimeoutSeconds',
      '$.States.A.TimeoutSecondsPath',
      '$.States.A.HeartbeatSecondsPath',
      '$.States.A.Parameters',
    ]);
  });

  it('refuses a state name used twice across nested machines', () => {
    const problems = lintStateMachine({
      StartAt: 'A',
      States: {
        A: { ...task, End: undefined, Next: 'M' },
        M: { Type: 'Map', ItemProcessor: { StartAt: 'A', States: { A: task } }, End: true },
      },
    });

    expect(problems.map((p) => p.path)).toEqual(['$.States.M.ItemProcessor.States.A']);
  });
});
