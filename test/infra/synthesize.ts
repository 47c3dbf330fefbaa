import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { addCommerceStacks, type CommerceStacks } from '../../cdk/commerce-app';

/** The app as `cdk synth` builds it, with its templates. */
export interface SynthesizedCommerce {
  readonly app: App;
  readonly stacks: CommerceStacks;
  readonly data: Template;
  readonly api: Template;
}

/**
 * Builds the stacks with the context of `cdk.json` (feature flags), but without esbuild bundling:
 * the templates are the same, only the asset hashes differ, and a test run stays fast.
 */
export function synthesizeCommerce(context: Record<string, unknown> = {}): SynthesizedCommerce {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const merged: Record<string, unknown> = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  const app = new App({ context: merged });
  const stacks = addCommerceStacks(app);
  return { app, stacks, data: Template.fromStack(stacks.data), api: Template.fromStack(stacks.api) };
}

/** Logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

/** The resources of a type, by logical id. */
export function resourcesOf(
  template: Template,
  type: string,
): Record<string, { Properties: Record<string, unknown> } & Record<string, unknown>> {
  return template.findResources(type) as Record<
    string,
    { Properties: Record<string, unknown> } & Record<string, unknown>
  >;
}

/** The properties of the resource a construct synthesizes to; fails the test if it is not there. */
export function propertiesOf(
  template: Template,
  type: string,
  construct: IConstruct,
): Record<string, unknown> {
  const resource = resourcesOf(template, type)[logicalIdOf(construct)];
  if (resource === undefined) {
    throw new Error(`${construct.node.path} is not a ${type} in the template`);
  }
  return resource.Properties;
}

/** Environment variables of a Lambda function. */
export function environmentOf(template: Template, fn: IConstruct): Record<string, unknown> {
  const environment = propertiesOf(template, 'AWS::Lambda::Function', fn).Environment as
    | { Variables?: Record<string, unknown> }
    | undefined;
  return environment?.Variables ?? {};
}
