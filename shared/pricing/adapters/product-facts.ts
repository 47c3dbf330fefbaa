import { type CatalogPorts, runtimeCatalogPorts } from '../../catalog';
import type { ProductFacts } from '../use-cases/ports';

/**
 * Pricing's view of the catalog: the category of each SKU, read through the catalog context's own
 * ports (one BatchGetItem per 100 SKUs). A SKU the catalog does not know is left out of the answer.
 */
export function catalogProductFacts(catalog: CatalogPorts): ProductFacts {
  return {
    async categoriesOf(skus) {
      if (skus.length === 0) return new Map();
      const products = await catalog.catalog.getProducts(skus);
      return new Map([...products].map(([sku, product]) => [sku, { category: product.category }]));
    },
  };
}

let facts: ProductFacts | undefined;

/**
 * The product facts of a deployed (or embedded) pricing handler that reads the catalog table (its
 * definition lists `catalog`): a function without that table's name fails its cold start, naming the
 * variable.
 */
export function runtimeProductFacts(): ProductFacts {
  facts ??= catalogProductFacts(runtimeCatalogPorts());
  return facts;
}

/**
 * For handlers that never look at categories (rule, promotion and quote reads, rule writes): asking
 * it anything is a wiring bug, said loudly rather than pricing without categories.
 */
export const noProductFacts: ProductFacts = {
  categoriesOf: async () => {
    throw new Error('This handler was given no product facts: give it the catalog reader');
  },
};
