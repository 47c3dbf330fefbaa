import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  contentionBackoff,
  isConflictOnly,
  type TransactItem,
  transactWrite,
} from '../../../shared/platform/dynamodb';
import { DomainError } from '../../../shared/platform/errors';
import { type OrderPrice, type OrderPriceRequest, orderPricing } from '../../../shared/pricing';
import { promotionInputSchema } from '../../../shared/pricing/schemas';
import type { PricingPorts } from '../../../shared/pricing/use-cases/ports';
import { putBasePrices, putPromotion } from '../../../shared/pricing/use-cases/price-book';
import { createQuote } from '../../../shared/pricing/use-cases/quotes';
import { pricingOnLocal, rejection, type testClock } from './support';

const NOW = '2026-11-27T12:00:00Z';
const request = (fields: Partial<OrderPriceRequest> = {}): OrderPriceRequest => ({
  channel: 'web',
  lines: [{ sku: 'TEE', quantity: 1 }],
  now: NOW,
  ...fields,
});

describe('orderPricing', () => {
  let ports: PricingPorts;
  let doc: DynamoDBDocumentClient;
  let names: Record<string, string>;
  let time: ReturnType<typeof testClock>;
  beforeEach(async () => {
    ({ ports, doc, names, time } = await pricingOnLocal(NOW));
    await putBasePrices(ports, 'TEE', { prices: [{ currency: 'GBP', amount: 2000 }] });
  });

  /** A stand-in for the order record: the orders context commits its own with the usage items. */
  const orderItem = (orderId: string): TransactItem => ({
    Put: {
      TableName: names.orders,
      Item: { PK: `ORDER#${orderId}`, SK: 'ORDER', orderId },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'PK' },
    },
  });

  const limited = (total: number, fields: Record<string, unknown> = {}) =>
    putPromotion(
      ports,
      'first-100',
      promotionInputSchema.parse({
        name: 'First 100 orders: 10% off',
        channels: ['web'],
        kind: { type: 'percentOff', bps: 1000 },
        validFrom: '2026-11-01T00:00:00Z',
        limits: { total },
        ...fields,
      }),
    );

  const usageOf = async (key: { PK: string; SK: string }) =>
    Number(
      (await doc.send(new GetCommand({ TableName: names.pricing, Key: key, ConsistentRead: true }))).Item
        ?.used ?? 0,
    );

  describe('price', () => {
    it('prices through the engine and returns the usage items of limited promotions', async () => {
      await limited(100);

      const priced = await orderPricing(ports).price(
        request({ lines: [{ sku: 'TEE', quantity: 2, unitPrice: 2000, lineTotal: 3600 }] }),
      );

      expect(priced.lines[0]).toMatchObject({
        unitPrice: 2000,
        lineSubtotal: 4000,
        discountTotal: 400,
        lineTotal: 3600,
      });
      expect(priced.uses).toEqual([
        { promotionId: 'first-100', name: 'First 100 orders: 10% off', counter: 'total', limit: 100 },
      ]);
      expect(priced.usageOps).toHaveLength(1);
    });

    it('refuses a line price that is not the engine’s with 409 PRICE_MISMATCH, the current price and its trace', async () => {
      const error = await rejection(
        orderPricing(ports).price(request({ lines: [{ sku: 'TEE', quantity: 1, unitPrice: 1500 }] })),
      );

      expect(error).toMatchObject({ status: 409, code: 'PRICE_MISMATCH' });
      expect(error.details).toEqual([
        expect.objectContaining({
          path: 'lines.0.unitPrice',
          sku: 'TEE',
          sent: 1500,
          current: 2000,
          trace: [expect.objectContaining({ kind: 'base', after: 2000 })],
        }),
      ]);
    });

    it('takes a valid quote’s prices even after the base price changed', async () => {
      const quote = await createQuote(ports, 'web', {
        currency: 'GBP',
        lines: [{ sku: 'TEE', quantity: 1 }],
      });
      await putBasePrices(ports, 'TEE', { prices: [{ currency: 'GBP', amount: 2500 }] });
      time.set('2026-11-27T12:10:00Z');

      const priced = await orderPricing(ports).price(
        request({
          quoteId: quote.quoteId,
          lines: [{ sku: 'TEE', quantity: 1, unitPrice: 2000 }],
          now: ports.now(),
        }),
      );

      expect(priced).toMatchObject({ quoteId: quote.quoteId, totals: { total: 2000 } });
    });

    it('refuses an expired quote (409), another channel’s (404) and another cart’s (422)', async () => {
      const quote = await createQuote(ports, 'web', {
        currency: 'GBP',
        lines: [{ sku: 'TEE', quantity: 1 }],
      });
      const pricing = orderPricing(ports);

      expect(
        await rejection(pricing.price(request({ quoteId: quote.quoteId, now: '2026-11-27T12:15:00.000Z' }))),
      ).toMatchObject({
        status: 409,
        code: 'QUOTE_EXPIRED',
      });
      expect(
        await rejection(pricing.price(request({ channel: 'app', quoteId: quote.quoteId }))),
      ).toMatchObject({
        status: 404,
        code: 'QUOTE_NOT_FOUND',
      });
      expect(
        await rejection(
          pricing.price(request({ quoteId: quote.quoteId, lines: [{ sku: 'TEE', quantity: 2 }] })),
        ),
      ).toMatchObject({
        status: 422,
        code: 'QUOTE_MISMATCH',
        details: [expect.objectContaining({ path: 'lines.0' })],
      });
    });
  });

  describe('usage limits under concurrency', () => {
    /** Commits an order's items, retrying only while the loss is contention (as the orders intake does). */
    async function commit(price: OrderPrice, orderId: string) {
      for (let attempt = 1; ; attempt++) {
        const result = await transactWrite(doc, [...price.usageOps, orderItem(orderId)]);
        if (result.kind === 'committed' || !isConflictOnly(result) || attempt >= 100) return result;
        await contentionBackoff(attempt);
      }
    }

    it('lets exactly 100 of 300 orders racing for a limit of 100 use it; the others get 409 with the cart re-priced', async () => {
      await limited(100);
      const pricing = orderPricing(ports);
      const orders = await Promise.all(Array.from({ length: 300 }, () => pricing.price(request())));
      expect(orders.every((o) => o.uses.length === 1)).toBe(true);

      const outcomes = await Promise.all(
        orders
          .map(async (price, i) => {
            const result = await commit(price, `o${i}`);
            if (result.kind === 'committed') return 'committed';
            await pricing.explainUsageFailure(request(), price, result.reasons);
            return 'unexplained';
          })
          .map((p) => p.catch((error: unknown) => error)),
      );

      expect(outcomes.filter((o) => o === 'committed')).toHaveLength(100);
      const refused = outcomes.filter((o): o is DomainError => o instanceof DomainError);
      expect(refused).toHaveLength(200);
      expect(new Set(refused.map((e) => e.code))).toEqual(new Set(['PROMOTION_LIMIT_REACHED']));
      expect(refused[0]!.details[0]).toMatchObject({
        path: 'promotions',
        promotionId: 'first-100',
        limit: 100,
      });
      const repriced = refused[0]!.details[1] as {
        quote: { quoteId: string; totals: { total: number }; promotions: unknown[] };
      };
      expect(repriced.quote).toMatchObject({ totals: { total: 2000 }, promotions: [] });
      expect(await usageOf({ PK: 'USAGE#first-100', SK: 'TOTAL' })).toBe(100);
    });

    it('never lets more than 100 orders use it when 300 go through the whole intake at once', async () => {
      await limited(100);
      const pricing = orderPricing(ports);

      const used = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          for (let attempt = 1; attempt <= 30; attempt++) {
            const price = await pricing.price(request());
            const result = await transactWrite(doc, [...price.usageOps, orderItem(`o${i}`)]);
            if (result.kind === 'committed') return price.uses.length > 0;
            try {
              await pricing.explainUsageFailure(request(), price, result.reasons);
            } catch (error) {
              if ((error as DomainError).code === 'PROMOTION_LIMIT_REACHED') continue; // the channel re-submits
              throw error;
            }
            await contentionBackoff(attempt);
          }
          throw new Error(`order o${i} never committed`);
        }),
      );

      expect(used.filter(Boolean)).toHaveLength(100);
      expect(await usageOf({ PK: 'USAGE#first-100', SK: 'TOTAL' })).toBe(100);
    });

    it('counts uses per customer, and gives them back when an order is cancelled', async () => {
      await limited(1000, { limits: { perCustomer: 1 } });
      const pricing = orderPricing(ports);
      const first = await pricing.price(request({ customerId: 'c1' }));
      await transactWrite(doc, [...first.usageOps, orderItem('o1')]);

      const second = await pricing.price(request({ customerId: 'c1' }));
      const other = await pricing.price(request({ customerId: 'c2' }));
      await transactWrite(doc, pricing.releaseUsageOps(first.uses, NOW));
      const again = await pricing.price(request({ customerId: 'c1' }));

      expect(first.uses.map((u) => u.counter)).toEqual(['customer']);
      expect(second.promotions).toEqual([]);
      expect(second.lines[0]!.notApplied).toEqual([
        expect.objectContaining({ code: 'CUSTOMER_LIMIT_REACHED' }),
      ]);
      expect(other.promotions).toHaveLength(1);
      expect(again.promotions).toHaveLength(1);
    });

    it('refuses a quote whose limited promotion ran out since, with the cart re-priced', async () => {
      await limited(1);
      const quote = await createQuote(ports, 'web', {
        currency: 'GBP',
        lines: [{ sku: 'TEE', quantity: 1 }],
      });
      const pricing = orderPricing(ports);
      const winner = await pricing.price(request());
      await transactWrite(doc, [...winner.usageOps, orderItem('o1')]);

      const error = await rejection(pricing.price(request({ quoteId: quote.quoteId })));

      expect(error).toMatchObject({ status: 409, code: 'PROMOTION_LIMIT_REACHED' });
      expect(error.details.at(-1)).toMatchObject({ path: 'lines', quote: { totals: { total: 2000 } } });
    });
  });
});
