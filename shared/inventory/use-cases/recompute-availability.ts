import type { DomainEvent } from '../../platform/events/envelope';
import type { InventoryRepository } from './ports';
import { publishAvailabilityChanges } from './publish-availability';
import { endExpiredLocationStatuses } from './stock';

export interface RecomputePorts {
  inventory: InventoryRepository;
  publish(events: DomainEvent[]): Promise<void>;
  now(): string;
}

/** How many items one page of the pass reads (a Scan page; filtered to positions). */
export const RECOMPUTE_PAGE_ITEMS = 500;

/**
 * Works on a requested re-evaluation of every SKU's channel availability (after a channel rule
 * changed) for at most `budgetMs`: page by page from the stored cursor, publishing what moved and
 * recording the cursor after each page, so a pass survives a timeout or a crash and resumes where it
 * stopped. A newer request (another rule change) makes the running pass start over.
 */
export async function recomputeAvailability(
  ports: RecomputePorts,
  options: { budgetMs: number; pageItems?: number; clock?: () => number } = { budgetMs: 30_000 },
): Promise<{ skus: number; pages: number; finished: boolean }> {
  const clock = options.clock ?? Date.now;
  const deadline = clock() + options.budgetMs;
  let skus = 0;
  let pages = 0;
  // A status that ran out opens its location again, in the record: LocationChanged follows, and
  // the stream asks for the pass that re-announces what the location offers.
  await endExpiredLocationStatuses(ports);
  let job = await ports.inventory.getRecomputeJob();
  while (job.done < job.requested && clock() < deadline) {
    const page = await ports.inventory.skuPage(job.cursor, options.pageItems ?? RECOMPUTE_PAGE_ITEMS);
    await publishAvailabilityChanges(ports, page.skus);
    skus += page.skus.length;
    pages++;
    if (!(await ports.inventory.checkpointRecompute(job, page.next, ports.now()))) {
      // Overtaken: a new request reset the pass, or another worker moved it. Read where it is now.
      job = await ports.inventory.getRecomputeJob();
      continue;
    }
    job = {
      ...job,
      version: job.version + 1,
      ...(page.next ? { cursor: page.next } : { done: job.requested }),
    };
    if (!page.next) {
      const { cursor: _finished, ...rest } = job;
      job = rest;
    }
  }
  return { skus, pages, finished: job.done >= job.requested };
}
