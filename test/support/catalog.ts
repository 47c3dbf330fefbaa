import type { CatalogRepository } from '../../shared/catalog';
import type { Product, ProductDraft } from '../../shared/catalog/domain/product';
import { putCategory } from '../../shared/catalog/use-cases/categories';
import type { CatalogPorts } from '../../shared/catalog/use-cases/ports';
import { putProduct } from '../../shared/catalog/use-cases/products';
import { CHANNELS } from '../../shared/platform/principals';
import type { PricingPorts } from '../../shared/pricing';
import { putBasePrices } from '../../shared/pricing/use-cases/price-book';

/** The category the tests' products are in: no required attributes. */
export const TEST_CATEGORY = 'general';

/** A product every channel may sell; `extra` overrides any field. */
export const sellableDraft = (sku: string, extra: Partial<ProductDraft> = {}): ProductDraft => ({
  title: `Product ${sku}`,
  brand: 'Test',
  category: TEST_CATEGORY,
  attributes: {},
  status: 'active',
  finalSale: false,
  channels: [...CHANNELS],
  ...extra,
});

/** What every test product costs unless a test says otherwise: £10.00, in pence. */
export const TEST_PRICE = { currency: 'GBP', amount: 1000 } as const;

/**
 * Puts the test category, and for each SKU that has none yet a sellable product with its base price
 * (idempotent): the intakes refuse what the catalog does not know or the price book cannot price.
 */
export async function ensureProducts(
  ports: CatalogPorts,
  skus: string[],
  prices: PricingPorts,
): Promise<void> {
  // Once per SKU and ports, however many callers ask at once (a test counting a SKU at fifty
  // locations in parallel makes it one product, not fifty racing writes).
  let given = ensured.get(ports);
  if (!given) {
    given = new Map([['', putCategory(ports, TEST_CATEGORY, { name: 'General', requiredAttributes: [] })]]);
    ensured.set(ports, given);
  }
  const category = given.get('');
  await Promise.all(
    skus.map((sku) => {
      let done = given.get(sku);
      if (!done) {
        done = (async () => {
          await category;
          if (await ports.catalog.getProduct(sku, { consistent: true })) return;
          await putProduct(ports, sku, sellableDraft(sku));
          await putBasePrices(prices, sku, { prices: [TEST_PRICE] });
        })();
        given.set(sku, done);
      }
      return done;
    }),
  );
}

/** Per ports: the test category's put (under '') and each SKU's, settled or under way. */
const ensured = new WeakMap<CatalogPorts, Map<string, Promise<unknown>>>();

/**
 * A catalog for use cases tested with fakes: every SKU is an active product on every channel,
 * except those given in `products`, which are as given (or absent when undefined).
 */
export function fakeCatalog(products: Record<string, Partial<Product> | undefined> = {}): CatalogRepository {
  const productOf = (sku: string): Product | undefined => {
    if (sku in products && products[sku] === undefined) return undefined;
    return {
      sku,
      ...sellableDraft(sku),
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      ...products[sku],
    } as Product;
  };
  const unused = () => {
    throw new Error('not used by the order and hold intakes');
  };
  return {
    getProduct: async (sku) => productOf(sku),
    getProducts: async (skus) =>
      new Map(skus.flatMap((sku) => (productOf(sku) ? [[sku, productOf(sku)!] as const] : []))),
    writeProduct: unused,
    pageProducts: unused,
    getCategory: unused,
    getCategories: unused,
    listCategories: unused,
    putCategory: unused,
  };
}
