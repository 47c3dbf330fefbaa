import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import specs from '@asyncapi/specs';
import Ajv from 'ajv';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { handler as getApiDocument, serverUrl } from '../../../functions/platform/get-api-document';
import { matchesPattern } from '../../../local/event-pattern';
import { eventsFromChange as catalogEventsFromChange } from '../../../shared/catalog/domain/record-events';
import { eventsFromChange as customerEventsFromChange } from '../../../shared/customers/domain/record-events';
import { eventsFromChange as fulfillmentEventsFromChange } from '../../../shared/fulfillment/domain/record-events';
import { eventsFromChange as inventoryEventsFromChange } from '../../../shared/inventory/domain/record-events';
import { inventoryEvents } from '../../../shared/inventory/events';
import { eventsFromChange as orderEventsFromChange } from '../../../shared/orders/domain/record-events';
import { orderEvents } from '../../../shared/orders/events';
import { contractFiles, EVENT_SCHEMA_DIR } from '../../../shared/platform/contracts/documents';
import { asyncApiDocument, catalogueEntries } from '../../../shared/platform/contracts/event-catalogue';
import { apiDocument, errorStatuses } from '../../../shared/platform/contracts/openapi';
import {
  busRules,
  contexts,
  eventCatalogue,
  functions,
  ruleConsumer,
} from '../../../shared/platform/definitions';
import type { DomainEvent } from '../../../shared/platform/events/envelope';
import { routeScope, scopeString } from '../../../shared/platform/scopes';
import { customerChanges } from '../../fixtures/customers/stream-records';
import {
  groupChange,
  orderCancel,
  orderChange,
  orderInsert,
  positionChange,
  routingInsert,
} from '../../fixtures/domain/stream-records';
import { pricingEventSamples } from '../../fixtures/pricing/stream-records';

const ROOT = join(__dirname, '..', '..', '..');
const generated = contractFiles();
const committed = (path: string): string | undefined =>
  existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), 'utf8') : undefined;

type Operation = {
  operationId: string;
  summary: string;
  security: unknown[];
  parameters?: Array<{ in: string; name: string; required?: boolean }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { $ref?: string; description?: string }>;
};
const document = apiDocument() as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }> };
};
const routes = functions.flatMap((f) =>
  f.trigger.kind === 'http' ? [{ name: f.name, trigger: f.trigger }] : [],
);
const operationOf = (name: string): Operation => {
  const route = routes.find((r) => r.name === name)!;
  return document.paths[route.trigger.path]![route.trigger.method.toLowerCase()]!;
};

