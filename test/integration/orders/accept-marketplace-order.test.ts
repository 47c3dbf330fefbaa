import { acceptMarketplaceOrder } from '../../../shared/orders/use-cases/accept-marketplace-order';
import type { DomainEvent } from '../../../shared/platform/events/envelope';
import { type Ports, portsWithNetwork, stock } from '../../support/network';

describe('acceptMarketplaceOrder', () => {
  let ports: Ports;
  let published: DomainEvent[];
  const accept = (id: string, detail: unknown) =>
    acceptMarketplaceOrder(
      {
        ...ports,
        publish: async (events) => {
          published.push(...events);
        },
      },
      { id, source: 'marketplace.acme', detail },
    );
  const detail = (marketplaceOrderId: string, sku = 'TEE') => ({
    marketplaceOrderId,
    customer: { email: 'b@example.com' },
    lines: [{ sku, quantity: 1 }],
    delivery: {
      type: 'ship',
      address: { line1: '2 High St', city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' },
    },
  });

  beforeEach(async () => {
    ({ ports } = await portsWithNetwork());
    published = [];
    await stock(ports, 'TEE', 'DC1', 5);
  });

  it('places the order once per marketplace order id, however often the event comes', async () => {
    const first = await accept('evt-1', detail('ACME-1'));
    const again = await accept('evt-2', detail('ACME-1'));

    expect(first.outcome).toBe('created');
    expect(again).toEqual({ outcome: 'duplicate', orderId: first.orderId });
    expect(published).toEqual([]);
  });

  it('answers an invalid or unplaceable order with one MarketplaceOrderRejected per event', async () => {
    const invalid = await accept('evt-3', { marketplaceOrderId: 'ACME-2', lines: [] });
    const unknown = await accept('evt-4', detail('ACME-3', 'NO-SUCH-SKU'));
    await accept('evt-4', detail('ACME-3', 'NO-SUCH-SKU'));

    expect([invalid.outcome, unknown.outcome]).toEqual(['rejected', 'rejected']);
    expect(published.map((e) => (e.detail.data as { reason: { code: string } }).reason.code)).toEqual([
      'VALIDATION_FAILED',
      'PRODUCT_NOT_SELLABLE',
      'PRODUCT_NOT_SELLABLE',
    ]);
    expect(new Set(published.map((e) => e.detail.id)).size).toBe(2);
  });
});
