import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { listProducts } from '../../shared/catalog/use-cases/products';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCatalogPorts();

/** GET /products: a page of products by category, status and channel. */
export const handler = httpApi(catalogRoutes.listProducts, async ({ principal, query }) => ({
  statusCode: 200,
  body: await listProducts(ports, principal, query),
}));
