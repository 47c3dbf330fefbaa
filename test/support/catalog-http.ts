import { callerHeaders } from '../../local/dev-credentials';
import { sellableDraft, TEST_CATEGORY, TEST_PRICE } from './catalog';

/**
 * Makes each SKU a product every channel may sell at the test price, through the API as an ops user
 * would (the intakes refuse what the catalog does not know or the price book cannot price).
 * Idempotent: a repeat changes nothing.
 */
export async function putSellableProducts(
  baseUrl: string,
  skus: string[],
  apiKey = 'local-ops',
): Promise<void> {
  const put = async (path: string, body: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(await callerHeaders(baseUrl, apiKey)) },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`PUT ${path} → ${response.status} ${await response.text()}`);
  };
  await put(`/categories/${TEST_CATEGORY}`, { name: 'General', requiredAttributes: [] });
  await Promise.all(
    skus.map(async (sku) => {
      await put(`/products/${encodeURIComponent(sku)}`, sellableDraft(sku));
      await put(`/prices/${encodeURIComponent(sku)}`, { prices: [TEST_PRICE] });
    }),
  );
}
