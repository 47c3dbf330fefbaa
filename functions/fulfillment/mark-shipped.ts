import { answerLocationWork } from '../../shared/fulfillment/adapters/location-api';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';

/** POST /locations/{locationId}/work/{groupId}/ship (the location's own client): The group left with a carrier (to the customer, or to the pickup store). */
export const handler = answerLocationWork(fulfillmentRoutes.markShipped, 'ship');
