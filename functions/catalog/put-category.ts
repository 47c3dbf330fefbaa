import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { putCategory } from '../../shared/catalog/use-cases/categories';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCatalogPorts();

/** PUT /categories/{categoryId} (ops): a category and the attributes its products require. */
export const handler = httpApi(catalogRoutes.putCategory, async ({ params, body }) => {
  const result = await putCategory(ports, params.categoryId, body);
  return { statusCode: result.outcome === 'created' ? 201 : 200, body: result };
});
