import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import {
  queryStringParameters,
  requestModelName,
  requestModelSchema,
} from '../../cdk/constructs/request-models';
import { HEALTH_CHECK } from '../../cdk/stacks/context-groups';
import { functions } from '../../shared/platform/definitions';
import { idOf, resourcesOf, synthesizeCommerce } from './synthesize';

const { api, stacks } = synthesizeCommerce();
const methods = Object.values(resourcesOf(api, 'AWS::ApiGateway::Method'));
const models = resourcesOf(api, 'AWS::ApiGateway::Model');
// The health check is answered by API Gateway (a MOCK integration): nothing to validate.
const routes = functions.flatMap((definition) =>
  definition.trigger.kind === 'http' && definition.name !== HEALTH_CHECK
    ? [{ name: definition.name, trigger: definition.trigger }]
    : [],
);
const withBody = routes.filter((r) => r.trigger.body !== undefined);
const withQuery = routes.filter((r) => r.trigger.query !== undefined);

const methodOf = (name: string) => {
  const method = methods.find((m) => m.Properties.OperationName === name);
  if (!method) throw new Error(`no method for ${name}`);
  return method.Properties;
};
const modelNamed = (name: string) => {
  const found = Object.entries(models).find(([, m]) => m.Properties.Name === requestModelName(name));
  if (!found) throw new Error(`no model for ${name}`);
  return { logicalId: found[0], properties: found[1].Properties };
};

/** Walks a JSON Schema and collects every keyword used, with the values of `$schema`. */
function keywordsOf(schema: unknown, into = new Set<string>(), userKeys = false): Set<string> {
  if (Array.isArray(schema)) {
    for (const item of schema) keywordsOf(item, into);
  } else if (schema !== null && typeof schema === 'object') {
    for (const [key, child] of Object.entries(schema)) {
      if (!userKeys) into.add(key);
      keywordsOf(child, into, !userKeys && key === 'properties');
    }
  }
  return into;
}

const DRAFT_04_KEYWORDS = new Set([
  ...['$schema', 'type', 'enum', 'properties', 'required', 'items', 'additionalProperties', 'description'],
  ...['minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  ...['multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'oneOf', 'anyOf', 'allOf', 'not', 'title'],
]);

