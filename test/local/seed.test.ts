import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type ApiServer, createApiServer, httpRoutes } from '../../local/http-server';
import type { LocalHandler } from '../../local/lambda';
import { localDevClients, OAuthIssuer } from '../../local/oauth-issuer';
import { type DemoNetwork, demoNetwork, SeedError, seedDemoNetwork } from '../../local/seed';
import { normaliseProduct } from '../../shared/catalog/domain/product';
import { productInputSchema } from '../../shared/catalog/schemas';
import { contexts, functions, LOCAL_API_KEYS } from '../../shared/platform/definitions';
import {
  basePriceInputSchema,
  priceRuleInputSchema,
  promotionInputSchema,
} from '../../shared/pricing/schemas';
import { recorder } from './support';

describe('demo network', () => {
  it('has stores and DCs in Great Britain, 20 SKUs stocked at several locations, and channel rules', () => {
    const stores = demoNetwork.locations.filter((location) => location.type === 'store');
    const dcs = demoNetwork.locations.filter((location) => location.type === 'dc');
    const ids = new Set(demoNetwork.locations.map((location) => location.locationId));
    const skus = new Set(demoNetwork.inventory.map((position) => position.sku));

    expect(stores.length).toBeGreaterThanOrEqual(3);
    expect(dcs.length).toBeGreaterThanOrEqual(2);
    for (const location of demoNetwork.locations) {
      expect(location.geo.lat).toBeGreaterThan(49.9);
      expect(location.geo.lat).toBeLessThan(58.7);
      expect(location.geo.lon).toBeGreaterThan(-8.2);
      expect(location.geo.lon).toBeLessThan(1.8);
      expect(location.fulfils.length).toBeGreaterThan(0);
    }
    expect(skus.size).toBe(20);
    for (const sku of skus) {
      const at = demoNetwork.inventory.filter((position) => position.sku === sku);
      expect(at.length).toBeGreaterThanOrEqual(2);
    }
    for (const position of demoNetwork.inventory) {
      expect(ids.has(position.locationId)).toBe(true);
      expect(Number.isInteger(position.onHand) && position.onHand >= 0).toBe(true);
    }
    expect(demoNetwork.channelRules.map((rule) => rule.type).sort()).toEqual([
      'maxShareOfAtp',
      'protectUnits',
    ]);
  });

  it('has a product for every stocked SKU, each passing the catalog data-quality gate', () => {
    const categories = new Map(
      demoNetwork.categories.map((c) => [c.categoryId, { ...c, version: 1, updatedAt: '' }]),
    );
    const skus = new Set(demoNetwork.inventory.map((position) => position.sku));

    expect(new Set(demoNetwork.products.map((p) => p.sku))).toEqual(skus);
    for (const { sku, ...raw } of demoNetwork.products) {
      const draft = productInputSchema.parse(raw);
      const judged = normaliseProduct(draft, categories.get(draft.category));
      expect([sku, judged.ok ? [] : judged.violations]).toEqual([sku, []]);
    }
    const gtins = demoNetwork.products.map((p) => p.gtin);
    expect(new Set(gtins).size).toBe(gtins.length);
  });

  it('prices every product in GBP, with two channel price rules and three promotions the API takes', () => {
    expect(new Set(demoNetwork.prices.map((p) => p.sku))).toEqual(
      new Set(demoNetwork.products.map((p) => p.sku)),
    );
    expect(demoNetwork.prices.every((p) => p.prices.some((m) => m.currency === 'GBP'))).toBe(true);
    for (const { sku: _sku, ...body } of demoNetwork.prices) basePriceInputSchema.parse(body);
    expect(demoNetwork.priceRules).toHaveLength(2);
    for (const { ruleId: _id, ...body } of demoNetwork.priceRules) priceRuleInputSchema.parse(body);
    expect(demoNetwork.promotions).toHaveLength(3);
    for (const { promotionId: _id, ...body } of demoNetwork.promotions) promotionInputSchema.parse(body);
  });
});

