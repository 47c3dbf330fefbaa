import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { type CommerceStacks, CommerceStage } from '../../cdk/commerce-app';
import { environmentsOf } from '../../cdk/config';
import {
  gatewayAnswered,
  STATELESS_DEFINITIONS,
  type StatelessDefinitions,
} from '../../cdk/stacks/context-groups';

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  Parameters?: Record<string, unknown>;
  Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>
  >;
  Outputs?: Record<string, { Value: unknown } & Record<string, unknown>>;
  [section: string]: unknown;
}

/** One environment of the app as `cdk synth` builds it, with its templates. */
export interface SynthesizedCommerce {
  readonly app: App;
  /** The environment's stage (`Dev`). */
  readonly stage: CommerceStage;
  readonly stacks: CommerceStacks;
  /** The `CommerceBaseline` template. */
  readonly baseline: Template;
  /** The `CommerceData` template. */
  readonly data: Template;
  /**
   * The stateless side as one template: `CommerceApi` and every nested stack under it, flattened
   * ({@link flattenStack}). Assertions on it hold wherever a resource lives; {@link idOf} names a
   * resource in it.
   */
  readonly api: Template;
  /** Every stack of the app, top-level and nested, with its own template as CloudFormation gets it. */
  readonly templates: ReadonlyMap<Stack, TemplateJson>;
}

/** The context of `cdk.json` (feature flags, environments, clients), with `context` added or (`undefined`) removed. */
export function cdkJsonContext(context: Record<string, unknown> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const merged: Record<string, unknown> = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

/**
 * Builds one environment's stage (dev unless told) with the context of `cdk.json`, but without
 * esbuild bundling: the templates are the same, only the asset hashes differ, and a test run stays
 * fast. `context` adds to or (with `undefined`) removes from that context; `definitions` replaces
 * the functions, rules and workflows of the definitions module.
 */
export function synthesizeCommerce(
  context: Record<string, unknown> = {},
  definitions?: StatelessDefinitions,
  environment = 'dev',
): SynthesizedCommerce {
  const app = new App({ context: cdkJsonContext(context) });
  const settings = environmentsOf(app)[environment];
  if (settings === undefined) throw new Error(`no environment ${environment} in cdk.json`);
  const stage = new CommerceStage(app, { environment, settings, definitions });
  const { stacks } = stage;
  const templates = new Map<Stack, TemplateJson>(
    stage.node
      .findAll()
      .filter(Stack.isStack)
      // Template.fromStack refuses a template with a dependency cycle.
      .map((stack) => [stack, Template.fromStack(stack).toJSON() as TemplateJson]),
  );
  return {
    app,
    stage,
    stacks,
    baseline: Template.fromJSON(templates.get(stacks.baseline)!),
    data: Template.fromJSON(templates.get(stacks.data)!),
    // And this refuses a cycle across the nested stacks, resource by resource.
    api: Template.fromJSON(flattenStack(stacks.api, templates)),
    templates,
  };
}

/** The logical id of a resource in its stack's template, overridden or not. */
function logicalIdIn(element: CfnElement): string {
  return Stack.of(element).resolve(element.logicalId) as string;
}

/** The logical id, in its parent's template, of the resource that creates a nested stack. */
const nestedStackIdOf = (stack: Stack): string => logicalIdIn(stack.nestedStackResource as CfnElement);

/** Where a nested stack's resources go in a flattened template: `Orders/`; empty for a top-level stack. */
function prefixOf(stack: Stack): string {
  const parent = stack.nestedStackParent;
  if (parent === undefined) return '';
  return `${prefixOf(parent)}${nestedStackIdOf(stack)}/`;
}

/** The logical id of a construct's CloudFormation resource in its own stack's template. */
export function logicalIdOf(construct: IConstruct): string {
  return logicalIdIn((construct.node.defaultChild ?? construct) as CfnElement);
}

/**
 * The id of a construct's CloudFormation resource (the construct itself or its default child): its
 * logical id, after its nested stack's path in a flattened template (`Orders/PlaceOrderFunction…`).
 * For a resource of a top-level stack, its logical id.
 */
export function idOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return `${prefixOf(Stack.of(element))}${logicalIdIn(element)}`;
}

/**
 * A top-level stack and its nested stacks as one template, as if they were one stack: each nested
 * resource under {@link idOf}, every `Ref` to a nested stack's parameter replaced by the value its
 * parent passes, every `Fn::GetAtt` of a nested stack's `Outputs.*` by that output's value, so a
 * reference names the resource it ends at, whichever stack holds it. The `AWS::CloudFormation::Stack`
 * resources stay, with their parameters. Fails on a reference to nothing, in any of the templates.
 */
