import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { etagOf } from '../../shared/catalog/domain/product';
import { putProduct } from '../../shared/catalog/use-cases/products';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCatalogPorts();

/** PUT /products/{sku} (ops): create or change a product; `If-Match` makes the write conditional. */
export const handler = httpApi(catalogRoutes.putProduct, async ({ params, body, headers }) => {
  const result = await putProduct(ports, params.sku, body, {
    ifMatch: headers['If-Match'],
    ifNoneMatch: headers['If-None-Match'],
  });
  return {
    statusCode: result.outcome === 'created' ? 201 : 200,
    body: result,
    headers: { etag: etagOf(result.product.version) },
  };
});
