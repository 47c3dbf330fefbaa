import { priceCart } from '../../../shared/pricing/domain/engine';
import { benchQuoteFixture } from '../../fixtures/pricing/quote-bench';

/** The bench's workload is what it says it is; its latency is measured by the bench, not here. */
describe('benchQuoteFixture', () => {
  it('builds 50 lines against 1,000 promotions active at the bench moment', () => {
    const input = benchQuoteFixture();
    const promotions = [...input.book.promotionsById.values()];
    const at = Date.parse(input.at);

    expect(input.lines).toHaveLength(50);
    expect(promotions).toHaveLength(1_000);
    expect(promotions.every((p) => Date.parse(p.validFrom) <= at && at < Date.parse(p.validTo!))).toBe(true);
  });

  it('is priced with work on most lines, the same every run', () => {
    const first = priceCart(benchQuoteFixture());
    const again = priceCart(benchQuoteFixture());

    expect(again).toEqual(first);
    expect(first.promotions.length).toBeGreaterThan(10);
    expect(first.lines.filter((l) => l.discounts.length > 0).length).toBeGreaterThan(25);
  });
});
