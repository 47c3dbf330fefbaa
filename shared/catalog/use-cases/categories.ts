import { contentionBackoff, MAX_CONTENTION_ATTEMPTS } from '../../platform/dynamodb';
import { concurrentUpdate, notFound } from '../../platform/errors';
import type { Category } from '../domain/product';
import type { CategoryInput } from '../schemas';
import type { CatalogPorts } from './ports';

/**
 * Puts a category (its name and the attributes its products must have). Products already in it keep
 * what they have; the required attributes are checked when a product is next written.
 */
export async function putCategory(
  ports: CatalogPorts,
  categoryId: string,
  input: CategoryInput,
): Promise<{ outcome: 'created' | 'updated' | 'unchanged'; category: Category }> {
  for (let attempt = 1; ; attempt++) {
    const current = await ports.catalog.getCategory(categoryId);
    const required = [...input.requiredAttributes].sort();
    if (
      current &&
      current.name === input.name &&
      JSON.stringify(current.requiredAttributes) === JSON.stringify(required)
    ) {
      return { outcome: 'unchanged', category: current };
    }
    const category: Category = {
      categoryId,
      name: input.name,
      requiredAttributes: required,
      version: (current?.version ?? 0) + 1,
      updatedAt: ports.now(),
    };
    if (await ports.catalog.putCategory(category))
      return { outcome: current ? 'updated' : 'created', category };
    if (attempt >= MAX_CONTENTION_ATTEMPTS)
      throw concurrentUpdate(
        'The category changed too often while writing; retry',
        'categoryId',
        'contention',
      );
    await contentionBackoff(attempt);
  }
}

export async function getCategory(ports: CatalogPorts, categoryId: string): Promise<Category> {
  const category = await ports.catalog.getCategory(categoryId);
  if (!category) throw notFound('Category', categoryId, 'categoryId', 'no such category');
  return category;
}

export const listCategories = async (ports: CatalogPorts) => ({
  items: (await ports.catalog.listCategories()).sort((a, b) => a.categoryId.localeCompare(b.categoryId)),
});
