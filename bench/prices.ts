/**
 * The AWS list prices the cost figures use: US East (N. Virginia), on-demand, no free tier, as
 * published on 2026-12-01 (DynamoDB on-demand last changed on 2024-11-01). See docs/cost.md.
 */
export const PRICES = {
  date: '2026-12-01',
  region: 'us-east-1',
  /** API Gateway REST API, per request (first 333 million a month). */
  apiGatewayRestRequest: 3.5 / 1e6,
  /** Lambda on Arm (Graviton), per request and per GB-second (first 7.5 billion GB-s a month). */
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  /** DynamoDB on-demand, Standard table class. */
  dynamodbReadUnit: 0.125 / 1e6,
  dynamodbWriteUnit: 0.625 / 1e6,
  /** EventBridge custom events put on a bus, per 64 KB entry. */
  eventBridgeEvent: 1.0 / 1e6,
  /** DynamoDB Streams reads made by a Lambda event source mapping are not charged. */
  streamReadByLambda: 0,
} as const;
