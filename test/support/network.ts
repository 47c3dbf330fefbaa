import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { makeCatalogPorts } from '../../shared/catalog';
import type { CatalogPorts } from '../../shared/catalog/use-cases/ports';
import { makeInventoryPorts } from '../../shared/inventory/adapters/runtime';
import type { LocationInput } from '../../shared/inventory/schemas';
import type { InventoryPorts } from '../../shared/inventory/use-cases/ports';
import { putLocation, setCount } from '../../shared/inventory/use-cases/stock';
import { makeOrderPorts } from '../../shared/orders/adapters/runtime';
import type { OrderInput } from '../../shared/orders/schemas';
import type { OrderPorts } from '../../shared/orders/use-cases/ports';
import { documentClient } from '../../shared/platform/clients';
import { catalogProductFacts, makePricingPorts, type PricingPorts } from '../../shared/pricing';
import { ensureProducts } from './catalog';
import { freshTables, tablesOf } from './dynamo';

export const STORE: LocationInput = {
  name: 'Oxford Street',
  type: 'store',
  geo: { lat: 51.5154, lon: -0.1419 },
  postalCode: 'W1C 1DX',
  country: 'GB',
  fulfils: ['ship', 'pickup'],
  priority: 50,
};

/** A store at a point, shipping and offering pickup, priority 50; `extra` overrides any field. */
export const storeAt = (
  name: string,
  lat: number,
  lon: number,
  extra: Partial<LocationInput> = {},
): LocationInput => ({
  name,
  type: 'store',
  geo: { lat, lon },
  postalCode: 'X1 1XX',
  country: 'GB',
  fulfils: ['ship', 'pickup'],
  priority: 50,
  ...extra,
});

export const DC: LocationInput = {
  name: 'Daventry DC',
  type: 'dc',
  geo: { lat: 52.2569, lon: -1.1617 },
  postalCode: 'NN11 8PB',
  country: 'GB',
  fulfils: ['ship'],
  priority: 10,
};

/**
 * The inventory and the order ports over the same tables, with the catalog's (`products`): what the
 * integration tests drive.
 */
export type Ports = InventoryPorts & OrderPorts & { products: CatalogPorts; prices: PricingPorts };

/** Ports over fresh tables in DynamoDB Local, with a store `S1` and a DC `DC1`. */
export async function portsWithNetwork(
  clock?: () => Date,
): Promise<{ ports: Ports; client: DynamoDBClient; names: Record<string, string> }> {
  // The tables an order intake touches (the fulfillment context's is not among them).
  const { client, names } = await freshTables(['inventory', 'orders', 'catalog', 'customers', 'pricing']);
  const doc = documentClient(client);
  const inventory = makeInventoryPorts(doc, names.inventory ?? '', clock);
  const products = makeCatalogPorts(doc, names.catalog ?? '', clock);
  const ports: Ports = {
    ...inventory,
    ...makeOrderPorts(doc, tablesOf(names), inventory),
    products,
    prices: makePricingPorts(doc, names.pricing ?? '', catalogProductFacts(products), clock ? { clock } : {}),
  };
  await putLocation(ports, 'S1', STORE);
  await putLocation(ports, 'DC1', DC);
  return { ports, client, names };
}

/**
 * Counts a SKU at a location, first making it a product every channel may sell at the test price (if
 * it is none yet).
 */
export async function stock(ports: Ports, sku: string, locationId: string, onHand: number, safetyStock = 0) {
  await ensureProducts(ports.products, [sku], ports.prices);
  await setCount(ports, sku, locationId, { onHand, safetyStock });
}

export const shipOrder = (
  lines: { sku: string; quantity: number }[],
  extra: Partial<OrderInput> = {},
): OrderInput => ({
  customer: { email: 'ada@example.com' },
  lines,
  delivery: {
    type: 'ship',
    address: { line1: '1 Main St', city: 'London', postalCode: 'E1 6AN', country: 'GB' },
  },
  ...extra,
});
