import { contentionBackoff, MAX_CONTENTION_ATTEMPTS } from '../../platform/dynamodb';
import {
  concurrentUpdate,
  DomainError,
  type ErrorDetail,
  issuesToDetails,
  notFound,
} from '../../platform/errors';
import { type Channel, isChannel, type Principal } from '../../platform/principals';
import {
  type Category,
  changedFields,
  contentOf,
  etagOf,
  type NotSellable,
  normaliseProduct,
  type Product,
  type ProductDraft,
  type QualityViolation,
  sellability,
  versionOfEtag,
} from '../domain/product';
import { importRowSchema, type ProductListQuery } from '../schemas';
import type { CatalogPorts } from './ports';

/** What a write did: a new product, a new version, or nothing (the content was already so). */
export type WriteOutcome = 'created' | 'updated' | 'unchanged';

export interface ProductWriteResult {
  outcome: WriteOutcome;
  product: Product;
}

/** The gate's refusal: every rule broken, each with its field. */
const qualityRefused = (violations: QualityViolation[]) =>
  new DomainError(
    422,
    'DATA_QUALITY',
    `The product breaks ${violations.length === 1 ? 'a data-quality rule' : `${violations.length} data-quality rules`}: ${violations.map((v) => v.rule).join(', ')}`,
    violations,
  );

const preconditionFailed = (message: string, current: Product | undefined, header: string) =>
  new DomainError(412, 'PRECONDITION_FAILED', message, [
    {
      path: `headers.${header}`,
      message: current ? `the product is at ${etagOf(current.version)}` : 'the product does not exist',
      ...(current ? { etag: etagOf(current.version) } : {}),
    },
  ]);

/** Conditions on the stored version, from `If-Match` / `If-None-Match: *`. */
export interface WritePreconditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
}

function checkPreconditions(current: Product | undefined, pre: WritePreconditions): void {
  if (pre.ifNoneMatch !== undefined) {
    if (pre.ifNoneMatch.trim() !== '*') {
      throw new DomainError(400, 'VALIDATION_FAILED', 'If-None-Match takes only *', [
        { path: 'headers.If-None-Match', message: '* (create only)' },
      ]);
    }
    if (current) throw preconditionFailed('The product already exists', current, 'If-None-Match');
  }
  if (pre.ifMatch !== undefined) {
    const version = versionOfEtag(pre.ifMatch);
    if (version === undefined) {
      throw new DomainError(400, 'VALIDATION_FAILED', 'If-Match is not an entity tag of this API', [
        { path: 'headers.If-Match', message: 'the ETag of a product version, e.g. "3"' },
      ]);
    }
    if (current?.version !== version)
      throw preconditionFailed('The product changed since that version was read', current, 'If-Match');
  }
}

/**
 * Writes a product: judged by the gate, normalised, and stored as a new version only when its
 * content changes (so a repeated write, or a re-import of the same file, changes nothing and emits
 * nothing). Lost races on the version are read again; with `If-Match` the caller's version is the
 * condition and a moved product is 412.
 */
export async function putProduct(
  ports: CatalogPorts,
  sku: string,
  draft: ProductDraft,
  pre: WritePreconditions = {},
  known: { category?: Category | undefined; current?: Product | undefined } = {},
): Promise<ProductWriteResult> {
  const category = 'category' in known ? known.category : await ports.catalog.getCategory(draft.category);
  const judged = normaliseProduct(draft, category);
  if (!judged.ok) throw qualityRefused(judged.violations);
  let current =
    'current' in known ? known.current : await ports.catalog.getProduct(sku, { consistent: true });
  for (let attempt = 1; ; attempt++) {
    checkPreconditions(current, pre);
    const changed = changedFields(current ? contentOf(current) : undefined, judged.content);
    if (current && changed.length === 0) return { outcome: 'unchanged', product: current };
    const now = ports.now();
    const next: Product = {
      sku,
      ...judged.content,
      version: (current?.version ?? 0) + 1,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    };
    const result = await ports.catalog.writeProduct({ next, previous: current });
    if (result === 'written') return { outcome: current ? 'updated' : 'created', product: next };
    if (typeof result === 'object') {
      throw qualityRefused([
        {
          rule: 'GTIN_IN_USE',
          path: 'gtin',
          message: `the GTIN belongs to SKU ${result.gtinHeldBy}`,
          sku: result.gtinHeldBy,
        },
      ]);
    }
    if (attempt >= MAX_CONTENTION_ATTEMPTS)
      throw concurrentUpdate('The product changed too often while writing; retry', 'sku', 'contention');
    await contentionBackoff(attempt);
    current = await ports.catalog.getProduct(sku, { consistent: true });
  }
}

/** A product as its caller may see it: a channel sees the products published to it, ops all. */
export async function getProduct(ports: CatalogPorts, principal: Principal, sku: string): Promise<Product> {
  const product = await ports.catalog.getProduct(sku);
  if (!product || (isChannel(principal) && !product.channels.includes(principal)))
    throw notFound('Product', sku, 'sku', 'no such product');
  return product;
}

