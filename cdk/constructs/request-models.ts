import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import { z } from 'zod';
import type { Trigger } from '../../shared/platform/definitions';

/**
 * API Gateway validates requests at the edge from the same zod schemas the handlers validate with:
 * each JSON body becomes a request model (JSON Schema draft-04, the only dialect API Gateway models
 * take), and each declared query parameter a `method.request.querystring.*` parameter, required when
 * its schema rejects a missing value. The handler stays the authority: the edge may let through what
 * the handler refuses (refinements, trimming, transforms are not expressible), never the other way.
 */

type HttpTrigger = Extract<Trigger, { kind: 'http' }>;

/** Annotations and keywords API Gateway does not enforce the way zod does; dropped from models. */
const DROPPED_KEYWORDS = new Set([
  // Formats are not checked like zod checks them (if at all); the regex zod emits alongside stays.
  'format',
  // Annotations only: API Gateway does not fill defaults in, and examples are not draft-04.
  'default',
  'examples',
  // Not draft-04 (records' key schema); draft-04 validators ignore it.
  'propertyNames',
]);

/**
 * A string the handler trims (or otherwise rewrites) before checking it may be longer, or unlike
 * its pattern, as sent: the edge checks it for its minimum length only.
 */
function rewrittenBeforeChecks({ zodSchema, jsonSchema }: OverrideContext): void {
  const def = zodSchema._zod.def;
  if (def.type !== 'string' || !def.checks?.some((c) => c._zod.def.check === 'overwrite')) return;
  delete jsonSchema.maxLength;
  delete jsonSchema.pattern;
}

interface OverrideContext {
  zodSchema: { _zod: { def: { type: string; checks?: Array<{ _zod: { def: { check: string } } }> } } };
  jsonSchema: Record<string, unknown>;
}

/** Keywords that would make a model depend on something outside itself. */
const REFUSED_KEYWORDS = new Set(['$ref', 'definitions', '$defs', 'id', '$id']);

function clean(value: unknown, path: string, userKeys = false): unknown {
  if (Array.isArray(value)) return value.map((item, i) => clean(item, `${path}/${i}`));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (!userKeys) {
      if (REFUSED_KEYWORDS.has(key)) {
        throw new Error(`${path}/${key}: an API Gateway model must be self-contained (no ${key})`);
      }
      if (DROPPED_KEYWORDS.has(key)) continue;
    }
    // Under `properties` the keys are field names, not keywords.
    out[key] = clean(child, `${path}/${key}`, !userKeys && key === 'properties');
  }
  return out;
}

/**
 * The request model of a body schema: zod's draft-04 JSON Schema of what the schema accepts (its
 * input side), inlined (no `$ref`), without the keywords API Gateway models do not enforce and
 * without the limits a trimmed string is held to only after trimming.
 */
export function requestModelSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    target: 'draft-4',
    io: 'input',
    reused: 'inline',
    cycles: 'throw',
    unrepresentable: 'throw',
    override: (ctx) => rewrittenBeforeChecks(ctx as unknown as OverrideContext),
  });
  return clean(json, '#') as Record<string, unknown>;
}

/** API Gateway's model name for a function's body: alphanumeric, unique in the API. */
export const requestModelName = (functionName: string): string => `${functionName}Request`;

/** The `requestModels` of a method: its JSON body's model, when the route takes a body. */
export function requestModels(
  api: apigw.RestApi,
  functionName: string,
  trigger: HttpTrigger,
): Record<string, apigw.IModel> | undefined {
  if (!trigger.body) return undefined;
  const model = api.addModel(`${functionName}RequestModel`, {
    modelName: requestModelName(functionName),
    contentType: 'application/json',
    description: `Body of ${trigger.method} ${trigger.path}, generated from its zod schema`,
    // Already JSON Schema (`$schema`, not CDK's `schema`): CDK's key mapping leaves it as it is.
    schema: requestModelSchema(trigger.body) as apigw.JsonSchema,
  });
  return { 'application/json': model };
}

/** `method.request.querystring.<name>` for each declared query parameter: true when it is required. */
export function queryStringParameters(trigger: HttpTrigger): Record<string, boolean> {
  const shape = trigger.query instanceof z.ZodObject ? trigger.query.shape : {};
  return Object.fromEntries(
    Object.entries(shape).map(([name, schema]) => [
      `method.request.querystring.${name}`,
      !(schema as z.ZodType).safeParse(undefined).success,
    ]),
  );
}
