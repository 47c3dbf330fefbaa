import { z } from 'zod';
import type { ContextDefinition } from '../definition';
import { BUS_NAME, contexts } from '../definitions';
import { EVENT_VERSION } from '../events/envelope';
import { openObjects } from './json-schema';

/**
 * The event catalogue, generated from the zod schemas: what the contexts publish (each context's
 * `events`, source `commerce.<context>`) and what they take in from outside (`inboundEvents`, e.g.
 * `MarketplaceOrderPlaced` from `marketplace.<name>`). Each event becomes one JSON Schema (draft-07,
 * the dialect AsyncAPI 3.0 embeds) of the whole EventBridge event; the AsyncAPI document and the
 * Markdown table are built from the same entries.
 */

export interface CatalogueEntry {
  /** The source as the event carries it; `<name>` stands for a part the sender chooses. */
  source: string;
  detailType: string;
  /** `published` by the system, or `received` from outside. */
  direction: 'published' | 'received';
  /** When the event is emitted. */
  description: string;
  /** Where its schema is written, relative to the project root. */
  file: string;
  /** JSON Schema (draft-07) of the whole EventBridge event. */
  schema: Record<string, unknown>;
}

const SCHEMA_FORMAT = 'application/schema+json;version=draft-07';

/** `marketplace.<name>` → `marketplace`: a folder name without the placeholder. */
const folderOf = (source: string): string => source.replace(/\.<[^>]+>/g, '');

/** The source as a schema: a constant, or a pattern where the source has a `<placeholder>`. */
function sourceSchema(source: string): z.ZodType {
  if (!source.includes('<')) return z.literal(source);
  const parts = source.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return z
    .string()
    .regex(new RegExp(`^${parts.join('.+')}$`))
    .meta({ description: `${source}, the sender's own name in place of the placeholder` });
}

/** The fields EventBridge adds to every event it delivers (a PutEvents entry has none of them). */
const deliveryFields = {
  version: z.string().optional().meta({ description: 'Version of the EventBridge envelope ("0")' }),
  id: z.string().optional().meta({ description: "EventBridge's id of this delivery" }),
  account: z.string().optional(),
  time: z.string().optional().meta({ format: 'date-time' }),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
};

/** The system's own envelope: `detail` is `{id, occurredAt, version, data}`. */
const publishedDetail = (data: z.ZodType) =>
  z.object({
    id: z.string().meta({
      description:
        'The domain event id, derived from its cause (a committed record, an inbound event): a redelivery keeps it, so consumers deduplicate by it',
    }),
    occurredAt: z.string().meta({ format: 'date-time', description: 'When it happened' }),
    version: z.literal(EVENT_VERSION).meta({ description: 'Version of the schema of `data`' }),
    data,
  });

function eventSchema(
  entry: Omit<CatalogueEntry, 'schema' | 'file'>,
  detail: z.ZodType,
  io: 'input' | 'output',
): Record<string, unknown> {
  const event = z.object({
    ...deliveryFields,
    source: sourceSchema(entry.source),
    'detail-type': z.literal(entry.detailType),
    detail,
  });
  const { $schema, ...rest } = z.toJSONSchema(event, { target: 'draft-7', io, override: openObjects });
  return { $schema, title: `${entry.source} ${entry.detailType}`, description: entry.description, ...rest };
}

function describedAs(description: string | undefined, where: string): string {
  if (!description)
    throw new Error(`${where} has no description: add it to its context's event descriptions`);
  return description;
}

