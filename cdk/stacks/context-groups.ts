import {
  type BusRule,
  type ContextDefinition,
  busRules as definedBusRules,
  contexts as definedContexts,
  functions as definedFunctions,
  workflows as definedWorkflows,
  type FunctionDefinition,
  type HttpMethod,
  ruleConsumer,
  type WorkflowDefinition,
  workflowsUsedBy,
} from '../../shared/platform/definitions';
import { pascal } from '../constructs/commerce-api';

/** The collections the stateless side is built from (`shared/platform/definitions.ts`). */
export interface StatelessDefinitions {
  /** The bounded contexts, in order: one nested stack each, when they have functions or workflows. */
  readonly contexts: readonly ContextDefinition[];
  /** Every function: the contexts' and the platform's own. */
  readonly functions: readonly FunctionDefinition[];
  /** Every bus rule: the contexts' and the platform's own (the audit rule). */
  readonly busRules: readonly BusRule[];
  /** Every workflow. */
  readonly workflows: readonly WorkflowDefinition[];
}

/** The definitions of this deployment. */
export const STATELESS_DEFINITIONS: StatelessDefinitions = {
  contexts: definedContexts,
  functions: definedFunctions,
  busRules: definedBusRules,
  workflows: definedWorkflows,
};

/** The function whose route API Gateway answers itself on AWS (a MOCK integration, `CommerceApi`). */
export const HEALTH_CHECK = 'CheckHealth';

/**
 * The definitions as deployed on AWS, and the routes API Gateway answers without a function: the
 * health check's function stays in the definitions for the embedded runtime, which answers
 * `GET /health` in code, and is not deployed, its route becoming a MOCK integration. Fails the synth
 * when there is no health check to answer.
 */
export function gatewayAnswered(definitions: StatelessDefinitions): {
  definitions: StatelessDefinitions;
  answered: { health: { method: HttpMethod; path: string } };
} {
  const health = definitions.functions.find((fn) => fn.name === HEALTH_CHECK);
  if (health === undefined || health.trigger.kind !== 'http') {
    throw new Error(`The definitions have no ${HEALTH_CHECK} route for API Gateway to answer`);
  }
  return {
    definitions: { ...definitions, functions: definitions.functions.filter((fn) => fn !== health) },
    answered: { health: { method: health.trigger.method, path: health.trigger.path } },
  };
}

/** The group of what belongs to no context: liveness, the API document, the outbox publisher, the audit rule. */
export const PLATFORM_GROUP = 'platform';

/** What one nested stack of the stateless side holds. */
export interface ContextGroup {
  /** The context's name (`orders`), or {@link PLATFORM_GROUP}. */
  readonly name: string;
  /** Construct id and CloudFormation logical id of its nested stack (`Orders`, `Platform`). */
  readonly id: string;
  /** The functions the context declares (the platform's: those no context declares). */
  readonly functions: readonly FunctionDefinition[];
  /** The workflows the context declares. */
  readonly workflows: readonly WorkflowDefinition[];
  /**
   * The bus rules whose target is one of these functions, whichever context declares the rule, and
   * for the platform the rules whose target is the audit log: a rule sits next to the function it
   * invokes, with its dead-letter queue, so the rule's invoke permission and the queue's policy stay
   * in one template.
   */
  readonly busRules: readonly BusRule[];
}

/**
 * Splits the definitions into the nested stacks of the stateless side: the platform's, then one per
 * context of `contexts` that has functions or workflows, in that order. Each function, workflow and
 * bus rule of the collections lands in exactly one group; the synth fails, naming it, when one
 * cannot be placed (a function two contexts declare, a rule whose target is not a function).
 */