/** A page of products; a channel lists only what is published to it. */
export async function listProducts(ports: CatalogPorts, principal: Principal, query: ProductListQuery) {
  let channel = query.channel;
  if (isChannel(principal)) {
    if (channel !== undefined && channel !== principal) {
      throw new DomainError(403, 'FORBIDDEN', 'A channel lists the products published to it', [
        { path: 'query.channel', message: `only ${principal}` },
      ]);
    }
    channel = principal;
  }
  return ports.catalog.pageProducts({ ...query, channel });
}

/** One row's fate in a bulk import. */
export interface ImportRowResult {
  /** The row's index in the request (0-based). */
  row: number;
  sku?: string;
  outcome: WriteOutcome | 'rejected';
  version?: number;
  error?: { code: string; message: string; details: ErrorDetail[] };
}

export interface ImportResult {
  summary: Record<ImportRowResult['outcome'], number>;
  rows: ImportRowResult[];
}

/** How many rows of an import are written at once. */
const IMPORT_CONCURRENCY = 8;

/**
 * A bulk import: each row is validated and written on its own, like `PUT /products/{sku}` without
 * preconditions, so one bad row is reported with its reason and the others land. Categories and
 * current products are read in batches first; a row that changes nothing writes nothing, so
 * importing the same file again reports every row unchanged.
 */
export async function importProducts(ports: CatalogPorts, rows: unknown[]): Promise<ImportResult> {
  const results: ImportRowResult[] = new Array(rows.length);
  const valid: { row: number; sku: string; draft: ProductDraft }[] = [];
  const seen = new Map<string, number>();
  rows.forEach((raw, row) => {
    const parsed = importRowSchema.safeParse(raw);
    if (!parsed.success) {
      const sku =
        typeof (raw as { sku?: unknown })?.sku === 'string'
          ? String((raw as { sku: string }).sku)
          : undefined;
      results[row] = {
        row,
        ...(sku ? { sku } : {}),
        outcome: 'rejected',
        error: {
          code: 'VALIDATION_FAILED',
          message: 'The row is not valid',
          details: issuesToDetails(parsed.error),
        },
      };
      return;
    }
    const { sku, ...draft } = parsed.data;
    const first = seen.get(sku);
    if (first !== undefined) {
      results[row] = {
        row,
        sku,
        outcome: 'rejected',
        error: {
          code: 'DUPLICATE_ROW',
          message: `SKU ${sku} is already in row ${first} of this import`,
          details: [{ path: 'sku', message: `also in row ${first}` }],
        },
      };
      return;
    }
    seen.set(sku, row);
    valid.push({ row, sku, draft });
  });

  const [categories, current] = await Promise.all([
    ports.catalog.getCategories(valid.map((v) => v.draft.category)),
    ports.catalog.getProducts(
      valid.map((v) => v.sku),
      { consistent: true },
    ),
  ]);
  let next = 0;
  const worker = async () => {
    while (next < valid.length) {
      const { row, sku, draft } = valid[next++]!;
      try {
        const written = await putProduct(
          ports,
          sku,
          draft,
          {},
          { category: categories.get(draft.category), current: current.get(sku) },
        );
        results[row] = { row, sku, outcome: written.outcome, version: written.product.version };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        results[row] = {
          row,
          sku,
          outcome: 'rejected',
          error: { code: error.code, message: error.message, details: error.details },
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IMPORT_CONCURRENCY, valid.length) }, worker));
  const summary = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const r of results) summary[r.outcome]++;
  return { summary, rows: results };
}

/**
 * What the order and hold intakes ask before taking stock: every line's SKU must be a product that
 * is active and published to the channel. Returns the products (for what the intake stores of them);
 * refuses with 422 `PRODUCT_NOT_SELLABLE`, one detail per refused line.
 */
export async function sellableProducts(
  ports: Pick<CatalogPorts, 'catalog'>,
  channel: Channel,
  lines: { sku: string }[],
  path = 'lines',
): Promise<Map<string, Product>> {
  const products = await ports.catalog.getProducts(lines.map((l) => l.sku));
  const refused: ErrorDetail[] = [];
  lines.forEach((line, i) => {
    const why: NotSellable | undefined = sellability(products.get(line.sku), channel);
    if (why)
      refused.push({
        path: `${path}.${i}.sku`,
        message: NOT_SELLABLE_MESSAGES[why](channel),
        sku: line.sku,
        reason: why,
      });
  });
  if (refused.length > 0) {
    throw new DomainError(
      422,
      'PRODUCT_NOT_SELLABLE',
      `${refused.length === 1 ? 'A line is' : `${refused.length} lines are`} not for sale on ${channel}`,
      refused,
    );
  }
  return products;
}

const NOT_SELLABLE_MESSAGES: Record<NotSellable, (channel: Channel) => string> = {
  UNKNOWN: () => 'no such product in the catalog',
  NOT_PUBLISHED: (channel) => `not published to ${channel}`,
  DISCONTINUED: () => 'discontinued',
};