describe('request models: API Gateway validates bodies at the edge from the zod schemas', () => {
  it('has one model per route with a body and no other', () => {
    expect(withBody.length).toBeGreaterThan(0);
    expect(Object.keys(models)).toHaveLength(withBody.length);
  });

  it.each(withBody)('attaches the model of $name to its method for application/json', ({ name }) => {
    const model = modelNamed(name);
    expect(methodOf(name).RequestModels).toEqual({ 'application/json': { Ref: model.logicalId } });
    expect(model.properties).toMatchObject({
      ContentType: 'application/json',
      RestApiId: { Ref: idOf(stacks.api.api.api) },
    });
  });

  it.each(withBody)('models the body of $name as the generated draft-04 JSON Schema', ({ name, trigger }) => {
    const schema = modelNamed(name).properties.Schema as Record<string, unknown>;
    expect(schema).toEqual(requestModelSchema(trigger.body!));
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
  });

  it.each(withBody)('keeps the model of $name self-contained and within draft-04', ({ name }) => {
    const used = keywordsOf(modelNamed(name).properties.Schema);
    expect([...used].filter((k) => !DRAFT_04_KEYWORDS.has(k))).toEqual([]);
    expect(JSON.stringify(modelNamed(name).properties.Schema)).not.toContain('*/');
  });

  it('leaves methods without a body without a model', () => {
    for (const { name } of routes.filter((r) => r.trigger.body === undefined)) {
      expect(methodOf(name).RequestModels).toBeUndefined();
    }
  });

  it('validates bodies and parameters with the one request validator', () => {
    for (const { name } of routes) {
      expect(methodOf(name).RequestValidatorId).toEqual({ Ref: expect.stringMatching(/RequestValidator/) });
    }
    api.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
  });

  it.each(withQuery)(
    'declares the query parameters of $name, required as its schema says',
    ({ name, trigger }) => {
      const parameters = methodOf(name).RequestParameters as Record<string, boolean>;
      expect(parameters).toMatchObject(queryStringParameters(trigger));
    },
  );

  it('requires the query parameters a handler cannot do without', () => {
    expect(methodOf('GetAvailability').RequestParameters).toEqual({
      'method.request.querystring.skus': true,
      'method.request.querystring.locationId': false,
      'method.request.querystring.channel': false,
      'method.request.querystring.near': false,
      'method.request.querystring.limit': false,
    });
    expect(methodOf('ListOrders').RequestParameters).toEqual({
      'method.request.querystring.channelOrderId': true,
    });
  });

  describe('what the models let through', () => {
    const ajv = new Ajv04({ allErrors: true, strict: false });
    const accepts = (name: string, body: unknown) =>
      ajv.validate(modelNamed(name).properties.Schema as object, body);
    const fixture = (file: string) =>
      JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'domain', file), 'utf8')) as unknown;

    const bodyOf = (name: string) => routes.find((r) => r.name === name)!.trigger.body!;
    const location = {
      name: 'London Oxford St',
      type: 'store',
      geo: { lat: 51.5154, lon: -0.1419 },
      postalCode: 'W1C 1DX',
      country: 'GB',
      fulfils: ['ship', 'pickup'],
    };
    const accepted: Array<[string, unknown]> = [
      ['PlaceOrder', fixture('order-ship.json')],
      ['PlaceOrder', fixture('order-pickup.json')],
      [
        'PlaceOrder',
        {
          customer: { phone: '+44 7911 123456', name: 'Ada' },
          lines: [{ sku: 'TSHIRT-BLK-M', quantity: 2 }],
          delivery: { type: 'pickup', locationId: 'STORE-LON' },
          unknownField: 'stripped by the handler, let through here',
        },
      ],
      [
        'PlaceHold',
        { lines: [{ sku: 'TSHIRT-BLK-M', quantity: 1 }], delivery: { type: 'pickup', locationId: 'L' } },
      ],
      ['PutLocation', location],
      // Trimmed before its length is checked: the edge must not count the padding.
      ['PutLocation', { ...location, name: `   ${'x'.repeat(200)}   ` }],
      ['CountInventory', { onHand: 12, safetyStock: 2 }],
      [
        'AdjustInventory',
        {
          sku: 'A',
          locationId: 'L',
          delta: -1,
          reason: 'damaged',
          sourceSystem: 'pos',
          sourceEventId: 'pos-1',
        },
      ],
      ['PutChannelRule', { type: 'protectUnits', name: 'Keep 3', channel: 'store', units: 3, skus: ['A'] }],
    ];

    it.each(accepted)('lets through every %s body the handler accepts (sample %#)', (name, body) => {
      expect(bodyOf(name).safeParse(body).success).toBe(true);
      expect(accepts(name, body) ? [] : ajv.errors).toEqual([]);
    });

    it('rejects what the handler rejects for its shape: a missing field, a wrong type, a bad SKU', () => {
      const order = fixture('order-ship.json') as Record<string, unknown>;
      expect(accepts('PlaceOrder', { ...order, lines: undefined })).toBe(false);
      expect(accepts('PlaceOrder', { ...order, lines: [{ sku: 'A', quantity: '2' }] })).toBe(false);
      expect(accepts('PlaceOrder', { ...order, lines: [{ sku: 'bad sku!', quantity: 1 }] })).toBe(false);
      expect(accepts('PlaceOrder', { ...order, delivery: { type: 'drone' } })).toBe(false);
      expect(accepts('CountInventory', { onHand: -1 })).toBe(false);
      expect(
        accepts('PutChannelRule', { type: 'maxShareOfAtp', name: 'x', channel: 'web', percent: 101 }),
      ).toBe(false);
    });
  });
});
