import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger. Its own module, so functions that only log (stream publisher, sweeper)
 * do not load the HTTP layer and its schemas at cold start.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'connected-commerce',
});
