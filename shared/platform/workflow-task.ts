import type { z } from 'zod';
import { DomainError } from './errors';

/**
 * A function a state machine invokes as a Task. Its input comes from our own ASL, but it is parsed
 * all the same, so a mismatch between a state's Parameters and the handler fails loudly by name.
 * Errors reach the state machine by `name` (Lambda's `errorType`), which its Retry and Catch match:
 * a contention the caller may simply retry becomes `ConcurrentUpdate`; any other DomainError keeps
 * its code as the name.
 */
export function workflowTask<S extends z.ZodType, R>(schema: S, fn: (input: z.output<S>) => Promise<R>) {
  return async (event: unknown): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const error = new Error(`Task input is not valid: ${parsed.error.message}`);
      error.name = 'TaskInputInvalid';
      throw error;
    }
    try {
      return await fn(parsed.data);
    } catch (error) {
      if (error instanceof DomainError) {
        const named = new Error(error.message);
        named.name = error.code === 'CONCURRENT_UPDATE' ? 'ConcurrentUpdate' : error.code;
        throw named;
      }
      throw error;
    }
  };
}
