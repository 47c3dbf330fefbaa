/**
 * The catalog context as other contexts see it: the only module they may import from here. The
 * order and hold intakes ask `sellableProducts` before taking stock; pricing and offers read
 * products through `runtimeCatalogPorts`/`makeCatalogPorts`.
 */
export { makeCatalogPorts, runtimeCatalogPorts } from './adapters/runtime';
export { catalogTable } from './definition';
export type { Product } from './domain/product';
export { CATALOG_TABLE_KEY } from './domain/record-events';
export { catalogEvents } from './events';
export type { CatalogPorts, CatalogRepository } from './use-cases/ports';
export { sellableProducts } from './use-cases/products';
