import { DomainError, notFound } from '../../platform/errors';
import {
  locationClientName,
  locationOfClientName,
  type OAuthClientDirectory,
} from '../../platform/oauth-clients';
import { LOCATION_SCOPE, scopeString } from '../../platform/scopes';
import type { InventoryPorts } from './ports';

/**
 * A location's own credentials: an OAuth client of the environment's user pool, named after the
 * location, that may ask for the `fulfillment/location` scope only. The store's or DC's systems get
 * a token with it (client credentials) and call the location API (their work list, accept, ship, …);
 * the API's authorizer maps the client to `location:<id>`, so a store sees and acts on its own work
 * only, and a location's token opens no channel or operations route.
 *
 * Each call issues another client, so a rotation overlaps: issue the new one, move the systems over,
 * revoke the old one. The secret is shown once, by Cognito, and stored nowhere in the system, which
 * is also why issuing cannot be replayed with its first answer.
 */
export interface IssuedLocationClient {
  locationId: string;
  clientId: string;
  clientSecret: string;
  /** What the client may ask for. */
  scope: string;
  /** Where to post the credentials for a token (`grant_type=client_credentials`). */
  tokenUrl?: string;
  createdAt: string;
}

/**
 * Clients a location may hold at once: enough for a rotation (old and new) and a few systems, few
 * enough that a loop of retries cannot fill the pool's quota of app clients.
 */
export const MAX_CLIENTS_PER_LOCATION = 5;

/** A location's clients: ids and names, never secrets (Cognito keeps those). */
export async function listLocationClients(
  directory: Pick<OAuthClientDirectory, 'names'>,
  locationId: string,
): Promise<{ locationId: string; items: { clientId: string; name: string }[] }> {
  const names = await directory.names();
  const items = [...names]
    .filter(([, name]) => locationOfClientName(name) === locationId)
    .map(([clientId, name]) => ({ clientId, name }))
    .sort((a, b) => a.clientId.localeCompare(b.clientId));
  return { locationId, items };
}

export async function issueLocationClient(
  ports: Pick<InventoryPorts, 'inventory' | 'now'>,
  directory: Pick<OAuthClientDirectory, 'register' | 'names'>,
  locationId: string,
  tokenUrl?: string,
): Promise<IssuedLocationClient> {
  if (!(await ports.inventory.getLocation(locationId))) {
    throw notFound('Location', locationId, 'locationId', 'no such location');
  }
  const held = (await listLocationClients(directory, locationId)).items;
  if (held.length >= MAX_CLIENTS_PER_LOCATION) {
    throw new DomainError(
      409,
      'TOO_MANY_CLIENTS',
      `Location ${locationId} holds ${held.length} clients, the most it may: revoke one first`,
      [{ path: 'locationId', message: `clients: ${held.map((c) => c.clientId).join(', ')}` }],
    );
  }
  const scope = scopeString(LOCATION_SCOPE);
  const issued = await directory.register(locationClientName(locationId), [scope]);
  return {
    locationId,
    clientId: issued.clientId,
    clientSecret: issued.clientSecret,
    scope,
    ...(tokenUrl ? { tokenUrl } : {}),
    createdAt: ports.now(),
  };
}

/**
 * Revokes one of a location's clients (a leaked or retired credential): deleted from the pool, its
 * secret stops working at once and its tokens within the authorizer's caches (at most 6 minutes).
 * Revoking a client that is already gone is done; a client of another location, or not a
 * location's, is not this location's to revoke (404, nothing deleted).
 */
export async function revokeLocationClient(
  directory: Pick<OAuthClientDirectory, 'nameOf' | 'remove'>,
  locationId: string,
  clientId: string,
): Promise<{ locationId: string; clientId: string; revoked: boolean }> {
  const name = await directory.nameOf(clientId);
  if (name === undefined) return { locationId, clientId, revoked: false };
  if (locationOfClientName(name) !== locationId) {
    throw notFound('Client', clientId, 'clientId', `not a client of location ${locationId}`);
  }
  await directory.remove(clientId);
  return { locationId, clientId, revoked: true };
}
