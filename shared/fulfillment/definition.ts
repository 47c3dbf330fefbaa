import { z } from 'zod';
import {
  type ContextDefinition,
  contextTable,
  defineRoute,
  ownTableRoutes,
  type TableDefinition,
} from '../platform/definition';
import { profileIdSchema, sourcingProfileInputSchema, versionSchema } from './schemas';

/**
 * The fulfillment context: sourcing profiles (versioned routing rules) and the routing decisions
 * made with them, in one table. The fulfilment workflow and the location work lists join it.
 */
export const FULFILLMENT_TABLE_KEY = 'fulfillment';

// GSI1: routing decisions by time (the dry run of a profile replays the most recent).
export const fulfillmentTable: TableDefinition = contextTable(
  FULFILLMENT_TABLE_KEY,
  'Fulfillment',
  'FULFILLMENT_TABLE',
);

const profileParams = z.object({ profileId: profileIdSchema });
const versionParams = z.object({ profileId: profileIdSchema, version: versionSchema });

export const fulfillmentRoutes = {
  putSourcingProfile: defineRoute({
    method: 'PUT',
    path: '/sourcing-profiles/{profileId}',
    access: 'ops',
    summary:
      'Write the next version of a sourcing profile, as a draft (the same content again returns that draft)',
    params: profileParams,
    body: sourcingProfileInputSchema,
    responses: {
      201: { description: 'The new draft version' },
      200: { description: 'The same draft, already written' },
    },
  }),
  getSourcingProfile: defineRoute({
    method: 'GET',
    path: '/sourcing-profiles/{profileId}',
    access: 'ops',
    summary: "A sourcing profile's versions and which one is active",
    params: profileParams,
  }),
  getSourcingProfileVersion: defineRoute({
    method: 'GET',
    path: '/sourcing-profiles/{profileId}/versions/{version}',
    access: 'ops',
    summary: 'One version of a sourcing profile',
    params: versionParams,
  }),
  dryRunSourcingProfile: defineRoute({
    method: 'POST',
    path: '/sourcing-profiles/{profileId}/versions/{version}/dry-run',
    access: 'ops',
    summary: 'How many recent routing decisions a version would change, with examples',
    params: versionParams,
  }),
  activateSourcingProfile: defineRoute({
    method: 'POST',
    path: '/sourcing-profiles/{profileId}/versions/{version}/activate',
    access: 'ops',
    summary: 'Route with this version from now on (after its dry run, which the answer carries)',
    params: versionParams,
  }),
} as const;

const api = ownTableRoutes('fulfillment', FULFILLMENT_TABLE_KEY);

export const fulfillment: ContextDefinition = {
  name: 'fulfillment',
  tables: [fulfillmentTable],
  functions: [
    api('PutSourcingProfile', 'put-sourcing-profile', fulfillmentRoutes.putSourcingProfile, true),
    api('GetSourcingProfile', 'get-sourcing-profile', fulfillmentRoutes.getSourcingProfile, false),
    api(
      'GetSourcingProfileVersion',
      'get-sourcing-profile-version',
      fulfillmentRoutes.getSourcingProfileVersion,
      false,
    ),
    api('DryRunSourcingProfile', 'dry-run-sourcing-profile', fulfillmentRoutes.dryRunSourcingProfile, false),
    api(
      'ActivateSourcingProfile',
      'activate-sourcing-profile',
      fulfillmentRoutes.activateSourcingProfile,
      true,
    ),
  ],
  busRules: [],
};