export function flattenStack(root: Stack, templates: ReadonlyMap<Stack, TemplateJson>): TemplateJson {
  const resources: NonNullable<TemplateJson['Resources']> = {};
  const scopes = new Map<Stack, FlatScope>();

  class FlatScope {
    readonly template: TemplateJson;
    readonly prefix: string;
    private readonly nested = new Map<string, Stack>();
    private readonly parameters = new Map<string, unknown>();

    constructor(
      readonly stack: Stack,
      private readonly parent?: FlatScope,
    ) {
      const template = templates.get(stack);
      if (template === undefined) throw new Error(`no template for ${stack.node.path}`);
      this.template = template;
      this.prefix = prefixOf(stack);
      for (const child of stack.node.findAll().filter(Stack.isStack)) {
        if (child.nestedStackParent === stack) {
          this.nested.set(nestedStackIdOf(child), child);
        }
      }
    }

    /** The value the parent passes for one of this nested stack's parameters, flattened. */
    parameter(name: string): unknown {
      if (!this.parameters.has(name)) {
        const parent = this.parent!;
        const resource = parent.template.Resources?.[nestedStackIdOf(this.stack)];
        const passed = (resource?.Properties?.Parameters as Record<string, unknown> | undefined)?.[name];
        if (passed === undefined) throw new Error(`${this.stack.node.path}: no value for parameter ${name}`);
        this.parameters.set(name, parent.flatten(passed));
      }
      return this.parameters.get(name);
    }

    /** One of this stack's outputs, flattened. */
    output(name: string): unknown {
      const output = this.template.Outputs?.[name];
      if (output === undefined) throw new Error(`${this.stack.node.path}: no output ${name}`);
      return this.flatten(output.Value);
    }

    flatten(value: unknown): unknown {
      if (Array.isArray(value)) return value.map((item) => this.flatten(item));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value);
      const [only] = entries;
      if (entries.length === 1 && only![0] === 'Ref' && typeof only![1] === 'string') {
        const id = only![1];
        if (id.startsWith('AWS::')) return value;
        if (this.template.Parameters?.[id] !== undefined) {
          // A top-level stack's own parameters (BootstrapVersion) stay as they are.
          return this.parent === undefined ? value : this.parameter(id);
        }
        if (this.template.Resources?.[id] === undefined) {
          throw new Error(`${this.stack.node.path}: Ref to ${id}, which is not in the template`);
        }
        return { Ref: `${this.prefix}${id}` };
      }
      if (entries.length === 1 && only![0] === 'Fn::GetAtt') {
        const [id, attribute] = only![1] as [string, string];
        const child = this.nested.get(id);
        if (child !== undefined && attribute.startsWith('Outputs.')) {
          return scopeOf(child, this).output(attribute.slice('Outputs.'.length));
        }
        if (this.template.Resources?.[id] === undefined) {
          throw new Error(`${this.stack.node.path}: Fn::GetAtt of ${id}, which is not in the template`);
        }
        return { 'Fn::GetAtt': [`${this.prefix}${id}`, attribute] };
      }
      return Object.fromEntries(entries.map(([key, child]) => [key, this.flatten(child)]));
    }

    addResources(): void {
      for (const [id, resource] of Object.entries(this.template.Resources ?? {})) {
        const { DependsOn, ...rest } = resource;
        const dependsOn =
          DependsOn === undefined
            ? undefined
            : (Array.isArray(DependsOn) ? DependsOn : [DependsOn]).map((d) => `${this.prefix}${d}`);
        resources[`${this.prefix}${id}`] = {
          ...(this.flatten(rest) as typeof resource),
          ...(dependsOn ? { DependsOn: dependsOn } : {}),
        };
      }
      for (const child of this.nested.values()) scopeOf(child, this).addResources();
    }
  }

  const scopeOf = (stack: Stack, parent?: FlatScope): FlatScope => {
    let scope = scopes.get(stack);
    if (scope === undefined) {
      scope = new FlatScope(stack, parent);
      scopes.set(stack, scope);
    }
    return scope;
  };

  const top = scopeOf(root);
  top.addResources();
  return {
    ...top.template,
    Resources: resources,
    Outputs: Object.fromEntries(
      Object.entries(top.template.Outputs ?? {}).map(([name, output]) => [
        name,
        top.flatten(output) as NonNullable<TemplateJson['Outputs']>[string],
      ]),
    ),
  };
}

/** The resources of a type, by id. */
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
  const resource = resourcesOf(template, type)[idOf(construct)];
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

/**
 * The functions deployed on AWS: every definition but those whose route API Gateway answers itself
 * (the health check, a MOCK integration).
 */
export const deployedFunctions = gatewayAnswered(STATELESS_DEFINITIONS).definitions.functions;

/** Every statement of the policies attached to a function's role (none: an empty list). */
export function policyStatementsOf(
  template: Template,
  fn: lambda.IFunction,
): Array<{ Action: string | string[]; Resource: unknown }> {
  const role = idOf(fn.role!);
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref?: string }>).some((r) => r.Ref === role))
    .flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: Array<{ Action: string | string[]; Resource: unknown }>;
          }
        ).Statement,
    );
}
