import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { transactWrite } from '../../platform/dynamodb';
import { pricingTable } from '../definition';
import type { PricingPorts, ProductFacts } from '../use-cases/ports';
import { PricingStore } from './pricing-store';

/**
 * The pricing ports over the pricing table and the given product facts (the catalog's categories);
 * tests build them over DynamoDB Local with a fake catalog.
 */
export function makePricingPorts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  products: ProductFacts,
  options: { clock?: () => Date; bookFreshnessMs?: number; quoteTtlSeconds?: number } = {},
): PricingPorts {
  const clock = options.clock ?? (() => new Date());
  return {
    pricing: new PricingStore(doc, tableName),
    products,
    transact: (items) => transactWrite(doc, items),
    now: () => clock().toISOString(),
    newId: (prefix) => `${prefix}_${randomUUID().replaceAll('-', '')}`,
    ...(options.bookFreshnessMs !== undefined ? { bookFreshnessMs: options.bookFreshnessMs } : {}),
    ...(options.quoteTtlSeconds !== undefined ? { quoteTtlSeconds: options.quoteTtlSeconds } : {}),
  };
}

const built = new Map<ProductFacts, PricingPorts>();

/**
 * The ports of a deployed (or embedded) handler, built once per execution environment when the
 * handler module loads: a function without the pricing table's name fails its cold start, naming the
 * variable. `products` is where categories come from: the catalog's reader for handlers that price
 * (quotes, orders, base prices, recomputes), `noProductFacts` for those that never need one.
 */
export function runtimePricingPorts(products: ProductFacts): PricingPorts {
  let ports = built.get(products);
  if (!ports) {
    ports = makePricingPorts(documentClient(), requireEnv(pricingTable.envVar), products);
    built.set(products, ports);
  }
  return ports;
}
