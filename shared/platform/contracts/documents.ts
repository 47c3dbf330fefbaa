import { asyncApiDocument, catalogueEntries, eventsMarkdown } from './event-catalogue';
import { documentJson } from './json-schema';
import { apiDocument } from './openapi';

/** Where the generated event schemas live; the generator owns every file under it. */
export const EVENT_SCHEMA_DIR = 'docs/events';

/**
 * Every contract generated from the zod schemas, by path relative to the project root, with its
 * exact content. `npm run docs` writes them; a test compares them with the committed files.
 */
export function contractFiles(): Map<string, string> {
  const entries = catalogueEntries();
  return new Map<string, string>([
    ['docs/openapi.json', documentJson(apiDocument())],
    ['docs/asyncapi.json', documentJson(asyncApiDocument(entries))],
    ['docs/events.md', eventsMarkdown(entries)],
    ...entries.map((e): [string, string] => [e.file, documentJson(e.schema)]),
  ]);
}
