import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Business metrics, as CloudWatch embedded-metric-format lines written to the function's log:
 * CloudWatch turns them into metrics in the `ConnectedCommerce` namespace with no API call. Each
 * count is written at once (a single metric), so no handler has to remember to flush.
 *
 * Every count has the `service` dimension (what the alarms read, e.g. "orders are not flowing" on
 * `OrdersPlaced`); a count of a channel is written a second time with a `channel` dimension too
 * (what the dashboard's per-channel graphs read).
 *
 * Off in the embedded runtime unless `POWERTOOLS_METRICS_DISABLED=false` (a line per order on the
 * console would drown the rest).
 */
export const METRICS_NAMESPACE = 'ConnectedCommerce';

export const BUSINESS_METRICS = {
  ordersPlaced: 'OrdersPlaced',
  insufficientStock: 'InsufficientStockRefusals',
  holdsExpired: 'HoldsExpired',
  marketplaceRejected: 'MarketplaceOrdersRejected',
  availabilityPublished: 'AvailabilityChangesPublished',
  idempotentReplays: 'IdempotentReplays',
} as const;

export type BusinessMetric = (typeof BUSINESS_METRICS)[keyof typeof BUSINESS_METRICS];

const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'connected-commerce',
});

/** Counts `value` of a business metric, and of the channel's when one is given. */
export function countMetric(name: BusinessMetric, value = 1, channel?: string): void {
  if (value <= 0) return;
  metrics.singleMetric().addMetric(name, MetricUnit.Count, value);
  if (channel) {
    const perChannel = metrics.singleMetric();
    perChannel.addDimension('channel', channel);
    perChannel.addMetric(name, MetricUnit.Count, value);
  }
}
