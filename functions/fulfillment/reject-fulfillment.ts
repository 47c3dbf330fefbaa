import { answerLocationWork } from '../../shared/fulfillment/adapters/location-api';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';

/** POST /locations/{locationId}/work/{groupId}/reject (the location's own client): The location cannot do the work: the group is rerouted without it. */
export const handler = answerLocationWork(fulfillmentRoutes.rejectFulfillment, 'reject');