describe('seedDemoNetwork', () => {
  const handlers = new Map<string, LocalHandler>();
  let api: ApiServer;
  let base: string;

  beforeAll(async () => {
    // The seed authenticates as the ops dev client at the runtime's token endpoint.
    const oauth = new OAuthIssuer({
      issuer: () => `${base}/_local/oauth2`,
      devClients: localDevClients(contexts),
    });
    api = createApiServer({
      routes: httpRoutes(functions),
      handlers,
      apiKeys: LOCAL_API_KEYS,
      region: 'us-east-1',
      endpoints: oauth.endpoints(),
    });
    base = `http://127.0.0.1:${await api.listen(0)}`;
  });

  afterAll(() => api.close());

  const ok = () => recorder<APIGatewayProxyEvent>(() => ({ statusCode: 200, body: '{}' }));

  it('puts every location, stock position and channel rule through the API with the ops key', async () => {
    const locations = ok();
    const positions = ok();
    const rules = ok();
    const categories = ok();
    const products = ok();
    handlers.set('PutCategory', categories);
    handlers.set('PutProduct', products);
    for (const name of ['PutBasePrices', 'PutPriceRule', 'PutPromotion']) handlers.set(name, ok());
    handlers.set('PutLocation', locations);
    handlers.set('CountInventory', positions);
    handlers.set('PutChannelRule', rules);

    const summary = await seedDemoNetwork(base);

    expect(summary).toMatchObject({
      locations: 6,
      products: 20,
      positions: demoNetwork.inventory.length,
      channelRules: 2,
    });
    expect(categories.calls).toHaveLength(demoNetwork.categories.length);
    expect(products.calls).toHaveLength(demoNetwork.products.length);
    expect(locations.calls).toHaveLength(demoNetwork.locations.length);
    expect(positions.calls).toHaveLength(demoNetwork.inventory.length);
    expect(rules.calls).toHaveLength(demoNetwork.channelRules.length);
    const all = [...locations.calls, ...positions.calls, ...rules.calls];
    expect(all.every((call) => call.event.requestContext.identity.apiKeyId === 'local-ops')).toBe(true);
    expect(all.every((call) => call.event.headers.authorization?.startsWith('Bearer '))).toBe(true);
    const london = locations.calls.find(
      (call) => call.event.pathParameters?.locationId === 'store-london-oxford-st',
    );
    expect(JSON.parse(london?.event.body ?? '{}')).toEqual({
      name: 'London Oxford Street',
      type: 'store',
      geo: { lat: 51.5152, lon: -0.1418 },
      postalCode: 'W1C 1DX',
      country: 'GB',
      fulfils: ['ship', 'pickup'],
      priority: 3,
    });
    const first = demoNetwork.inventory[0]!;
    const position = positions.calls.find(
      (call) =>
        call.event.pathParameters?.sku === first.sku &&
        call.event.pathParameters.locationId === first.locationId,
    );
    expect(JSON.parse(position?.event.body ?? '{}')).toEqual({
      onHand: first.onHand,
      safetyStock: first.safetyStock,
    });
  });

  it('puts locations and categories before the products and stock that refer to them', async () => {
    const order: string[] = [];
    const track = (kind: string) => async () => {
      order.push(kind);
      return { statusCode: 200, body: '{}' };
    };
    handlers.set('PutLocation', track('location'));
    handlers.set('PutCategory', track('category'));
    handlers.set('PutProduct', track('product'));
    handlers.set('PutBasePrices', track('price'));
    handlers.set('PutPriceRule', track('price'));
    handlers.set('PutPromotion', track('price'));
    handlers.set('CountInventory', track('position'));
    handlers.set('PutChannelRule', track('rule'));

    await seedDemoNetwork(base);

    expect(order.lastIndexOf('location')).toBeLessThan(order.indexOf('product'));
    expect(order.lastIndexOf('category')).toBeLessThan(order.indexOf('product'));
    expect(order.lastIndexOf('product')).toBeLessThan(order.indexOf('position'));
    expect(order.lastIndexOf('product')).toBeLessThan(order.indexOf('price'));
  });

  it('stops with every refused request named when the API refuses the seed', async () => {
    handlers.set('PutCategory', ok());
    handlers.set('PutLocation', async (event) => {
      const id = (event as APIGatewayProxyEvent).pathParameters?.locationId;
      return id === 'dc-leeds'
        ? { statusCode: 400, body: '{"error":{"code":"VALIDATION_FAILED"}}' }
        : { statusCode: 200 };
    });
    const positions = ok();
    handlers.set('CountInventory', positions);

    const seeding = seedDemoNetwork(base);

    await expect(seeding).rejects.toBeInstanceOf(SeedError);
    await expect(seeding).rejects.toThrow(/PUT \/locations\/dc-leeds → 400 .*VALIDATION_FAILED/);
    expect(positions.calls).toHaveLength(0);
  });

  it('encodes identifiers into the path', async () => {
    const positions = ok();
    handlers.set('PutLocation', ok());
    handlers.set('CountInventory', positions);
    const network: DemoNetwork = {
      locations: [],
      categories: [],
      products: [],
      prices: [],
      priceRules: [],
      promotions: [],
      inventory: [{ sku: 'A/B 1', locationId: 'dc-1', onHand: 1 }],
      channelRules: [],
    };

    await seedDemoNetwork(base, { network });

    expect(positions.calls[0]?.event.path).toBe('/inventory/A%2FB%201/dc-1');
  });
});