describe('the committed contracts', () => {
  it('are what the zod schemas generate now (else run `npm run docs`)', () => {
    const stale = [...generated].filter(([path, content]) => committed(path) !== content).map(([p]) => p);
    const walk = (dir: string): string[] =>
      existsSync(dir)
        ? readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
            e.isDirectory() ? walk(join(dir, e.name)) : [relative(ROOT, join(dir, e.name))],
          )
        : [];
    const orphans = walk(join(ROOT, EVENT_SCHEMA_DIR)).filter((p) => !generated.has(p.replaceAll('\\', '/')));
    if (stale.length > 0 || orphans.length > 0) {
      throw new Error(
        `The generated contracts differ from the committed ones: run \`npm run docs\` and commit the result.\n` +
          [
            ...stale.map((p) => `  out of date: ${p}`),
            ...orphans.map((p) => `  no longer generated: ${p}`),
          ].join('\n'),
      );
    }
  });

  it('are generated the same way twice (stable output)', () => {
    expect(contractFiles()).toEqual(generated);
  });
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', () => {
    const cli = join(
      ROOT,
      'node_modules',
      '@seriousme',
      'openapi-schema-validator',
      'bin',
      'validate-api-cli.js',
    );
    const out = execFileSync(process.execPath, [cli, join(ROOT, 'docs', 'openapi.json')], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ valid: true });
  });

  it('has one operation per http function, named after it, and no other', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual(
      routes.map((r) => `${r.trigger.method} ${r.trigger.path} ${r.name}`).sort(),
    );
  });

  it.each(routes)('describes $name: summary, key, parameters, body and answers', ({ name, trigger }) => {
    const op = operationOf(name);
    expect(op.summary).toBe(trigger.summary);
    const context = contexts.find((c) => c.functions.some((f) => f.name === name))?.name ?? 'platform';
    const scope = routeScope(context, trigger);
    const usagePlan = functions.find((f) => f.name === name)?.apiKeys === true;
    expect(op.security).toEqual(
      scope ? [{ oauth2: [scopeString(scope)], ...(usagePlan ? { apiKey: [] } : {}) }] : [],
    );

    const params = op.parameters ?? [];
    for (const [, param] of trigger.path.matchAll(/\{([^}]+)\}/g)) {
      expect(params).toContainEqual(expect.objectContaining({ in: 'path', name: param, required: true }));
    }
    const declared = (schema: unknown) =>
      Object.entries((schema as { shape?: object } | undefined)?.shape ?? {});
    for (const [where, schema] of [
      ['query', trigger.query],
      ['header', trigger.headers],
    ] as const) {
      for (const [key, field] of declared(schema)) {
        const required = !(field as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined)
          .success;
        const param = params.find((p) => p.in === where && p.name === key);
        expect(param).toBeDefined();
        expect(param?.required ?? false).toBe(required);
      }
    }
    expect(params.every((p) => p.name.toLowerCase() !== 'x-api-key')).toBe(true);

    if (trigger.body) {
      expect(op.requestBody?.required).toBe(true);
      expect(op.requestBody?.content['application/json']?.schema).toBeDefined();
    } else {
      expect(op.requestBody).toBeUndefined();
    }

    const statuses = Object.keys(op.responses).map(Number);
    expect(statuses.filter((s) => s < 300)).toEqual(
      trigger.responses
        ? Object.keys(trigger.responses).map(Number)
        : [trigger.method === 'POST' && trigger.body ? 201 : 200],
    );
    expect(statuses.filter((s) => s >= 400)).toEqual(errorStatuses(trigger));
    for (const status of statuses.filter((s) => s >= 400)) {
      const ref = op.responses[status]?.$ref ?? '';
      const response = document.components.responses[ref.replace('#/components/responses/', '')];
      expect(response?.content['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
  });

  it('gives every keyed operation the 400/401/403 errors and a body route 413 and 422', () => {
    expect(Object.keys(operationOf('PlaceOrder').responses)).toEqual([
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '422',
      '429',
    ]);
    expect(Object.keys(operationOf('GetOrder').responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '429',
    ]);
    expect(Object.keys(operationOf('CheckHealth').responses)).toEqual(['200']);
  });

  it('describes requests as the schemas accept them: before transforms and defaults', () => {
    const skus = operationOf('GetAvailability').parameters?.find((p) => p.name === 'skus') as unknown as {
      schema: Record<string, unknown>;
      required: boolean;
    };
    expect(skus).toMatchObject({ required: true, schema: { type: 'string' } });
    const hold = operationOf('PlaceHold').requestBody?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(hold.required).not.toContain('expiresInSeconds');
    expect(hold.properties.expiresInSeconds).toMatchObject({ default: 900 });
    const order = operationOf('PlaceOrder').requestBody?.content['application/json']?.schema as {
      properties: { customer: { properties: Record<string, Record<string, unknown>> } };
    };
    expect(order.properties.customer.properties.phone).toMatchObject({ type: 'string' });
  });
});

