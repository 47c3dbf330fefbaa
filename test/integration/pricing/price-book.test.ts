import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { eventsFromChange } from '../../../shared/pricing/domain/record-events';
import type { PriceRuleInput, PromotionInput } from '../../../shared/pricing/schemas';
import { priceRuleInputSchema, promotionInputSchema } from '../../../shared/pricing/schemas';
import { applyDatedRules, recomputeForRuleChange } from '../../../shared/pricing/use-cases/channel-prices';
import type { PricingPorts } from '../../../shared/pricing/use-cases/ports';
import {
  getBasePrices,
  getPromotion,
  listPriceRules,
  listPromotions,
  putBasePrices,
  putPriceRule,
  putPromotion,
} from '../../../shared/pricing/use-cases/price-book';
import { pricingOnLocal, rejection, type testClock } from './support';

const gbp = (amount: number) => ({ prices: [{ currency: 'GBP', amount }] });
const ruleInput = (fields: Record<string, unknown> = {}): PriceRuleInput =>
  priceRuleInputSchema.parse({
    name: 'Marketplace +5%',
    channels: ['marketplace'],
    adjustment: { type: 'percent', bps: 500 },
    validFrom: '2026-01-01T00:00:00Z',
    ...fields,
  });
const promotionInput = (fields: Record<string, unknown> = {}): PromotionInput =>
  promotionInputSchema.parse({
    name: 'Black Friday',
    channels: ['web'],
    kind: { type: 'percentOff', bps: 2000 },
    validFrom: '2026-11-27T00:00:00Z',
    validTo: '2026-11-28T00:00:00Z',
    ...fields,
  });
const channelPrice = (view: Awaited<ReturnType<typeof getBasePrices>>, channel: string, currency = 'GBP') =>
  view.channels.find((c) => c.channel === channel && c.currency === currency);

