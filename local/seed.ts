import demoNetworkJson from './demo-network.json';
import { callerHeaders } from './dev-credentials';

export interface DemoLocation {
  locationId: string;
  name: string;
  type: 'store' | 'dc';
  geo: { lat: number; lon: number };
  postalCode: string;
  country: string;
  fulfils: ('ship' | 'pickup')[];
  priority?: number;
}

export interface DemoStock {
  sku: string;
  locationId: string;
  onHand: number;
  safetyStock?: number;
}

export type DemoChannelRule = { ruleId: string; name: string; channel: string; skus?: string[] } & (
  | { type: 'maxShareOfAtp'; percent: number }
  | { type: 'protectUnits'; units: number }
);

export interface DemoCategory {
  categoryId: string;
  name: string;
  requiredAttributes: string[];
}

/** A product as `PUT /products/{sku}` takes it, with its SKU. */
export type DemoProduct = { sku: string } & Record<string, unknown>;

/** A SKU's base prices, as `PUT /prices/{sku}` takes them. */
export interface DemoPrice {
  sku: string;
  prices: { currency: string; amount: number }[];
}

/**
 * Stores, DCs, categories, products, prices, channel price rules, promotions, stock positions and
 * channel allocation rules to load into an empty system.
 */
export interface DemoNetwork {
  locations: DemoLocation[];
  categories: DemoCategory[];
  products: DemoProduct[];
  prices: DemoPrice[];
  /** As `PUT /price-rules/{ruleId}` takes them, with their id. */
  priceRules: ({ ruleId: string } & Record<string, unknown>)[];
  /** As `PUT /promotions/{promotionId}` takes them, with their id. */
  promotions: ({ promotionId: string } & Record<string, unknown>)[];
  inventory: DemoStock[];
  channelRules: DemoChannelRule[];
}

/** The demo network of `npm start` (`local/demo-network.json`). */
export const demoNetwork = demoNetworkJson as DemoNetwork;

/** The dev client of the operations principal; seeding goes through the API as an ops user would. */
export const SEED_API_KEY = 'local-ops';

export interface SeedOptions {
  network?: DemoNetwork;
  apiKey?: string;
  /** Requests in flight at once. */
  concurrency?: number;
}

export interface SeedSummary {
  locations: number;
  products: number;
  promotions: number;
  positions: number;
  channelRules: number;
  ms: number;
}

/** Seeding stopped on requests the API refused; each failure names the request and the answer. */
export class SeedError extends Error {
  constructor(readonly failures: string[]) {
    const shown = failures.slice(0, 5).join('\n  ');
    const more = failures.length > 5 ? `\n  … and ${failures.length - 5} more` : '';
    super(`Seeding failed on ${failures.length} request(s):\n  ${shown}${more}`);
    this.name = 'SeedError';
  }
}

/**
 * Loads a network through the HTTP API with PUTs, so it is idempotent and exercises the same code
 * path as an ops user: locations and categories first (stock and products refer to them), then
 * products, then stock positions, prices, channel price rules, promotions and channel allocation
 * rules.
 */
export async function seedDemoNetwork(baseUrl: string, options: SeedOptions = {}): Promise<SeedSummary> {
  const started = Date.now();
  const network = options.network ?? demoNetwork;
  const apiKey = options.apiKey ?? SEED_API_KEY;
  const concurrency = options.concurrency ?? 16;
  const failures: string[] = [];

  const put = async (path: string, body: unknown) => {
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(await callerHeaders(baseUrl, apiKey)) },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) failures.push(`PUT ${path} → ${response.status} ${text.slice(0, 200)}`);
    } catch (error) {
      failures.push(`PUT ${path} → ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const step = async (requests: (() => Promise<void>)[]) => {
    await inParallel(requests, concurrency);
    if (failures.length > 0) throw new SeedError(failures);
  };

  await step([
    ...network.locations.map(
      ({ locationId, ...location }) =>
        () =>
          put(`/locations/${encode(locationId)}`, location),
    ),
    ...network.categories.map(
      ({ categoryId, ...category }) =>
        () =>
          put(`/categories/${encode(categoryId)}`, category),
    ),
  ]);
  await step(
    network.products.map(
      ({ sku, ...product }) =>
        () =>
          put(`/products/${encode(sku)}`, product),
    ),
  );
  await step([
    ...network.inventory.map(
      ({ sku, locationId, ...position }) =>
        () =>
          put(`/inventory/${encode(sku)}/${encode(locationId)}`, position),
    ),
    ...network.channelRules.map(
      ({ ruleId, ...rule }) =>
        () =>
          put(`/channel-rules/${encode(ruleId)}`, rule),
    ),
    ...network.prices.map(
      ({ sku, ...prices }) =>
        () =>
          put(`/prices/${encode(sku)}`, prices),
    ),
    ...network.priceRules.map(
      ({ ruleId, ...rule }) =>
        () =>
          put(`/price-rules/${encode(ruleId)}`, rule),
    ),
    ...network.promotions.map(
      ({ promotionId, ...promotion }) =>
        () =>
          put(`/promotions/${encode(promotionId)}`, promotion),
    ),
  ]);
  return {
    locations: network.locations.length,
    products: network.products.length,
    promotions: network.promotions.length,
    positions: network.inventory.length,
    channelRules: network.channelRules.length,
    ms: Date.now() - started,
  };
}

function encode(segment: string): string {
  return encodeURIComponent(segment);
}

async function inParallel(tasks: (() => Promise<void>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next];
      next += 1;
      await task?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}
