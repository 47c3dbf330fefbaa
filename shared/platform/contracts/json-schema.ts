/**
 * Rules shared by every contract generated from the zod schemas (the OpenAPI document, the event
 * catalogue): what zod's JSON Schema output is adjusted for.
 */

interface OverrideContext {
  zodSchema: { _zod: { def: { type: string; catchall?: unknown } } };
  jsonSchema: Record<string, unknown>;
}

/**
 * Objects stay open in what the system produces (responses, events): zod strips unknown keys on
 * parse and marks such objects `additionalProperties: false` on its output side, but a reader must
 * tolerate a field added later without a new version. Strict objects (`z.strictObject`) stay closed.
 */
export function openObjects({ zodSchema, jsonSchema }: OverrideContext): void {
  const def = zodSchema._zod.def;
  if (def.type === 'object' && def.catchall === undefined && jsonSchema.additionalProperties === false) {
    delete jsonSchema.additionalProperties;
  }
}

/** JSON as the committed documents are written: two-space indent, a final newline. */
export const documentJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
