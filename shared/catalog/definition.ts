import { z } from 'zod';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  ownTableRoutes,
  routeFunction,
  type TableDefinition,
  tablesFor,
} from '../platform/definition';
import { CATALOG_TABLE_KEY } from './domain/record-events';
import { catalogEventDescriptions, catalogEvents, productSchema } from './events';
import {
  categoryIdSchema,
  categoryInputSchema,
  importRequestSchema,
  offersQuerySchema,
  productInputSchema,
  productListQuerySchema,
  skuSchema,
} from './schemas';

/** The catalog context: products, the single source of product truth every channel reads. */

export { CATALOG_TABLE_KEY };
export const catalogTable: TableDefinition = contextTable(CATALOG_TABLE_KEY, 'Catalog', 'CATALOG_TABLE');

const skuParams = z.object({ sku: skuSchema });
const outcome = z.enum(['created', 'updated', 'unchanged']);

export const catalogRoutes = {
  putProduct: defineRoute({
    method: 'PUT',
    path: '/products/{sku}',
    access: 'ops',
    summary: 'Create or change a product (data-quality gate; optimistic concurrency with If-Match)',
    params: skuParams,
    body: productInputSchema,
    headers: z.object({
      'If-Match': z.string().max(40).optional(),
      'If-None-Match': z.string().max(40).optional(),
    }),
    responses: {
      200: {
        description: 'Updated, or unchanged (the content was already so); `ETag` is the version',
        schema: z.object({ outcome, product: productSchema }),
      },
      201: {
        description: 'Created; `ETag` is the version',
        schema: z.object({ outcome, product: productSchema }),
      },
    },
  }),
  getProduct: defineRoute({
    method: 'GET',
    path: '/products/{sku}',
    access: 'any',
    summary: 'One product (a channel sees the products published to it)',
    params: skuParams,
    responses: { 200: { description: 'The product; `ETag` is its version', schema: productSchema } },
  }),
  listProducts: defineRoute({
    method: 'GET',
    path: '/products',
    access: 'any',
    summary: 'Products, a page at a time, by category, status and channel',
    query: productListQuerySchema,
    responses: {
      200: {
        description: 'A page; `next` is the cursor of the following one',
        schema: z.object({ items: z.array(productSchema), next: z.string().optional() }),
      },
    },
  }),
  importProducts: defineRoute({
    method: 'POST',
    path: '/product-imports',
    access: 'ops',
    summary: 'Bulk import: each row created, updated, unchanged or rejected with its reason',
    body: importRequestSchema,
  }),
  putCategory: defineRoute({
    method: 'PUT',
    path: '/categories/{categoryId}',
    access: 'ops',
    summary: 'Create or change a category and the attributes its products require',
    params: z.object({ categoryId: categoryIdSchema }),
    body: categoryInputSchema,
  }),
  getOffers: defineRoute({
    method: 'GET',
    path: '/offers',
    access: 'any',
    summary: "What the caller's channel shows for each SKU: product, current price, availability by method",
    query: offersQuerySchema,
  }),
  listCategories: defineRoute({
    method: 'GET',
    path: '/categories',
    access: 'any',
    summary: 'Every category with its required attributes',
  }),
} as const;

const api = ownTableRoutes('catalog', CATALOG_TABLE_KEY);

export const catalog: ContextDefinition = {
  name: 'catalog',
  tables: [catalogTable],
  functions: [
    // A product re-coded to another GTIN frees its old claim in the same transaction (DeleteItem):
    // read from the code, the suites do not re-code a product.
    api('PutProduct', 'put-product', catalogRoutes.putProduct, ['GetItem', 'PutItem', 'DeleteItem']),
    api('GetProduct', 'get-product', catalogRoutes.getProduct, ['GetItem']),
    // Read from the code (not reached by the suites): a page of the GSI1 listing.
    api('ListProducts', 'list-products', catalogRoutes.listProducts, ['Query:GSI1']),
    {
      // DeleteItem as for PutProduct (read from the code).
      ...api('ImportProducts', 'import-products', catalogRoutes.importProducts, [
        'BatchGetItem',
        'PutItem',
        'DeleteItem',
      ]),
      timeoutSeconds: 25,
    },
    api('PutCategory', 'put-category', catalogRoutes.putCategory, ['GetItem', 'PutItem']),
    // Read from the code (not reached by the suites): the GSI1 listing of categories.
    api('ListCategories', 'list-categories', catalogRoutes.listCategories, ['Query:GSI1']),
    // The one read of what a channel shows: the catalog with the inventory pool's and the price
    // book's answers (their tables by key, so this definition loads neither context).
    routeFunction(
      'catalog',
      'GetOffers',
      'get-offers',
      catalogRoutes.getOffers,
      tablesFor({
        [CATALOG_TABLE_KEY]: ['BatchGetItem'],
        // The availability read of GetAvailability (its locations are a GSI1 query, often cached).
        inventory: ['BatchGetItem', 'Query', 'Query:GSI1'],
        pricing: ['BatchGetItem'],
      }),
    ),
  ],
  busRules: [],
  events: { ...catalogEvents, descriptions: catalogEventDescriptions },
  eventSource: {
    table: CATALOG_TABLE_KEY,
    reads: [],
    writes: [],
    load: async () => (await import('./adapters/event-source')).catalogStream,
  },
};
