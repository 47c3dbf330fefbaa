import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { documentClient } from '../../shared/adapters/clients';
import type { LocationInput, OrderInput } from '../../shared/domain/schemas';
import { putLocation, setCount } from '../../shared/use-cases/inventory';
import { makePorts, type Ports } from '../../shared/use-cases/ports';
import { freshTables } from './dynamo';

export const STORE: LocationInput = {
  name: 'Oxford Street',
  type: 'store',
  geo: { lat: 51.5154, lon: -0.1419 },
  postalCode: 'W1C 1DX',
  country: 'GB',
  fulfils: ['ship', 'pickup'],
  priority: 50,
};

export const DC: LocationInput = {
  name: 'Daventry DC',
  type: 'dc',
  geo: { lat: 52.2569, lon: -1.1617 },
  postalCode: 'NN11 8PB',
  country: 'GB',
  fulfils: ['ship'],
  priority: 10,
};

/** Ports over fresh tables in DynamoDB Local, with a store `S1` and a DC `DC1`. */
export async function portsWithNetwork(
  clock?: () => Date,
): Promise<{ ports: Ports; client: DynamoDBClient }> {
  const { client, names } = await freshTables();
  const ports = makePorts(documentClient(client), names, clock);
  await putLocation(ports, 'S1', STORE);
  await putLocation(ports, 'DC1', DC);
  return { ports, client };
}

export async function stock(ports: Ports, sku: string, locationId: string, onHand: number, safetyStock = 0) {
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
