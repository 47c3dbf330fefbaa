import { z } from 'zod';
import { defineEvents } from '../platform/events/envelope';
import { channelSchema } from '../platform/principals';
import { priceRuleSchema, promotionSchema } from './schemas';

/** What the pricing context publishes, under `commerce.pricing`. */
export const pricingEvents = defineEvents('commerce.pricing', {
  PriceChanged: z.object({
    sku: z.string(),
    channel: channelSchema,
    currency: z.string(),
    /** The effective unit price before (absent: the SKU had no price in this currency on the channel). */
    previous: z.number().int().optional(),
    /** The effective unit price now; null: the SKU is no longer priced in this currency. */
    current: z.number().int().nullable(),
    /** The channel rules that make the current price, in the order they apply. */
    ruleIds: z.array(z.string()),
    /** When the price was computed (a dated rule's start or end is seen within a minute). */
    computedAt: z.string(),
  }),
  PriceRuleChanged: z.object({
    ruleId: z.string(),
    rule: priceRuleSchema,
    /** The rule before the change (absent: a new rule). */
    previous: priceRuleSchema.optional(),
  }),
  PromotionChanged: z.object({
    promotionId: z.string(),
    promotion: promotionSchema,
    previous: promotionSchema.optional(),
  }),
});

/** When each event is emitted, for the event catalogue (`docs/events.md`). */
export const pricingEventDescriptions = {
  PriceChanged:
    "A channel's effective unit price of a SKU (base price and channel rules, no promotion) changed, per SKU × channel × currency",
  PriceRuleChanged:
    'A channel price rule was created or changed; the effective prices it touches are recomputed from it',
  PromotionChanged: 'A promotion was created or changed (its window, deal, stacking rules or limits)',
} satisfies Record<keyof typeof pricingEvents.events, string>;
