import type { App, StackProps } from 'aws-cdk-lib';
import { ApiStack } from './stacks/api-stack';
import type { StatelessDefinitions } from './stacks/context-groups';
import { DataStack } from './stacks/data-stack';

/** The two stacks of a deployment. */
export interface CommerceStacks {
  /** Tables, bus, archive, audit log. */
  readonly data: DataStack;
  /**
   * The REST API and the dashboard, and a nested stack per context with its functions, workflows,
   * rules, schedules and stream subscriptions.
   */
  readonly api: ApiStack;
}

/**
 * Adds the stacks of connected-commerce to an app: the stateful `CommerceData` stack and the
 * stateless `CommerceApi` stack (with its nested stacks, one per context) that depends on it. Used
 * by `cdk/app.ts` and by the infra tests, so both see the same tree.
 *
 * No `env`: the stacks are environment-agnostic and synthesize offline; `cdk deploy` takes the
 * account and region from the caller's credentials. `definitions` replaces the functions, rules and
 * workflows of `shared/platform/definitions.ts` (tests of other shapes of the definitions).
 */
export function addCommerceStacks(
  app: App,
  props: StackProps = {},
  definitions?: StatelessDefinitions,
): CommerceStacks {
  const data = new DataStack(app, 'CommerceData', props);
  const api = new ApiStack(app, 'CommerceApi', {
    ...props,
    tables: data.tables,
    bus: data.bus,
    auditLog: data.auditLog,
    definitions,
  });
  return { data, api };
}
