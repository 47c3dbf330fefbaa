import type { App, StackProps } from 'aws-cdk-lib';
import { ApiStack } from './stacks/api-stack';
import { DataStack } from './stacks/data-stack';

/** The two stacks of a deployment. */
export interface CommerceStacks {
  /** Tables, bus, archive, audit log. */
  readonly data: DataStack;
  /** Functions, workflows, API, rules, schedule, stream publisher, dashboard. */
  readonly api: ApiStack;
}

/**
 * Adds the stacks of connected-commerce to an app: the stateful `CommerceData` stack and the
 * stateless `CommerceApi` stack that depends on it. Used by `cdk/app.ts` and by the infra tests, so
 * both see the same tree.
 *
 * No `env`: the stacks are environment-agnostic and synthesize offline; `cdk deploy` takes the
 * account and region from the caller's credentials.
 */
export function addCommerceStacks(app: App, props: StackProps = {}): CommerceStacks {
  const data = new DataStack(app, 'CommerceData', props);
  const api = new ApiStack(app, 'CommerceApi', {
    ...props,
    tables: data.tables,
    bus: data.bus,
    auditLog: data.auditLog,
  });
  return { data, api };
}
