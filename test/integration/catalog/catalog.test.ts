import { makeCatalogPorts } from '../../../shared/catalog/adapters/runtime';
import type { ProductDraft } from '../../../shared/catalog/domain/product';
import { putCategory } from '../../../shared/catalog/use-cases/categories';
import type { CatalogPorts } from '../../../shared/catalog/use-cases/ports';
import {
  getProduct,
  importProducts,
  listProducts,
  putProduct,
  sellableProducts,
} from '../../../shared/catalog/use-cases/products';
import { documentClient } from '../../../shared/platform/clients';
import { DomainError } from '../../../shared/platform/errors';
import { freshTables } from '../../support/dynamo';

const tee = (extra: Partial<ProductDraft> = {}): ProductDraft => ({
  title: 'Organic cotton tee',
  brand: 'Northwind',
  gtin: '5012345678900',
  category: 'apparel.tees',
  attributes: { size: 'M', colour: 'white' },
  status: 'active',
  finalSale: false,
  channels: ['web', 'app', 'store'],
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

let ports: CatalogPorts;

beforeEach(async () => {
  const { client, names } = await freshTables(['catalog']);
  ports = makeCatalogPorts(documentClient(client), names.catalog ?? '');
  await putCategory(ports, 'apparel.tees', { name: 'Tees', requiredAttributes: ['size', 'colour'] });
  await putCategory(ports, 'home.mugs', { name: 'Mugs', requiredAttributes: [] });
});

describe('putProduct', () => {
  it('creates a product with its units normalised to millimetres and grams', async () => {
    const result = await putProduct(
      ports,
      'TEE-M',
      tee({
        dimensions: {
          length: { value: 30, unit: 'cm' },
          width: { value: 20, unit: 'cm' },
          height: { value: 2.5, unit: 'cm' },
        },
        weight: { value: 0.5, unit: 'lb' },
      }),
    );

    expect(result.outcome).toBe('created');
    expect(result.product).toMatchObject({
      sku: 'TEE-M',
      version: 1,
      dimensions: { length: 300, width: 200, height: 25, unit: 'mm' },
      weight: { value: 226.8, unit: 'g' },
      channels: ['app', 'store', 'web'],
    });
    expect(await getProduct(ports, 'ops', 'TEE-M')).toEqual(result.product);
  });

  it('writes nothing when the content is already so, and a new version when it changes', async () => {
    await putProduct(ports, 'TEE-M', tee());

    const again = await putProduct(ports, 'TEE-M', tee({ channels: ['store', 'web', 'app'] }));
    const changed = await putProduct(ports, 'TEE-M', tee({ title: 'Organic tee' }));

    expect(again).toMatchObject({ outcome: 'unchanged', product: { version: 1 } });
    expect(changed).toMatchObject({ outcome: 'updated', product: { version: 2, title: 'Organic tee' } });
  });

  it('refuses a write whose If-Match names a version that is no longer current, with the current ETag', async () => {
    await putProduct(ports, 'TEE-M', tee());
    await putProduct(ports, 'TEE-M', tee({ title: 'v2' }), { ifMatch: '"1"' });

    const error = await refusal(putProduct(ports, 'TEE-M', tee({ title: 'v3' }), { ifMatch: '"1"' }));

    expect(error).toMatchObject({ status: 412, code: 'PRECONDITION_FAILED' });
    expect(error.details[0]).toMatchObject({ path: 'headers.If-Match', etag: '"2"' });
    expect((await getProduct(ports, 'ops', 'TEE-M')).title).toBe('v2');
  });

  it('creates only with If-None-Match: *', async () => {
    await putProduct(ports, 'TEE-M', tee(), { ifNoneMatch: '*' });

    const error = await refusal(putProduct(ports, 'TEE-M', tee({ title: 'x' }), { ifNoneMatch: '*' }));

    expect(error).toMatchObject({ status: 412, code: 'PRECONDITION_FAILED' });
  });

  it.each([
    [
      'an unknown category',
      tee({ category: 'apparel.hats' }),
      { rule: 'UNKNOWN_CATEGORY', path: 'category' },
    ],
    [
      'an attribute the category requires',
      tee({ attributes: { size: 'M' } }),
      { rule: 'REQUIRED_ATTRIBUTE', path: 'attributes.colour' },
    ],
    [
      'an unknown unit',
      tee({ weight: { value: 3, unit: 'stone' } }),
      { rule: 'UNKNOWN_UNIT', path: 'weight.unit' },
    ],
    [
      'mixed units',
      tee({
        dimensions: {
          length: { value: 30, unit: 'cm' },
          width: { value: 8, unit: 'in' },
          height: { value: 1, unit: 'cm' },
        },
      }),
      { rule: 'MIXED_UNITS', path: 'dimensions.width.unit' },
    ],
    ['a wrong GTIN check digit', tee({ gtin: '5012345678901' }), { rule: 'GTIN_CHECK_DIGIT', path: 'gtin' }],
  ])('refuses %s with the rule and the field, writing nothing', async (_name, draft, violation) => {
    const error = await refusal(putProduct(ports, 'TEE-M', draft));

    expect(error).toMatchObject({ status: 422, code: 'DATA_QUALITY' });
    expect(error.details).toEqual([expect.objectContaining(violation)]);
    expect(await ports.catalog.getProduct('TEE-M')).toBeUndefined();
  });

  it('refuses a GTIN another SKU holds, also when coded as UPC-A instead of EAN-13', async () => {
    await putProduct(ports, 'TEE-M', tee({ gtin: '0036000291452' }));

    const error = await refusal(putProduct(ports, 'TEE-L', tee({ gtin: '036000291452' })));

    expect(error.details).toEqual([
      expect.objectContaining({ rule: 'GTIN_IN_USE', path: 'gtin', sku: 'TEE-M' }),
    ]);
  });

  it('gives a GTIN up when its product changes to another one', async () => {
    await putProduct(ports, 'TEE-M', tee({ gtin: '5012345678900' }));
    await putProduct(ports, 'TEE-M', tee({ gtin: '0036000291452' }));

    const result = await putProduct(ports, 'TEE-L', tee({ gtin: '5012345678900' }));

    expect(result.outcome).toBe('created');
  });

  it('lets exactly one of many SKUs racing for one GTIN have it', async () => {
    const skus = Array.from({ length: 12 }, (_, i) => `TEE-${i}`);

    const settled = await Promise.allSettled(skus.map((sku) => putProduct(ports, sku, tee())));

    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    for (const s of settled.filter((s) => s.status === 'rejected'))
      expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 'DATA_QUALITY' });
  });
});

