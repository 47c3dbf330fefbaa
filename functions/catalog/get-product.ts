import { runtimeCatalogPorts } from '../../shared/catalog/adapters/runtime';
import { catalogRoutes } from '../../shared/catalog/definition';
import { etagOf } from '../../shared/catalog/domain/product';
import { getProduct } from '../../shared/catalog/use-cases/products';
import { httpApi } from '../../shared/platform/http';

const ports = runtimeCatalogPorts();

/** GET /products/{sku}: one product, with its version as `ETag`. */
export const handler = httpApi(catalogRoutes.getProduct, async ({ principal, params }) => {
  const product = await getProduct(ports, principal, params.sku);
  return { statusCode: 200, body: product, headers: { etag: etagOf(product.version) } };
});
