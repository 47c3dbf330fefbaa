import { answerLocationWork } from '../../shared/fulfillment/adapters/location-api';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';

/** POST /locations/{locationId}/work/{groupId}/short-pick (the location's own client): The location is short: the group is rerouted without it. */
export const handler = answerLocationWork(fulfillmentRoutes.reportShortPick, 'shortPick');