describe('listProducts', () => {
  beforeEach(async () => {
    for (let i = 0; i < 7; i++) await putProduct(ports, `TEE-${i}`, tee({ gtin: undefined }));
    await putProduct(ports, 'MUG-1', tee({ gtin: undefined, category: 'home.mugs', channels: ['web'] }));
    await putProduct(ports, 'MUG-2', tee({ gtin: undefined, category: 'home.mugs', status: 'discontinued' }));
  });

  it('pages through a category with a cursor', async () => {
    const first = await listProducts(ports, 'ops', { category: 'apparel.tees', limit: 4 });
    const second = await listProducts(ports, 'ops', {
      category: 'apparel.tees',
      limit: 4,
      cursor: first.next,
    });

    expect(first.items).toHaveLength(4);
    expect([...first.items, ...second.items].map((p) => p.sku).sort()).toEqual(
      Array.from({ length: 7 }, (_, i) => `TEE-${i}`),
    );
    expect(second.next).toBeUndefined();
  });

  it('filters by status and channel; a channel lists only what is published to it', async () => {
    const discontinued = await listProducts(ports, 'ops', { status: 'discontinued', limit: 25 });
    const forApp = await listProducts(ports, 'app', { category: 'home.mugs', limit: 25 });

    expect(discontinued.items.map((p) => p.sku)).toEqual(['MUG-2']);
    expect(forApp.items.map((p) => p.sku)).toEqual(['MUG-2']);
    await expect(listProducts(ports, 'app', { channel: 'web', limit: 25 })).rejects.toMatchObject({
      status: 403,
    });
  });

  it('hides a product from a channel it is not published to', async () => {
    await expect(getProduct(ports, 'app', 'MUG-1')).rejects.toMatchObject({ status: 404 });
    expect((await getProduct(ports, 'web', 'MUG-1')).sku).toBe('MUG-1');
  });
});

describe('importProducts', () => {
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      sku: `IMP-${i}`,
      ...tee({ gtin: undefined, title: `Tee ${i}` }),
    }));

  it('reports each row, and a second import of the same rows changes nothing', async () => {
    const input: unknown[] = [
      ...rows(60),
      { sku: 'BAD-1', ...tee({ gtin: undefined, category: 'nowhere' }) },
      { sku: 'IMP-0', ...tee({ gtin: undefined }) },
      { sku: 'BAD-2', title: '' },
    ];

    const first = await importProducts(ports, input);
    const second = await importProducts(ports, input);

    expect(first.summary).toEqual({ created: 60, updated: 0, unchanged: 0, rejected: 3 });
    expect(first.rows[60]).toMatchObject({
      sku: 'BAD-1',
      outcome: 'rejected',
      error: { code: 'DATA_QUALITY', details: [expect.objectContaining({ rule: 'UNKNOWN_CATEGORY' })] },
    });
    expect(first.rows[61]).toMatchObject({ outcome: 'rejected', error: { code: 'DUPLICATE_ROW' } });
    expect(first.rows[62]).toMatchObject({ outcome: 'rejected', error: { code: 'VALIDATION_FAILED' } });
    expect(second.summary).toEqual({ created: 0, updated: 0, unchanged: 60, rejected: 3 });
    expect((await ports.catalog.getProduct('IMP-5'))?.version).toBe(1);
  });

  it('updates the rows whose content changed', async () => {
    await importProducts(ports, rows(5));

    const result = await importProducts(ports, [{ ...rows(5)[2], title: 'New title' }, ...rows(5).slice(3)]);

    expect(result.summary).toEqual({ created: 0, updated: 1, unchanged: 2, rejected: 0 });
  });
});

describe('sellableProducts', () => {
  it('refuses unknown, unpublished and discontinued SKUs, one detail per line', async () => {
    await putProduct(ports, 'TEE-M', tee({ gtin: undefined }));
    await putProduct(ports, 'MUG-1', tee({ gtin: undefined, category: 'home.mugs', channels: ['store'] }));
    await putProduct(ports, 'MUG-2', tee({ gtin: undefined, category: 'home.mugs', status: 'discontinued' }));

    const error = await refusal(
      sellableProducts(ports, 'web', [{ sku: 'TEE-M' }, { sku: 'NOPE' }, { sku: 'MUG-1' }, { sku: 'MUG-2' }]),
    );

    expect(error).toMatchObject({ status: 422, code: 'PRODUCT_NOT_SELLABLE' });
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'lines.1.sku', reason: 'UNKNOWN' }),
      expect.objectContaining({ path: 'lines.2.sku', reason: 'NOT_PUBLISHED' }),
      expect.objectContaining({ path: 'lines.3.sku', reason: 'DISCONTINUED' }),
    ]);
    expect([...(await sellableProducts(ports, 'web', [{ sku: 'TEE-M' }])).keys()]).toEqual(['TEE-M']);
  });
});
