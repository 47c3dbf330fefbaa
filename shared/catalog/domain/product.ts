import { isValid as gtinCheckDigitValid } from 'gtin';
import { stringify } from 'safe-stable-stringify';
import type { Channel } from '../../platform/principals';

/**
 * Products, the one source of product truth every channel reads, and the data-quality gate that
 * keeps out what would break the systems that read them.
 */

export const PRODUCT_STATUSES = ['active', 'discontinued'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

/** A quantity with its unit, as a sender gives it. */
export interface Measure {
  value: number;
  unit: string;
}

/** A product as sent (after schema validation): units not yet judged. */
export interface ProductDraft {
  title: string;
  brand: string;
  gtin?: string | undefined;
  category: string;
  attributes: Record<string, string>;
  dimensions?: { length: Measure; width: Measure; height: Measure } | undefined;
  weight?: Measure | undefined;
  status: ProductStatus;
  finalSale: boolean;
  channels: Channel[];
}

/** What a product is, stored normalised: dimensions in millimetres, weight in grams. */
export interface ProductContent {
  title: string;
  brand: string;
  gtin?: string;
  category: string;
  attributes: Record<string, string>;
  dimensions?: { length: number; width: number; height: number; unit: 'mm' };
  weight?: { value: number; unit: 'g' };
  status: ProductStatus;
  finalSale: boolean;
  channels: Channel[];
}

export interface Product extends ProductContent {
  sku: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface Category {
  categoryId: string;
  name: string;
  requiredAttributes: string[];
  version: number;
  updatedAt: string;
}

/**
 * Units the gate accepts, with their exact factor to the stored unit. The factors are definitions
 * (1 in = 25.4 mm, 1 lb = 0.45359237 kg), not measurements, so a table states them exactly.
 */
export const LENGTH_UNITS: Record<string, number> = { mm: 1, cm: 10, m: 1000, in: 25.4, ft: 304.8 };
export const MASS_UNITS: Record<string, number> = { g: 1, kg: 1000, oz: 28.349523125, lb: 453.59237 };

/** Normalised values keep two decimals: enough for a parcel, and free of binary-float tails. */
const twoDecimals = (n: number) => Math.round(n * 100) / 100;

/** A rule of the gate that a product broke, with the field it is about. */
export interface QualityViolation {
  rule: QualityRule;
  path: string;
  message: string;
  [key: string]: unknown;
}

/**
 * The data-quality rules, by name:
 * - `UNKNOWN_CATEGORY`: the category is not in the catalog (a product must land in a known place);
 * - `REQUIRED_ATTRIBUTE`: an attribute the category requires is missing;
 * - `UNKNOWN_UNIT`: a length or weight unit the gate does not know;
 * - `MIXED_UNITS`: the three dimensions are not in one unit (a sender mixing units has usually
 *   mixed up fields too);
 * - `GTIN_CHECK_DIGIT`: the GTIN's check digit is wrong;
 * - `GTIN_IN_USE`: another SKU has the GTIN (checked in the write itself, see the store).
 */
export type QualityRule =
  | 'UNKNOWN_CATEGORY'
  | 'REQUIRED_ATTRIBUTE'
  | 'UNKNOWN_UNIT'
  | 'MIXED_UNITS'
  | 'GTIN_CHECK_DIGIT'
  | 'GTIN_IN_USE';

/** A GTIN as 14 digits: the same article coded as UPC-A or EAN-13 is one GTIN. */
export const gtin14 = (gtin: string) => gtin.padStart(14, '0');

/**
 * Judges a draft against the gate (all rules but the GTIN's uniqueness, which only the write can
 * settle) and returns it normalised, or every rule it breaks.
 */
export function normaliseProduct(
  draft: ProductDraft,
  category: Category | undefined,
): { ok: true; content: ProductContent } | { ok: false; violations: QualityViolation[] } {
  const violations: QualityViolation[] = [];
  if (!category) {
    violations.push({
      rule: 'UNKNOWN_CATEGORY',
      path: 'category',
      message: `no category ${draft.category} in the catalog`,
    });
  } else {
    for (const name of category.requiredAttributes) {
      if (draft.attributes[name] === undefined) {
        violations.push({
          rule: 'REQUIRED_ATTRIBUTE',
          path: `attributes.${name}`,
          message: `category ${category.categoryId} requires ${name}`,
        });
      }
    }
  }
  if (draft.gtin !== undefined && !gtinCheckDigitValid(draft.gtin)) {
    violations.push({ rule: 'GTIN_CHECK_DIGIT', path: 'gtin', message: 'the check digit does not match' });
  }

  let dimensions: ProductContent['dimensions'];
  if (draft.dimensions) {
    const sides = ['length', 'width', 'height'] as const;
    const unknown = sides.filter((s) => LENGTH_UNITS[draft.dimensions![s].unit] === undefined);
    for (const side of unknown) {
      violations.push({
        rule: 'UNKNOWN_UNIT',
        path: `dimensions.${side}.unit`,
        message: `a length unit: one of ${Object.keys(LENGTH_UNITS).join(', ')}`,
      });
    }
    const first = draft.dimensions.length.unit;
    const mixed = sides.filter((s) => !unknown.includes(s) && draft.dimensions![s].unit !== first);
    if (unknown.length === 0 && mixed.length > 0) {
      violations.push({
        rule: 'MIXED_UNITS',
        path: `dimensions.${mixed[0]}.unit`,
        message: `all dimensions in one unit (length is in ${first})`,
      });
    }
    if (unknown.length === 0 && mixed.length === 0) {
      const f = LENGTH_UNITS[first]!;
      const d = draft.dimensions;
      dimensions = {
        length: twoDecimals(d.length.value * f),
        width: twoDecimals(d.width.value * f),
        height: twoDecimals(d.height.value * f),
        unit: 'mm',
      };
    }
  }
  let weight: ProductContent['weight'];
  if (draft.weight) {
    const f = MASS_UNITS[draft.weight.unit];
    if (f === undefined) {
      violations.push({
        rule: 'UNKNOWN_UNIT',
        path: 'weight.unit',
        message: `a weight unit: one of ${Object.keys(MASS_UNITS).join(', ')}`,
      });
    } else {
      weight = { value: twoDecimals(draft.weight.value * f), unit: 'g' };
    }
  }
  if (violations.length > 0) return { ok: false, violations };
  return {
    ok: true,
    content: {
      title: draft.title,
      brand: draft.brand,
      ...(draft.gtin !== undefined ? { gtin: draft.gtin } : {}),
      category: draft.category,
      attributes: sortedRecord(draft.attributes),
      ...(dimensions ? { dimensions } : {}),
      ...(weight ? { weight } : {}),
      status: draft.status,
      finalSale: draft.finalSale,
      channels: [...draft.channels].sort(),
    },
  };
}

const sortedRecord = (r: Record<string, string>) =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const CONTENT_FIELDS = [
  'title',
  'brand',
  'gtin',
  'category',
  'attributes',
  'dimensions',
  'weight',
  'status',
  'finalSale',
  'channels',
] as const satisfies readonly (keyof ProductContent)[];

/** The content fields whose value differs between two versions (none: the write changes nothing). */
export function changedFields(before: ProductContent | undefined, after: ProductContent): string[] {
  if (!before) return [...CONTENT_FIELDS];
  // Key order is not kept by the store (a map comes back in any order): compare canonical forms.
  return CONTENT_FIELDS.filter((f) => stringify(before[f]) !== stringify(after[f]));
}

/** The product's content alone, without its identity and bookkeeping. */
export function contentOf(product: Product): ProductContent {
  const { sku: _sku, version: _v, createdAt: _c, updatedAt: _u, ...content } = product;
  return content;
}

/** The entity tag of a product version, as `ETag` gives it and `If-Match` takes it back. */
export const etagOf = (version: number) => `"${version}"`;

/** The version an `If-Match` value names (`"3"`, `W/"3"` or `3`), or undefined when it names none. */
export function versionOfEtag(value: string): number | undefined {
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/** Why a channel may not sell a SKU, or undefined when it may. */
export type NotSellable = 'UNKNOWN' | 'NOT_PUBLISHED' | 'DISCONTINUED';

export function sellability(product: Product | undefined, channel: Channel): NotSellable | undefined {
  if (!product) return 'UNKNOWN';
  if (product.status === 'discontinued') return 'DISCONTINUED';
  if (!product.channels.includes(channel)) return 'NOT_PUBLISHED';
  return undefined;
}