describe('base prices', () => {
  let ports: PricingPorts;
  beforeEach(async () => {
    ({ ports } = await pricingOnLocal());
  });

  it('stores a base price with every channel’s effective price in the same write', async () => {
    await putPriceRule(ports, 'marketplace-uplift', ruleInput());

    const { outcome, price } = await putBasePrices(ports, 'TEE', {
      prices: [
        { currency: 'GBP', amount: 1999 },
        { currency: 'EUR', amount: 2299 },
      ],
    });

    expect(outcome).toBe('created');
    expect(price.version).toBe(1);
    expect(price.channels).toHaveLength(5 * 2);
    expect(channelPrice(price, 'marketplace')).toMatchObject({
      amount: 2099,
      ruleIds: ['marketplace-uplift'],
    });
    expect(channelPrice(price, 'web', 'EUR')).toMatchObject({ amount: 2299, ruleIds: [] });
    expect(await getBasePrices(ports, 'TEE')).toEqual(price);
  });

  it('changes nothing when the same prices are put again', async () => {
    await putBasePrices(ports, 'TEE', gbp(1999));

    const again = await putBasePrices(ports, 'TEE', gbp(1999));

    expect(again.outcome).toBe('unchanged');
    expect(again.price.version).toBe(1);
  });

  it('replaces the prices, and drops the channel prices of a currency no longer priced', async () => {
    await putBasePrices(ports, 'TEE', {
      prices: [
        { currency: 'GBP', amount: 1999 },
        { currency: 'EUR', amount: 2299 },
      ],
    });

    const { price } = await putBasePrices(ports, 'TEE', gbp(1799));

    expect(price.version).toBe(2);
    expect(price.channels.map((c) => `${c.channel}:${c.currency}:${c.amount}`).sort()).toEqual([
      'app:GBP:1799',
      'callcenter:GBP:1799',
      'marketplace:GBP:1799',
      'store:GBP:1799',
      'web:GBP:1799',
    ]);
  });

  it('refuses a write based on a version that moved on (If-Match, 412)', async () => {
    await putBasePrices(ports, 'TEE', gbp(1999));
    await putBasePrices(ports, 'TEE', gbp(1899), '"1"');

    const error = await rejection(putBasePrices(ports, 'TEE', gbp(1799), '"1"'));

    expect(error).toMatchObject({ status: 412, code: 'PRECONDITION_FAILED' });
    expect(error.details[0]).toMatchObject({ path: 'headers.If-Match', etag: '"2"' });
  });

  it('lets exactly one of two writes based on the same version through', async () => {
    await putBasePrices(ports, 'TEE', gbp(1999));

    const results = await Promise.allSettled([
      putBasePrices(ports, 'TEE', gbp(1899), '"1"'),
      putBasePrices(ports, 'TEE', gbp(1799), '"1"'),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code),
    ).toEqual(['PRECONDITION_FAILED']);
    expect((await getBasePrices(ports, 'TEE')).version).toBe(2);
  });

  it('answers 404 for a SKU with no price', async () => {
    expect(await rejection(getBasePrices(ports, 'NOPE'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('channel price rules', () => {
  let ports: PricingPorts;
  beforeEach(async () => {
    ({ ports } = await pricingOnLocal());
  });

  it('versions a rule, and a repeated PUT changes nothing', async () => {
    const created = await putPriceRule(ports, 'marketplace-uplift', ruleInput());
    const repeated = await putPriceRule(
      ports,
      'marketplace-uplift',
      ruleInput({ channels: ['marketplace'] }),
    );
    const changed = await putPriceRule(
      ports,
      'marketplace-uplift',
      ruleInput({ adjustment: { type: 'percent', bps: 700 } }),
    );

    expect([created.outcome, repeated.outcome, changed.outcome]).toEqual(['created', 'unchanged', 'updated']);
    expect(changed.rule.version).toBe(2);
    expect(await ports.pricing.bookVersion()).toEqual({ rules: 2, promotions: 0 });
    expect((await listPriceRules(ports)).items).toEqual([changed.rule]);
  });

  it('keeps channels in one order, so the same rule sent differently is the same content', async () => {
    await putPriceRule(ports, 'r', ruleInput({ channels: ['web', 'app'] }));

    expect((await putPriceRule(ports, 'r', ruleInput({ channels: ['app', 'web'] }))).outcome).toBe(
      'unchanged',
    );
  });

  it('refuses a stale If-Match', async () => {
    await putPriceRule(ports, 'r', ruleInput());

    expect(await rejection(putPriceRule(ports, 'r', ruleInput({ name: 'x' }), '"0"'))).toMatchObject({
      status: 412,
      code: 'PRECONDITION_FAILED',
    });
  });

  it('recomputes the channel prices a changed rule covers, and rewrites only those that move', async () => {
    await putBasePrices(ports, 'TEE', gbp(1999));
    await putBasePrices(ports, 'MUG', gbp(850));
    const { rule: before } = await putPriceRule(ports, 'marketplace-uplift', ruleInput());
    await recomputeForRuleChange(ports, { rule: before });
    const { rule: after } = await putPriceRule(
      ports,
      'marketplace-uplift',
      ruleInput({ adjustment: { type: 'percent', bps: 1000 } }),
    );

    const result = await recomputeForRuleChange(ports, { rule: after, previous: before });

    expect(result).toEqual({ skus: 2, changed: 2 });
    const tee = await getBasePrices(ports, 'TEE');
    expect(channelPrice(tee, 'marketplace')).toMatchObject({ amount: 2199, ruleIds: ['marketplace-uplift'] });
    expect(channelPrice(tee, 'web')?.amount).toBe(1999);
    expect(await recomputeForRuleChange(ports, { rule: after })).toEqual({ skus: 2, changed: 0 });
  });

  it('recomputes a category rule’s SKUs only', async () => {
    await putBasePrices(ports, 'OLD-TEE', gbp(1000));
    await putBasePrices(ports, 'MUG', gbp(850));
    const { rule } = await putPriceRule(
      ports,
      'store-clearance',
      ruleInput({
        channels: ['store'],
        scope: { categories: ['clearance'] },
        adjustment: { type: 'percent', bps: -2000 },
      }),
    );

    const result = await recomputeForRuleChange(ports, { rule });

    expect(result).toEqual({ skus: 1, changed: 1 });
    expect(channelPrice(await getBasePrices(ports, 'OLD-TEE'), 'store')?.amount).toBe(800);
  });
});

describe('dated rules', () => {
  let ports: PricingPorts;
  let time: ReturnType<typeof testClock>;
  beforeEach(async () => {
    ({ ports, time } = await pricingOnLocal('2026-11-27T11:00:00Z'));
  });

  it('moves channel prices when a rule starts and when it ends, in the next pass', async () => {
    await putBasePrices(ports, 'TEE', gbp(2000));
    await applyDatedRules(ports);
    await putPriceRule(
      ports,
      'web-flash',
      ruleInput({
        channels: ['web'],
        adjustment: { type: 'percent', bps: -5000 },
        validFrom: '2026-11-27T12:00:00Z',
        validTo: '2026-11-27T13:00:00Z',
      }),
    );

    time.set('2026-11-27T12:00:30Z');
    const started = await applyDatedRules(ports);
    const during = channelPrice(await getBasePrices(ports, 'TEE'), 'web');
    time.set('2026-11-27T13:00:10Z');
    const ended = await applyDatedRules(ports);
    const after = channelPrice(await getBasePrices(ports, 'TEE'), 'web');
    const idle = await applyDatedRules(ports);

    expect(started).toMatchObject({ rules: ['web-flash'], changed: 1 });
    expect(during).toMatchObject({ amount: 1000, ruleIds: ['web-flash'] });
    expect(ended).toMatchObject({ rules: ['web-flash'], changed: 1 });
    expect(after).toMatchObject({ amount: 2000, ruleIds: [] });
    expect(idle).toMatchObject({ rules: [], changed: 0 });
  });
});

describe('promotions', () => {
  let ports: PricingPorts;
  let doc: DynamoDBDocumentClient;
  let names: Record<string, string>;
  beforeEach(async () => {
    ({ ports, doc, names } = await pricingOnLocal('2026-11-27T12:00:00Z'));
  });

  it('stores a promotion with its version and reads it back with its usage', async () => {
    const { outcome, promotion } = await putPromotion(
      ports,
      'black-friday',
      promotionInput({ limits: { total: 100 } }),
    );
    await ports.transact([
      ports.pricing.usageOp(
        { promotionId: 'black-friday', name: 'x', counter: 'total', limit: 100 },
        ports.now(),
      ),
    ]);

    expect(outcome).toBe('created');
    expect(await getPromotion(ports, 'black-friday')).toEqual({ ...promotion, usage: { total: 1 } });
    expect(await ports.pricing.bookVersion()).toEqual({ rules: 0, promotions: 1 });
  });

  it('lists promotions active now, scheduled, or ended, by their windows', async () => {
    await putPromotion(ports, 'now', promotionInput());
    await putPromotion(ports, 'open', promotionInput({ validTo: undefined, priority: 1 }));
    await putPromotion(
      ports,
      'later',
      promotionInput({ validFrom: '2026-12-01T00:00:00Z', validTo: '2026-12-02T00:00:00Z' }),
    );
    await putPromotion(
      ports,
      'past',
      promotionInput({ validFrom: '2026-11-01T00:00:00Z', validTo: '2026-11-27T12:00:00Z' }),
    );

    const ids = async (status?: 'active' | 'scheduled' | 'ended') =>
      (await listPromotions(ports, status)).items.map((p) => p.promotionId);

    expect(await ids('active')).toEqual(['open', 'now']);
    expect(await ids('scheduled')).toEqual(['later']);
    expect(await ids('ended')).toEqual(['past']);
    expect((await ids()).sort()).toEqual(['later', 'now', 'open', 'past']);
  });

  it('keeps the GSI1 listing key in step with the promotion’s end', async () => {
    await putPromotion(ports, 'p', promotionInput());
    await putPromotion(ports, 'p', promotionInput({ validTo: undefined }));

    const item = await doc.send(
      new GetCommand({ TableName: names.pricing, Key: { PK: 'BOOK', SK: 'PROMO#p' } }),
    );

    expect(item.Item).toMatchObject({ GSI1PK: 'PROMOTIONS', GSI1SK: '~#p', version: 2 });
  });

  it('answers 404 for an unknown promotion', async () => {
    expect(await rejection(getPromotion(ports, 'nope'))).toMatchObject({ status: 404 });
  });
});

describe('stored records as events', () => {
  it('turns the items a rule, a promotion and a price write into the events the catalogue declares', async () => {
    const { ports, doc, names } = await pricingOnLocal();
    await putPriceRule(ports, 'marketplace-uplift', ruleInput());
    await putPromotion(ports, 'bf', promotionInput({ limits: { total: 10 } }));
    await putBasePrices(ports, 'TEE', gbp(1999));
    const items = async (pk: string) =>
      (
        await doc.send(
          new QueryCommand({
            TableName: names.pricing,
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': pk },
          }),
        )
      ).Items ?? [];

    const events = [...(await items('BOOK')), ...(await items('SKU#TEE'))].flatMap((item) =>
      eventsFromChange({
        table: 'pricing',
        eventName: 'INSERT',
        keys: { PK: String(item.PK), SK: String(item.SK) },
        newImage: item,
      }),
    );

    expect(events.map((e) => e.detailType).sort()).toEqual([
      ...Array.from({ length: 5 }, () => 'PriceChanged'),
      'PriceRuleChanged',
      'PromotionChanged',
    ]);
    expect(
      events.find((e) => (e.detail.data as { channel?: string }).channel === 'marketplace')?.detail.data,
    ).toMatchObject({
      sku: 'TEE',
      current: 2099,
      ruleIds: ['marketplace-uplift'],
    });
  });
});
