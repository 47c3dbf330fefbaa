import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { percentOf } from '../../../shared/pricing/domain/money';
import { priceRuleInputSchema, promotionInputSchema, quoteSchema } from '../../../shared/pricing/schemas';
import type { PricingPorts } from '../../../shared/pricing/use-cases/ports';
import { putBasePrices, putPriceRule, putPromotion } from '../../../shared/pricing/use-cases/price-book';
import { createQuote, getQuote } from '../../../shared/pricing/use-cases/quotes';
import { pricingOnLocal, rejection, type testClock } from './support';

const CART = {
  currency: 'GBP',
  lines: [
    { sku: 'TEE', quantity: 2 },
    { sku: 'MUG', quantity: 1 },
  ],
};

describe('quotes', () => {
  let ports: PricingPorts;
  let doc: DynamoDBDocumentClient;
  let names: Record<string, string>;
  let time: ReturnType<typeof testClock>;
  beforeEach(async () => {
    ({ ports, doc, names, time } = await pricingOnLocal('2026-11-27T12:00:00Z'));
    await putBasePrices(ports, 'TEE', { prices: [{ currency: 'GBP', amount: 1999 }] });
    await putBasePrices(ports, 'MUG', { prices: [{ currency: 'GBP', amount: 850 }] });
    await putPriceRule(
      ports,
      'marketplace-uplift',
      priceRuleInputSchema.parse({
        name: 'Marketplace +5%',
        channels: ['marketplace'],
        adjustment: { type: 'percent', bps: 500 },
        validFrom: '2026-01-01T00:00:00Z',
      }),
    );
  });

  it('quotes the same cart the same for web and app, and 5% more for the marketplace, naming the rule', async () => {
    const web = await createQuote(ports, 'web', CART);
    const app = await createQuote(ports, 'app', CART);
    const marketplace = await createQuote(ports, 'marketplace', CART);

    expect(app.lines).toEqual(web.lines);
    expect(app.totals).toEqual(web.totals);
    expect(marketplace.lines.map((l) => l.unitPrice)).toEqual([2099, 893]); // 1999 + 99.95 → 2099; 850 + 42.5 → 893
    for (const [i, line] of marketplace.lines.entries()) {
      expect(line.unitPrice - web.lines[i]!.unitPrice).toBe(percentOf(line.unitBase, 500));
      expect(line.trace).toContainEqual(
        expect.objectContaining({ kind: 'rule', id: 'marketplace-uplift', name: 'Marketplace +5%' }),
      );
    }
  });

  it('gives a quote an id and a 15-minute expiry, and stores it for its channel', async () => {
    const quote = await createQuote(ports, 'web', CART);

    expect(quoteSchema.safeParse(quote).success).toBe(true);
    expect(quote).toMatchObject({
      channel: 'web',
      createdAt: '2026-11-27T12:00:00.000Z',
      expiresAt: '2026-11-27T12:15:00.000Z',
      expired: false,
    });
    expect(await getQuote(ports, 'web', quote.quoteId)).toEqual(quote);
    const item = await doc.send(
      new GetCommand({ TableName: names.pricing, Key: { PK: `QUOTE#${quote.quoteId}`, SK: 'QUOTE' } }),
    );
    // TTL removes it a day after it expires; until then it reads as expired.
    expect(item.Item?.ttl).toBe(Date.parse(quote.expiresAt) / 1000 + 24 * 3600);
  });

  it('reads as expired once its time is up', async () => {
    const quote = await createQuote(ports, 'web', CART);

    time.set('2026-11-27T12:15:00Z');

    expect((await getQuote(ports, 'web', quote.quoteId)).expired).toBe(true);
  });

  it('is not found by another channel', async () => {
    const quote = await createQuote(ports, 'web', CART);

    expect(await rejection(getQuote(ports, 'app', quote.quoteId))).toMatchObject({
      status: 404,
      code: 'QUOTE_NOT_FOUND',
    });
  });

  it('names a line without a base price in the currency, and stores nothing', async () => {
    const error = await rejection(
      createQuote(ports, 'web', { currency: 'EUR', lines: [{ sku: 'TEE', quantity: 1 }] }),
    );

    expect(error).toMatchObject({
      status: 422,
      code: 'NO_PRICE',
      details: [expect.objectContaining({ path: 'lines.0.sku' })],
    });
  });

  it('sees a promotion as soon as it is put, and from its first second to its last', async () => {
    const before = await createQuote(ports, 'web', CART);
    await putPromotion(
      ports,
      'flash',
      promotionInputSchema.parse({
        name: 'Flash 10%',
        channels: ['web'],
        kind: { type: 'percentOff', bps: 1000 },
        validFrom: '2026-11-27T12:00:01Z',
        validTo: '2026-11-27T12:00:03Z',
      }),
    );
    const notYet = await createQuote(ports, 'web', CART);
    time.set('2026-11-27T12:00:01Z');
    const first = await createQuote(ports, 'web', CART);
    time.set('2026-11-27T12:00:02.999Z');
    const last = await createQuote(ports, 'web', CART);
    time.set('2026-11-27T12:00:03Z');
    const over = await createQuote(ports, 'web', CART);

    expect(before.totals.discount).toBe(0);
    expect(notYet.lines[0]!.notApplied).toEqual([
      expect.objectContaining({ id: 'flash', code: 'NOT_STARTED' }),
    ]);
    expect(first.promotions.map((p) => p.promotionId)).toEqual(['flash']);
    expect(last.promotions.map((p) => p.promotionId)).toEqual(['flash']);
    expect(over.lines[0]!.notApplied).toEqual([expect.objectContaining({ id: 'flash', code: 'ENDED' })]);
  });

  it('prices category promotions with the catalog’s categories', async () => {
    await putPromotion(
      ports,
      'apparel',
      promotionInputSchema.parse({
        name: 'Apparel 20%',
        channels: ['web'],
        scope: { categories: ['apparel'] },
        kind: { type: 'percentOff', bps: 2000 },
        validFrom: '2026-01-01T00:00:00Z',
      }),
    );

    const quote = await createQuote(ports, 'web', CART);

    expect(quote.lines.map((l) => [l.sku, l.category, l.discountTotal])).toEqual([
      ['TEE', 'apparel.tees', 800],
      ['MUG', 'home.kitchen', 0],
    ]);
  });
});