describe('GET /openapi.json', () => {
  const event = (overrides: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
    ({
      httpMethod: 'GET',
      path: '/openapi.json',
      headers: {},
      requestContext: { stage: 'v1' },
      ...overrides,
    }) as unknown as APIGatewayProxyEvent;

  it('serves the committed document with the URL it was called through', async () => {
    const response = (await getApiDocument(
      event({
        headers: { Host: 'abc.execute-api.eu-west-1.amazonaws.com', 'X-Forwarded-Proto': 'https' },
        requestContext: { stage: 'v1', domainName: 'abc.execute-api.eu-west-1.amazonaws.com' } as never,
      }),
      { functionName: 'GetApiDocument', awsRequestId: 'r1' } as Context,
    )) as APIGatewayProxyResult;

    expect(response.statusCode).toBe(200);
    const served = JSON.parse(response.body) as Record<string, unknown>;
    const { servers, ...rest } = served;
    expect(servers).toEqual([{ url: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1' }]);
    expect(rest).toEqual(JSON.parse(committed('docs/openapi.json')!));
  });

  it('names the local server without a stage', () => {
    expect(
      serverUrl(
        event({
          headers: { host: 'localhost:3000', 'X-Forwarded-Proto': 'http' },
          requestContext: { stage: 'local', domainName: 'localhost:3000' } as never,
        }),
      ),
    ).toBe('http://localhost:3000');
  });
});

describe('the event catalogue', () => {
  const entries = catalogueEntries();
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

  it('has one entry per published event and per event taken in, each with a description', () => {
    const published = Object.entries(eventCatalogue).flatMap(([source, events]) =>
      Object.keys(events).map((detailType) => `${source} ${detailType}`),
    );
    expect(
      entries.filter((e) => e.direction === 'published').map((e) => `${e.source} ${e.detailType}`),
    ).toEqual(published);
    expect(entries.filter((e) => e.direction === 'received').map((e) => e.detailType)).toEqual([
      'MarketplaceOrderPlaced',
    ]);
    for (const entry of entries) expect(entry.description.length).toBeGreaterThan(10);
  });

  it('is a valid AsyncAPI 3.0 document, one message and one operation per event', () => {
    const validate = new Ajv({
      strict: false,
      allErrors: true,
      validateFormats: false,
      meta: false,
      validateSchema: false,
    }).compile(specs.schemas['3.0.0'] as object);
    const asyncApi = asyncApiDocument(entries);
    expect(validate(asyncApi) ? [] : validate.errors).toEqual([]);
    expect(Object.keys(asyncApi.components.messages)).toEqual(entries.map((e) => e.detailType));
    expect(Object.values(asyncApi.operations).map((o) => o.action)).toEqual(
      entries.map((e) => (e.direction === 'published' ? 'send' : 'receive')),
    );
  });

  /** A domain event as EventBridge delivers it to a rule's target. */
  const delivered = (event: DomainEvent) => ({
    version: '0',
    id: 'b1f0c4e2-0000-4000-8000-000000000000',
    'detail-type': event.detailType,
    source: event.source,
    account: '123456789012',
    time: '2024-05-01T09:05:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: JSON.parse(JSON.stringify(event.detail)),
  });
  const at = '2024-05-01T09:05:00.000Z';
  const catalogProduct = {
    PK: 'PRODUCT#TEE-M',
    SK: 'PRODUCT',
    GSI1PK: 'PRODUCTS',
    GSI1SK: 'apparel.tees#TEE-M',
    sku: 'TEE-M',
    title: 'Crew tee',
    brand: 'Northwind',
    gtin: '5012345678900',
    category: 'apparel.tees',
    attributes: { size: 'M' },
    dimensions: { length: 300, width: 200, height: 20, unit: 'mm' },
    weight: { value: 170, unit: 'g' },
    status: 'active',
    finalSale: false,
    channels: ['store', 'web'],
    createdAt: at,
    updatedAt: at,
  };
  const samples: DomainEvent[] = [
    ...inventoryEventsFromChange(
      positionChange({
        before: { onHand: 10, reserved: 2, version: 7 },
        after: { onHand: 10, reserved: 5, version: 8 },
        lastChange: { type: 'reserve', ref: { type: 'order', id: 'ord-1' } },
      }),
    ),
    ...inventoryEventsFromChange(
      positionChange({
        before: { onHand: 10, reserved: 5, version: 8 },
        after: { onHand: 10, reserved: 2, version: 9 },
        lastChange: { type: 'release', ref: { type: 'hold', id: 'hold-1' }, reason: 'expired' },
      }),
    ),
    ...inventoryEventsFromChange(
      positionChange({
        before: { onHand: 10, reserved: 0, version: 9 },
        after: { onHand: 7, reserved: 0, version: 10 },
        lastChange: {
          type: 'adjustment',
          ref: { type: 'adjustment', id: 'pos-4711', source: 'pos-lon' },
          reason: 'damaged',
        },
      }),
    ),
    ...(['ACTIVE', 'CONSUMED', 'RELEASED', 'EXPIRED'] as const).flatMap((status) =>
      inventoryEventsFromChange({
        table: 'inventory',
        eventName: status === 'ACTIVE' ? 'INSERT' : 'MODIFY',
        keys: { PK: 'HOLD#hold-1', SK: 'HOLD' },
        ...(status === 'ACTIVE' ? {} : { oldImage: { status: 'ACTIVE' } }),
        newImage: {
          holdId: 'hold-1',
          channel: 'store',
          status,
          expiresAt: '2024-05-01T09:20:00.000Z',
          lines: [{ sku: 'A', quantity: 1, allocations: [{ locationId: 'S1', quantity: 1 }] }],
          updatedAt: at,
          ...(status === 'CONSUMED' ? { consumedBy: 'ord-2' } : {}),
        },
      }),
    ),
    ...inventoryEventsFromChange({
      table: 'inventory',
      eventName: 'MODIFY',
      keys: { PK: 'LOC#S1', SK: 'LOC' },
      newImage: {
        locationId: 'S1',
        name: 'Oxford Street',
        type: 'store',
        fulfils: ['ship', 'pickup'],
        status: { state: 'pickup-disabled', reason: 'no staff', changedAt: at },
        updatedAt: at,
      },
    }),
    inventoryEvents.event('AvailabilityChanged', 'id-1', at, {
      sku: 'A',
      channel: 'web',
      available: 3,
      previous: null,
      snapshotVersion: 1,
    }),
    ...orderEventsFromChange(orderInsert()),
    ...orderEventsFromChange(orderCancel()),
    ...orderEventsFromChange(
      orderChange(
        { status: 'IN_FULFILLMENT' },
        {
          status: 'COMPLETED',
          lines: [
            {
              sku: 'A',
              quantity: 2,
              allocations: [],
              fulfilledQuantity: 1,
              cancelledQuantity: 1,
              cancelReason: 'pickup expired',
            },
          ],
        },
      ),
    ),
    ...inventoryEventsFromChange(
      positionChange({
        before: { onHand: 10, reserved: 2, version: 10 },
        after: { onHand: 8, reserved: 0, version: 11 },
        lastChange: { type: 'fulfil', ref: { type: 'order', id: 'ord-1' }, reason: 'shipped (ord-1-G1)' },
      }),
    ),
    ...fulfillmentEventsFromChange(routingInsert('route')),
    ...fulfillmentEventsFromChange(routingInsert('reroute')),
    ...(
      [
        [undefined, 'PENDING'],
        ['PENDING', 'REQUESTED'],
        ['REQUESTED', 'ACCEPTED'],
        ['REQUESTED', 'REJECTED'],
        ['ACCEPTED', 'SHIPPED'],
        ['ACCEPTED', 'READY_FOR_PICKUP'],
        ['READY_FOR_PICKUP', 'PICKED_UP'],
        ['READY_FOR_PICKUP', 'PICKUP_EXPIRED'],
      ] as const
    ).flatMap(([from, to]) =>
      fulfillmentEventsFromChange(
        groupChange(from, to, {
          ...(to === 'REJECTED' ? { reason: 'no staff' } : {}),
          ...(to === 'SHIPPED' ? { carrier: 'DPD', trackingNumber: '15501234' } : {}),
        }),
      ),
    ),
    ...catalogEventsFromChange({
      table: 'catalog',
      eventName: 'MODIFY',
      keys: { PK: 'PRODUCT#TEE-M', SK: 'PRODUCT' },
      oldImage: { ...catalogProduct, version: 1 },
      newImage: { ...catalogProduct, channels: ['store'], version: 2 },
    }),
    ...customerChanges.flatMap(customerEventsFromChange),
    ...pricingEventSamples(),
    orderEvents.event('MarketplaceOrderRejected', 'id-2', at, {
      marketplace: 'acme',
      marketplaceOrderId: 'ACME-77',
      reason: { code: 'UNKNOWN_SKU', message: 'No such SKU', details: [{ path: 'lines.0.sku' }] },
    }),
  ];

  it('covers every published event with a sample', () => {
    expect(new Set(samples.map((e) => e.detailType))).toEqual(
      new Set(entries.filter((e) => e.direction === 'published').map((e) => e.detailType)),
    );
  });

  it.each(samples.map((e) => [e.detailType, e] as const))(
    'accepts a published %s as delivered',
    (_, sample) => {
      const entry = entries.find((e) => e.detailType === sample.detailType)!;
      const event = delivered(sample);
      expect(ajv.validate(entry.schema, event) ? [] : ajv.errors).toEqual([]);
      expect(ajv.validate(entry.schema, { ...event, source: 'commerce.other' })).toBe(false);
      expect(ajv.validate(entry.schema, { ...event, detail: { ...event.detail, data: undefined } })).toBe(
        false,
      );
    },
  );

  it('accepts the marketplace order of the README, and a bus rule takes it in', () => {
    const entry = entries.find((e) => e.detailType === 'MarketplaceOrderPlaced')!;
    const event = {
      source: 'marketplace.acme',
      'detail-type': 'MarketplaceOrderPlaced',
      detail: {
        marketplaceOrderId: 'ACME-77',
        customer: { email: 'b@example.com' },
        lines: [{ sku: 'TSHIRT-BLK-M', quantity: 1 }],
        delivery: {
          type: 'ship',
          address: { line1: '2 High St', city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' },
        },
      },
    };
    expect(ajv.validate(entry.schema, event) ? [] : ajv.errors).toEqual([]);
    expect(ajv.validate(entry.schema, { ...event, source: 'commerce.orders' })).toBe(false);
    expect(
      busRules.some((rule) => matchesPattern(rule.eventPattern, event) && ruleConsumer(rule) !== undefined),
    ).toBe(true);
  });

  it('writes each schema where the Markdown table links it', () => {
    const table = generated.get('docs/events.md')!;
    for (const entry of entries) {
      expect(generated.has(entry.file)).toBe(true);
      expect(table).toContain(`| \`${entry.detailType}\` |`);
      expect(table).toContain(`(${entry.file.replace(/^docs\//, '')})`);
    }
  });
});