export function contextGroups(definitions: StatelessDefinitions = STATELESS_DEFINITIONS): ContextGroup[] {
  const ownerOfFunction = new Map<string, string>();
  const ownerOfWorkflow = new Map<string, string>();
  for (const context of definitions.contexts) {
    if (context.name === PLATFORM_GROUP) {
      throw new Error(`A context may not be named ${PLATFORM_GROUP}: the platform's own stack has that name`);
    }
    for (const fn of context.functions) {
      const other = ownerOfFunction.get(fn.name);
      if (other !== undefined) {
        throw new Error(
          `Function ${fn.name} is declared by both the ${other} and the ${context.name} context`,
        );
      }
      ownerOfFunction.set(fn.name, context.name);
    }
    for (const workflow of context.workflows ?? []) {
      const other = ownerOfWorkflow.get(workflow.name);
      if (other !== undefined) {
        throw new Error(
          `Workflow ${workflow.name} is declared by both the ${other} and the ${context.name} context`,
        );
      }
      ownerOfWorkflow.set(workflow.name, context.name);
    }
  }
  const groupOfFunction = (name: string) => ownerOfFunction.get(name) ?? PLATFORM_GROUP;
  const seen = new Set<string>();
  for (const fn of definitions.functions) {
    if (seen.has(fn.name)) throw new Error(`Function ${fn.name} is defined twice`);
    seen.add(fn.name);
  }
  const groupOfRule = (rule: BusRule): string => {
    const consumer = ruleConsumer(
      rule,
      definitions.contexts.flatMap((c) => c.queues ?? []),
    );
    if (consumer === undefined) return PLATFORM_GROUP;
    if (!seen.has(consumer)) {
      throw new Error(`Bus rule target ${consumer} is not a function in the definitions`);
    }
    return groupOfFunction(consumer);
  };

  const names = [PLATFORM_GROUP, ...definitions.contexts.map((c) => c.name)];
  const ids = new Map<string, string>();
  const groups: ContextGroup[] = [];
  for (const name of names) {
    const group: ContextGroup = {
      name,
      id: pascal(name),
      functions: definitions.functions.filter((f) => groupOfFunction(f.name) === name),
      workflows: definitions.workflows.filter(
        (w) => (ownerOfWorkflow.get(w.name) ?? PLATFORM_GROUP) === name,
      ),
      busRules: definitions.busRules.filter((r) => groupOfRule(r) === name),
    };
    if (group.functions.length + group.workflows.length + group.busRules.length === 0) continue;
    if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(group.id)) {
      throw new Error(
        `The context ${name} cannot name a nested stack (${group.id}): use lower-case letters, digits and dashes`,
      );
    }
    const other = ids.get(group.id);
    if (other !== undefined) {
      throw new Error(`The contexts ${other} and ${name} would both have the nested stack ${group.id}`);
    }
    ids.set(group.id, name);
    groups.push(group);
  }
  return groups;
}

/**
 * Problems with the order in which CloudFormation would create the nested stacks: a context's stack
 * needs another's created first when one of its functions uses a workflow of the other (it is given
 * the state machine's ARN), or one of its workflows runs a function or starts a workflow of the other
 * (its definition holds their ARNs). Two contexts needing each other is a cycle that CloudFormation
 * cannot deploy, though each resource on its own could be; the synth fails, naming the edges, so the
 * definitions are changed rather than the deployment failing. Empty when there is none.
 */
export function contextGroupCycles(groups: readonly ContextGroup[]): string[] {
  const groupOf = new Map<string, string>();
  for (const group of groups) {
    for (const fn of group.functions) groupOf.set(`function ${fn.name}`, group.name);
    for (const workflow of group.workflows) groupOf.set(`workflow ${workflow.name}`, group.name);
  }
  // group → group it needs → why
  const needs = new Map<string, Map<string, string>>();
  const need = (from: string, what: string, why: string) => {
    const to = groupOf.get(what);
    if (to === undefined || to === from) return;
    const edges = needs.get(from) ?? new Map<string, string>();
    if (!edges.has(to)) edges.set(to, why);
    needs.set(from, edges);
  };
  for (const group of groups) {
    for (const fn of group.functions) {
      for (const workflow of workflowsUsedBy(fn)) {
        need(group.name, `workflow ${workflow}`, `function ${fn.name} uses workflow ${workflow}`);
      }
    }
    for (const workflow of group.workflows) {
      for (const fn of Object.values(workflow.functions)) {
        need(group.name, `function ${fn}`, `workflow ${workflow.name} runs function ${fn}`);
      }
      for (const child of [...Object.values(workflow.workflows ?? {}), ...(workflow.startsWorkflows ?? [])]) {
        need(group.name, `workflow ${child}`, `workflow ${workflow.name} starts workflow ${child}`);
      }
    }
  }

  const problems: string[] = [];
  const done = new Set<string>();
  const visit = (node: string, trail: string[]): void => {
    if (done.has(node)) return;
    const at = trail.indexOf(node);
    if (at >= 0) {
      const cycle = [...trail.slice(at), node];
      const why = cycle.slice(1).map((to, i) => needs.get(cycle[i]!)!.get(to)!);
      problems.push(
        `the stacks of the contexts ${cycle.join(' → ')} would need each other, which CloudFormation cannot create (${why.join('; ')})`,
      );
      return;
    }
    for (const next of needs.get(node)?.keys() ?? []) visit(next, [...trail, node]);
    done.add(node);
  };
  for (const group of groups) visit(group.name, []);
  return problems;
}
