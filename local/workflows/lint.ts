/**
 * What the local interpreter would silently ignore or get wrong, refused before anything runs:
 * JSONata (`QueryLanguage`), `Arguments`, `Output`, `Assign`; a Task without `TimeoutSeconds` (the
 * interpreter would give it 60 s, AWS a year); a state name used twice across nested machines (the
 * runner finds a state's overrides by name); and what the runner does not enforce across a restart:
 * a machine-wide `TimeoutSeconds`, `TimeoutSecondsPath` on a Task the runner does not wait on itself
 * (only callbacks and child executions have durable deadlines), `HeartbeatSecondsPath`,
 * `HeartbeatSeconds` on a child execution (nothing would beat), and `$$.Execution.Input` /
 * `$$.Execution.StartTime` (a resumed run would see its checkpoint's instead). Returns one problem
 * per finding, with its path.
 */
export interface LintProblem {
  path: string;
  message: string;
}

type Node = Record<string, unknown>;

const UNSUPPORTED_FIELDS = ['Arguments', 'Output', 'Assign'] as const;

/** A callback task: it waits for SendTaskSuccess/SendTaskFailure with its token. */
export const isCallbackResource = (resource: string): boolean => resource.endsWith('.waitForTaskToken');

/**
 * The optimized integration that starts a child execution and waits for it to end: `.sync:2`
 * (its result carries the child's Input and Output as JSON) or `.sync` (as JSON text).
 */
export const isChildExecutionResource = (resource: string): boolean =>
  /^arn:aws:states:::states:startExecution\.sync(:2)?$/.test(resource);

export function lintStateMachine(definition: unknown): LintProblem[] {
  const problems: LintProblem[] = [];
  const seen = new Map<string, string>();
  const visit = (machine: Node, path: string) => {
    if (path === '$' && machine.TimeoutSeconds !== undefined) {
      problems.push({ path: '$.TimeoutSeconds', message: 'a machine-wide timeout is not enforced locally' });
    }
    if (machine.QueryLanguage !== undefined && machine.QueryLanguage !== 'JSONPath') {
      problems.push({
        path: `${path}.QueryLanguage`,
        message: 'only JSONPath runs locally; JSONata is refused',
      });
    }
    const states = machine.States as Record<string, Node> | undefined;
    if (!states || typeof states !== 'object') {
      problems.push({ path: `${path}.States`, message: 'a state machine needs States' });
      return;
    }
    for (const [name, state] of Object.entries(states)) {
      const at = `${path}.States.${name}`;
      const first = seen.get(name);
      if (first) problems.push({ path: at, message: `state name already used at ${first}` });
      else seen.set(name, at);
      if (state.QueryLanguage !== undefined && state.QueryLanguage !== 'JSONPath') {
        problems.push({
          path: `${at}.QueryLanguage`,
          message: 'only JSONPath runs locally; JSONata is refused',
        });
      }
      for (const field of UNSUPPORTED_FIELDS) {
        if (state[field] !== undefined) {
          problems.push({ path: `${at}.${field}`, message: `${field} is JSONata-only and not run locally` });
        }
      }
      const resource = String(state.Resource ?? '');
      const child = state.Type === 'Task' && isChildExecutionResource(resource);
      // The runner keeps the deadline of what it waits on itself; the interpreter's own timer would
      // start again from zero after a restart.
      const waited = isCallbackResource(resource) || child;
      if (state.Type === 'Task' && state.TimeoutSecondsPath !== undefined && !waited) {
        problems.push({
          path: `${at}.TimeoutSecondsPath`,
          message: 'only a callback or child execution task may take its timeout from a path',
        });
      }
      if (child && state.HeartbeatSeconds !== undefined) {
        problems.push({
          path: `${at}.HeartbeatSeconds`,
          message: 'a child execution sends no heartbeats; use TimeoutSeconds',
        });
      }
      if (state.HeartbeatSecondsPath !== undefined) {
        problems.push({
          path: `${at}.HeartbeatSecondsPath`,
          message: 'not enforced locally; use HeartbeatSeconds',
        });
      }
      if (
        /\$\$\.Execution\.(Input|StartTime)/.test(
          JSON.stringify(state.Parameters ?? state.ItemSelector ?? {}),
        )
      ) {
        problems.push({
          path: `${at}.Parameters`,
          message: '$$.Execution.Input and StartTime are not kept across a restart',
        });
      }
      if (
        state.Type === 'Task' &&
        state.TimeoutSeconds === undefined &&
        state.TimeoutSecondsPath === undefined
      ) {
        problems.push({ path: `${at}.TimeoutSeconds`, message: 'every Task needs TimeoutSeconds' });
      }
      for (const key of ['Iterator', 'ItemProcessor'] as const) {
        if (state[key]) visit(state[key] as Node, `${at}.${key}`);
      }
      if (Array.isArray(state.Branches)) {
        for (const [i, branch] of state.Branches.entries()) visit(branch as Node, `${at}.Branches.${i}`);
      }
    }
  };
  if (!definition || typeof definition !== 'object') return [{ path: '$', message: 'not a state machine' }];
  visit(definition as Node, '$');
  return problems;
}

/** `${Name}` placeholders (CDK definitionSubstitutions) filled for validation or for a local run. */
export const substitute = (text: string, values: (name: string) => string): string =>
  text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => values(name));
