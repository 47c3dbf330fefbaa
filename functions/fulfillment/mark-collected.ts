import { answerLocationWork } from '../../shared/fulfillment/adapters/location-api';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';

/** POST /locations/{locationId}/work/{groupId}/collected (the location's own client): The customer collected the group. */
export const handler = answerLocationWork(fulfillmentRoutes.markCollected, 'collected');
