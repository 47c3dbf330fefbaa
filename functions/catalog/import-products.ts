import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { importProducts } from '../../shared/catalog/use-cases/products';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCatalogPorts();

/** POST /product-imports (ops): a bulk import, answered row by row. */
export const handler = httpApi(catalogRoutes.importProducts, async ({ body }) => ({
  statusCode: 200,
  body: await importProducts(ports, body.products),
}));
