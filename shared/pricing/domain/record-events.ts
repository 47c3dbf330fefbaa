import { type DomainEvent, type RecordChange, recordEventId, stableId } from '../../platform/events/envelope';
import type { Channel } from '../../platform/principals';
import { pricingEvents } from '../events';
import type { PriceRule, Promotion } from './price-book';

/** The key of the pricing table in the definitions; its stream carries only this table's records. */
export const PRICING_TABLE_KEY = 'pricing';

const bookkeeping = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'ttl'];
/**
 * A rule or promotion as stored, from a stream image. An empty scope (every SKU) is an empty map,
 * which a stream reader may hand over as null (the embedded runtime's does): it is still "every SKU".
 */
const strip = <T>(image: Record<string, unknown>): T => {
  const item = Object.fromEntries(Object.entries(image).filter(([k]) => !bookkeeping.includes(k)));
  return { ...item, scope: item.scope ?? {} } as T;
};

/** A channel price snapshot: `SKU#<sku>` / `CHANNEL#<channel>#<currency>`. */
export const isChannelPrice = (change: RecordChange): boolean =>
  change.table === PRICING_TABLE_KEY &&
  change.keys.PK.startsWith('SKU#') &&
  change.keys.SK.startsWith('CHANNEL#');

/** A channel price rule: `BOOK` / `RULE#<ruleId>`. */
export const isRule = (change: RecordChange): boolean =>
  change.table === PRICING_TABLE_KEY && change.keys.PK === 'BOOK' && change.keys.SK.startsWith('RULE#');

const isPromotion = (change: RecordChange): boolean =>
  change.table === PRICING_TABLE_KEY && change.keys.PK === 'BOOK' && change.keys.SK.startsWith('PROMO#');

/**
 * The domain events one committed change of the pricing table stands for. Pure: the stream record
 * alone decides them, and each id is derived from the record's key and version, so a redelivered
 * record gives the same ids. Base prices, usage counters and quotes publish nothing of their own: a
 * base price is seen through the channel prices it moves.
 */
export function eventsFromChange(change: RecordChange): DomainEvent[] {
  const next = change.newImage;
  const prev = change.oldImage;
  if (isChannelPrice(change)) {
    const image = next ?? prev;
    if (!image) return [];
    const previous = prev === undefined ? undefined : Number(prev.amount);
    const current = next === undefined ? null : Number(next.amount);
    // Only a moved price is news to a channel; a new rule list giving the same price is not.
    if (previous === current) return [];
    const id = next
      ? recordEventId(change, next)
      : stableId(
          `${change.table}:${change.keys.PK}:${change.keys.SK}:removed:${String(prev?.version ?? '')}`,
        );
    const at = String(image.computedAt ?? image.updatedAt ?? new Date().toISOString());
    return [
      pricingEvents.event('PriceChanged', id, at, {
        sku: String(image.sku),
        channel: image.channel as Channel,
        currency: String(image.currency),
        ...(previous !== undefined ? { previous } : {}),
        current,
        ruleIds: next ? ((next.ruleIds as string[]) ?? []) : [],
        computedAt: at,
      }),
    ];
  }
  if (!next || next.version === prev?.version) return [];
  const id = recordEventId(change, next);
  const at = String(next.updatedAt ?? new Date().toISOString());
  if (isRule(change)) {
    const rule = strip<PriceRule>(next);
    return [
      pricingEvents.event('PriceRuleChanged', id, at, {
        ruleId: rule.ruleId,
        rule,
        ...(prev ? { previous: strip<PriceRule>(prev) } : {}),
      }),
    ];
  }
  if (isPromotion(change)) {
    const promotion = strip<Promotion>(next);
    return [
      pricingEvents.event('PromotionChanged', id, at, {
        promotionId: promotion.promotionId,
        promotion,
        ...(prev ? { previous: strip<Promotion>(prev) } : {}),
      }),
    ];
  }
  return [];
}
