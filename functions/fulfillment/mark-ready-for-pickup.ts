import { answerLocationWork } from '../../shared/fulfillment/adapters/location-api';
import { fulfillmentRoutes } from '../../shared/fulfillment/definition';

/** POST /locations/{locationId}/work/{groupId}/ready-for-pickup (the location's own client): The group waits at the pickup store. */
export const handler = answerLocationWork(fulfillmentRoutes.markReadyForPickup, 'readyForPickup');
