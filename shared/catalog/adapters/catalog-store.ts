import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { batchGetAll, queryAll, type TransactItem, transactWrite } from '../../platform/dynamodb';
import { DomainError } from '../../platform/errors';
import type { Channel } from '../../platform/principals';
import { type Category, gtin14, type Product, type ProductStatus } from '../domain/product';
import type { CatalogRepository, ProductPage, ProductWrite } from '../use-cases/ports';

/**
 * The catalog table. Items:
 * - `PRODUCT#<sku>` / `PRODUCT`: the product, versioned; GSI1 `PRODUCTS` / `<category>#<sku>` lists
 *   products by category;
 * - `GTIN#<gtin-14>` / `GTIN`: which SKU holds a GTIN, written in the product's transaction on the
 *   condition that no other SKU holds it — that condition is the uniqueness rule;
 * - `CATEGORY#<id>` / `CATEGORY`: a category and its required attributes; GSI1 `CATEGORIES` / id.
 */
export const catalogKeys = {
  product: (sku: string) => ({ PK: `PRODUCT#${sku}`, SK: 'PRODUCT' }),
  gtin: (gtin: string) => ({ PK: `GTIN#${gtin14(gtin)}`, SK: 'GTIN' }),
  category: (categoryId: string) => ({ PK: `CATEGORY#${categoryId}`, SK: 'CATEGORY' }),
};

const PRODUCT_LISTING = 'PRODUCTS';
const CATEGORY_LISTING = 'CATEGORIES';
/** A listing reads at most this many pages of the index to fill one page of filtered results. */
const MAX_QUERIES_PER_PAGE = 10;

const BOOKKEEPING = new Set(['PK', 'SK', 'GSI1PK', 'GSI1SK']);
const strip = (item: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !BOOKKEEPING.has(k)));

const productFromItem = (item: Record<string, unknown>) => strip(item) as unknown as Product;
const categoryFromItem = (item: Record<string, unknown>) => strip(item) as unknown as Category;

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && typeof (key as Record<string, unknown>).GSI1PK === 'string')
      return key as Record<string, unknown>;
  } catch {
    // falls through to the refusal
  }
  throw new DomainError(400, 'VALIDATION_FAILED', 'The cursor is not one this API gave', [
    { path: 'query.cursor', message: 'the `next` of a previous page' },
  ]);
}

