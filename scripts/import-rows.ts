import { parse } from 'csv-parse/sync';

/**
 * Turns a products file into the rows `POST /product-imports` takes, each with the line of the file
 * it came from (so a rejected row is reported where the user can find it).
 *
 * CSV columns: `sku,title,brand,gtin,category,status,finalSale,channels,length,width,height,weight`
 * and one `attr.<name>` column per variant attribute. A measure is a number and its unit (`30 cm`,
 * `0.5 kg`); `channels` are separated by `|` (`web|app|store`); an empty cell is an absent field.
 * JSON: an array of products, or `{ "products": [...] }`, each with its `sku`.
 */
export interface FileRow {
  /** 1-based line of the file (CSV), or 1-based position in the array (JSON). */
  line: number;
  product: Record<string, unknown>;
}

const MEASURE = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/;

/** `30 cm` → `{ value: 30, unit: 'cm' }`; anything else is passed on for the API to refuse. */
function measure(cell: string): unknown {
  const match = MEASURE.exec(cell);
  return match ? { value: Number(match[1]), unit: match[2] } : cell;
}

function fromCsvRecord(record: Record<string, string>): Record<string, unknown> {
  const product: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  const dimensions: Record<string, unknown> = {};
  for (const [column, raw] of Object.entries(record)) {
    const cell = raw.trim();
    if (cell === '') continue;
    if (column.startsWith('attr.')) attributes[column.slice('attr.'.length)] = cell;
    else if (column === 'length' || column === 'width' || column === 'height')
      dimensions[column] = measure(cell);
    else if (column === 'weight') product.weight = measure(cell);
    else if (column === 'channels') product.channels = cell.split('|').map((c) => c.trim());
    else if (column === 'finalSale')
      product.finalSale =
        cell.toLowerCase() === 'true' ? true : cell.toLowerCase() === 'false' ? false : cell;
    else product[column] = cell;
  }
  if (Object.keys(attributes).length > 0) product.attributes = attributes;
  if (Object.keys(dimensions).length > 0) product.dimensions = dimensions;
  product.channels ??= [];
  return product;
}

/** The rows of a `.csv` or `.json` file's text. */
export function rowsOf(fileName: string, text: string): FileRow[] {
  if (fileName.toLowerCase().endsWith('.json')) {
    const parsed = JSON.parse(text) as unknown;
    const list = Array.isArray(parsed) ? parsed : (parsed as { products?: unknown }).products;
    if (!Array.isArray(list))
      throw new Error('a JSON import is an array of products or { "products": [...] }');
    return list.map((product, i) => ({ line: i + 1, product: product as Record<string, unknown> }));
  }
  if (fileName.toLowerCase().endsWith('.csv')) {
    const records = parse(text, { columns: true, skip_empty_lines: true, info: true, bom: true }) as {
      record: Record<string, string>;
      info: { lines: number };
    }[];
    return records.map(({ record, info }) => ({ line: info.lines, product: fromCsvRecord(record) }));
  }
  throw new Error(`${fileName}: a .csv or .json file`);
}
