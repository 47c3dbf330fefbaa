import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../../shared/platform/clients';
import { DomainError } from '../../../shared/platform/errors';
import { makePricingPorts } from '../../../shared/pricing/adapters/runtime';
import type { PricingPorts, ProductFacts } from '../../../shared/pricing/use-cases/ports';
import { CATEGORIES } from '../../fixtures/pricing/book';
import { freshTables } from '../../support/dynamo';

/** The catalog as pricing sees it, from a map; counts the SKUs it was asked about. */
export function fakeCatalog(
  categories: ReadonlyMap<string, string> = CATEGORIES,
): ProductFacts & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async categoriesOf(skus) {
      asked.push(...skus);
      return new Map(
        skus.flatMap((sku) => {
          const category = categories.get(sku);
          return category ? [[sku, { category }] as const] : [];
        }),
      );
    },
  };
}

/** A clock a test moves by hand. */
export function testClock(start: string) {
  let now = new Date(start);
  return {
    clock: () => now,
    set: (iso: string) => {
      now = new Date(iso);
    },
    advanceSeconds: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

/** Pricing ports over fresh DynamoDB Local tables, with a fake catalog and a hand-moved clock. */
export async function pricingOnLocal(start = '2026-11-27T12:00:00Z'): Promise<{
  ports: PricingPorts;
  doc: DynamoDBDocumentClient;
  names: Record<string, string>;
  time: ReturnType<typeof testClock>;
}> {
  const { client, names } = await freshTables();
  const doc = documentClient(client);
  const time = testClock(start);
  const ports = makePricingPorts(doc, names.pricing ?? '', fakeCatalog(), { clock: time.clock });
  return { ports, doc, names, time };
}

export async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}