export class CatalogStore implements CatalogRepository {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getProduct(sku: string, options: { consistent?: boolean } = {}): Promise<Product | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: catalogKeys.product(sku),
        ConsistentRead: options.consistent ?? false,
      }),
    );
    return out.Item ? productFromItem(out.Item) : undefined;
  }

  async getProducts(skus: string[], options: { consistent?: boolean } = {}): Promise<Map<string, Product>> {
    const unique = [...new Set(skus)];
    const items = await batchGetAll(this.doc, this.tableName, unique.map(catalogKeys.product), options);
    return new Map(items.map((item) => [String(item.sku), productFromItem(item)]));
  }

  /**
   * Writes a product version in one transaction with its GTIN claim: the product only if it is
   * still at the version it was read at (absent for a new one), the claim only if no other SKU
   * holds the GTIN; a changed or removed GTIN gives the old claim up.
   */
  async writeProduct(write: ProductWrite): Promise<'written' | 'version-moved' | { gtinHeldBy: string }> {
    const { next, previous } = write;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...catalogKeys.product(next.sku),
            GSI1PK: PRODUCT_LISTING,
            GSI1SK: `${next.category}#${next.sku}`,
            ...next,
          },
          ConditionExpression: previous ? '#version = :version' : 'attribute_not_exists(PK)',
          ExpressionAttributeNames: previous ? { '#version': 'version' } : undefined,
          ExpressionAttributeValues: previous ? { ':version': previous.version } : undefined,
        },
      },
    ];
    const claim = next.gtin !== undefined && next.gtin !== previous?.gtin ? next.gtin : undefined;
    if (claim !== undefined) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...catalogKeys.gtin(claim), gtin: gtin14(claim), sku: next.sku },
          ConditionExpression: 'attribute_not_exists(PK) OR #sku = :sku',
          ExpressionAttributeNames: { '#sku': 'sku' },
          ExpressionAttributeValues: { ':sku': next.sku },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    // The same article re-coded (UPC-A → EAN-13) keeps one claim: only a different GTIN-14 frees it.
    if (
      previous?.gtin !== undefined &&
      (next.gtin === undefined || gtin14(next.gtin) !== gtin14(previous.gtin))
    ) {
      items.push({
        Delete: {
          TableName: this.tableName,
          Key: catalogKeys.gtin(previous.gtin),
          ConditionExpression: 'attribute_not_exists(PK) OR #sku = :sku',
          ExpressionAttributeNames: { '#sku': 'sku' },
          ExpressionAttributeValues: { ':sku': next.sku },
        },
      });
    }
    const result = await transactWrite(this.doc, items);
    if (result.kind === 'committed') return 'written';
    const claimReason = claim !== undefined ? result.reasons[1] : undefined;
    if (claimReason?.code === 'ConditionalCheckFailed' && claimReason.item?.sku !== undefined) {
      return { gtinHeldBy: String(claimReason.item.sku) };
    }
    return 'version-moved';
  }

  async pageProducts(query: {
    category?: string | undefined;
    status?: ProductStatus | undefined;
    channel?: Channel | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<ProductPage> {
    const names: Record<string, string> = { '#pk': 'GSI1PK' };
    const values: Record<string, unknown> = { ':pk': PRODUCT_LISTING };
    let keyCondition = '#pk = :pk';
    if (query.category) {
      keyCondition += ' AND begins_with(#sk, :category)';
      names['#sk'] = 'GSI1SK';
      values[':category'] = `${query.category}#`;
    }
    const filters: string[] = [];
    if (query.status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    if (query.channel) {
      filters.push('contains(#channels, :channel)');
      names['#channels'] = 'channels';
      values[':channel'] = query.channel;
    }
    const base: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: keyCondition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
    };
    const items: Product[] = [];
    let start = query.cursor ? decodeCursor(query.cursor) : undefined;
    for (let i = 0; i < MAX_QUERIES_PER_PAGE && items.length < query.limit; i++) {
      const out = await this.doc.send(
        new QueryCommand({ ...base, Limit: query.limit - items.length, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []).map(productFromItem));
      start = out.LastEvaluatedKey;
      if (!start) break;
    }
    return { items, ...(start ? { next: encodeCursor(start) } : {}) };
  }

  async getCategory(categoryId: string): Promise<Category | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: catalogKeys.category(categoryId) }),
    );
    return out.Item ? categoryFromItem(out.Item) : undefined;
  }

  async getCategories(categoryIds: string[]): Promise<Map<string, Category>> {
    const unique = [...new Set(categoryIds)];
    const items = await batchGetAll(this.doc, this.tableName, unique.map(catalogKeys.category));
    return new Map(items.map((item) => [String(item.categoryId), categoryFromItem(item)]));
  }

  async listCategories(): Promise<Category[]> {
    const items = await queryAll(this.doc, {
      TableName: this.tableName,
      IndexName: 'GSI1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'GSI1PK' },
      ExpressionAttributeValues: { ':pk': CATEGORY_LISTING },
    });
    return items.map(categoryFromItem);
  }

  /** Writes a category version only if it is still at the version it was read at (0: new). */
  async putCategory(category: Category): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...catalogKeys.category(category.categoryId),
            GSI1PK: CATEGORY_LISTING,
            GSI1SK: category.categoryId,
            ...category,
          },
          ConditionExpression: category.version === 1 ? 'attribute_not_exists(PK)' : '#version = :previous',
          ...(category.version === 1
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':previous': category.version - 1 },
              }),
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
