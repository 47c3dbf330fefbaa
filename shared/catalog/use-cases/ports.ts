import type { Channel } from '../../platform/principals';
import type { Category, Product, ProductStatus } from '../domain/product';

/** One version of a product to write, and the version it replaces (none for a new product). */
export interface ProductWrite {
  next: Product;
  previous?: Product | undefined;
}

export interface ProductPage {
  items: Product[];
  /** The cursor of the next page; absent on the last. */
  next?: string;
}

/** Where products and categories are kept (DynamoDB in production and in tests). */
export interface CatalogRepository {
  getProduct(sku: string, options?: { consistent?: boolean }): Promise<Product | undefined>;
  /** Up to any number of SKUs; those without a product are absent from the map. */
  getProducts(skus: string[], options?: { consistent?: boolean }): Promise<Map<string, Product>>;
  /**
   * Writes `next` if the product is still at `previous`'s version (absent when new) and no other SKU
   * holds its GTIN; says which condition failed otherwise.
   */
  writeProduct(write: ProductWrite): Promise<'written' | 'version-moved' | { gtinHeldBy: string }>;
  pageProducts(query: {
    category?: string | undefined;
    status?: ProductStatus | undefined;
    channel?: Channel | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<ProductPage>;
  getCategory(categoryId: string): Promise<Category | undefined>;
  getCategories(categoryIds: string[]): Promise<Map<string, Category>>;
  listCategories(): Promise<Category[]>;
  /** Writes a category whose `version` is one more than the stored one (1: new); false when it moved. */
  putCategory(category: Category): Promise<boolean>;
}

export interface CatalogPorts {
  catalog: CatalogRepository;
  now(): string;
}
