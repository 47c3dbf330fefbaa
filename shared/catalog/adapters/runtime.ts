import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../../platform/clients';
import { requireEnv } from '../../platform/config';
import { catalogTable } from '../definition';
import type { CatalogPorts } from '../use-cases/ports';
import { CatalogStore } from './catalog-store';

/** The catalog ports over a catalog table; tests build them over DynamoDB Local. */
export function makeCatalogPorts(
  doc: DynamoDBDocumentClient,
  tableName: string,
  clock: () => Date = () => new Date(),
): CatalogPorts {
  return { catalog: new CatalogStore(doc, tableName), now: () => clock().toISOString() };
}

let ports: CatalogPorts | undefined;

/** The ports of a handler that uses the catalog, built once; a missing table name fails the cold start. */
export function runtimeCatalogPorts(): CatalogPorts {
  ports ??= makeCatalogPorts(documentClient(), requireEnv(catalogTable.envVar));
  return ports;
}
