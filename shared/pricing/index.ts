/**
 * The pricing context as other contexts see it: the only module they may import from here. Orders
 * price through `orderPricing` and commit the usage items it returns in their own transaction; the
 * returns context refunds with `refundForUnits`; the catalog provides `ProductFacts`.
 */

export { catalogProductFacts, noProductFacts, runtimeProductFacts } from './adapters/product-facts';
export { makePricingPorts, runtimePricingPorts } from './adapters/runtime';
export { pricingTable } from './definition';
export { indexPriceBook, type PriceBook } from './domain/book-index';
export type {
  AppliedPromotion,
  CartLine,
  LineDiscount,
  NotApplied,
  NotAppliedCode,
  PriceCartInput,
  PricedCart,
  PricedLine,
  TraceStep,
} from './domain/engine';
export { priceCart } from './domain/engine';
export {
  allocateProportionally,
  currencyExponent,
  formatMinor,
  type Money,
  percentOf,
  refundForUnits,
} from './domain/money';
export type { PriceRule, Promotion, PromotionKind, Scope, UsageLimits } from './domain/price-book';
export { PRICING_TABLE_KEY } from './domain/record-events';
export { pricingEvents } from './events';
export { currencySchema, customerIdSchema, moneySchema, pricedLineSchema, quoteIdSchema } from './schemas';
export {
  type OrderPrice,
  type OrderPriceRequest,
  type OrderPricing,
  orderPricing,
} from './use-cases/order-pricing';
export type { PricingPorts, ProductFacts, PromotionUse } from './use-cases/ports';
export { channelPricesFor } from './use-cases/price-book';