/** Every event of the catalogue, in the order the contexts declare them (published, then received). */
export function catalogueEntries(from: readonly ContextDefinition[] = contexts): CatalogueEntry[] {
  const published = from.flatMap((context) =>
    Object.entries(context.events?.events ?? {}).map(([detailType, data]) => {
      const source = context.events!.source;
      const base = {
        source,
        detailType,
        direction: 'published' as const,
        description: describedAs(context.events?.descriptions?.[detailType], `${source} ${detailType}`),
      };
      return {
        ...base,
        file: `docs/events/${folderOf(source)}/${detailType}.json`,
        schema: eventSchema(base, publishedDetail(data), 'output'),
      };
    }),
  );
  const received = from.flatMap((context) =>
    (context.inboundEvents ?? []).map((inbound) => {
      const base = {
        source: inbound.source,
        detailType: inbound.detailType,
        direction: 'received' as const,
        description: inbound.description,
      };
      return {
        ...base,
        file: `docs/events/${folderOf(inbound.source)}/${inbound.detailType}.json`,
        // What a sender puts on the bus is what the schema accepts: its input side.
        schema: eventSchema(base, inbound.detail, 'input'),
      };
    }),
  );
  const entries = [...published, ...received];
  const names = entries.map((e) => e.detailType);
  const repeated = names.filter((name, i) => names.indexOf(name) !== i);
  if (repeated.length > 0)
    throw new Error(`Detail-types must be unique in the catalogue: ${repeated.join(', ')}`);
  return entries;
}

/** The AsyncAPI 3.0 document: one channel (the bus), one message and one operation per event. */
export function asyncApiDocument(entries: readonly CatalogueEntry[] = catalogueEntries()) {
  const messages = Object.fromEntries(
    entries.map((e) => [
      e.detailType,
      {
        name: e.detailType,
        title: `${e.source} ${e.detailType}`,
        summary: e.description,
        contentType: 'application/json',
        payload: { schemaFormat: SCHEMA_FORMAT, schema: e.schema },
      },
    ]),
  );
  const operations = Object.fromEntries(
    entries.map((e) => {
      const send = e.direction === 'published';
      return [
        `${send ? 'send' : 'receive'}${e.detailType}`,
        {
          action: send ? 'send' : 'receive',
          title: send ? `Publish ${e.detailType}` : `Take in ${e.detailType}`,
          summary: e.description,
          channel: { $ref: `#/channels/${BUS_NAME}` },
          messages: [{ $ref: `#/channels/${BUS_NAME}/messages/${e.detailType}` }],
        },
      ];
    }),
  );
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'connected-commerce events',
      version: '1',
      description: [
        'What the system publishes on its EventBridge bus and what it takes in from outside.',
        'Published events have `source: commerce.<context>`, `detail-type: <PastTenseName>` and detail `{id, occurredAt, version, data}`;',
        'consumers deduplicate by `detail.id` and tolerate fields they do not know.',
        'Generated from the zod schemas (`npm run docs`); do not edit by hand.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    channels: {
      [BUS_NAME]: {
        address: BUS_NAME,
        title: `The ${BUS_NAME} EventBridge bus`,
        description:
          'One bus for every event; rules match on source and detail-type. Marketplaces put their orders here with the AWS SDK (PutEvents).',
        messages: Object.fromEntries(
          entries.map((e) => [e.detailType, { $ref: `#/components/messages/${e.detailType}` }]),
        ),
      },
    },
    operations,
    components: { messages },
  };
}

/** `docs/events.md`: the catalogue as a table, linking each event's schema. */
export function eventsMarkdown(entries: readonly CatalogueEntry[] = catalogueEntries()): string {
  const rows = entries.map(
    (e) =>
      `| \`${e.source}\` | \`${e.detailType}\` | ${e.direction} | ${e.description} | [schema](${e.file.replace(/^docs\//, '')}) |`,
  );
  return [
    '# Events',
    '',
    "Generated by `npm run docs` from the zod schemas in each context's `events.ts` (published) and the",
    '`inboundEvents` of its definition (received); do not edit by hand. A test fails when this file, the',
    'schemas or [asyncapi.json](asyncapi.json) differ from a fresh generation.',
    '',
    `Every event travels on the \`${BUS_NAME}\` EventBridge bus. A published event has`,
    '`source: commerce.<context>`, `detail-type: <PastTenseName>` and detail `{ id, occurredAt, version, data }`:',
    '`id` is derived from its cause (a committed record, an inbound event), so a redelivery carries the same id',
    "and consumers deduplicate by it; `version` is the version of `data`'s schema; a consumer tolerates fields",
    'it does not know.',
    '',
    '| source | detail-type | direction | when | schema |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
