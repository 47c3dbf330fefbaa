import { answerLocationWork } from '../../shared/fulfillment/adapters/location-api';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';

/** POST /locations/{locationId}/work/{groupId}/accept (the location's own client): The location takes the work (completes the waiting task). */
export const handler = answerLocationWork(fulfillmentRoutes.acceptFulfillment, 'accept');
