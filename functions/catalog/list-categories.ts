import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { listCategories } from '../../shared/catalog/use-cases/categories';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCatalogPorts();

/** GET /categories: every category with its required attributes. */
export const handler = httpApi(catalogRoutes.listCategories, async () => ({
  statusCode: 200,
  body: await listCategories(ports),
}));
