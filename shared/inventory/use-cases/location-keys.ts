import { createHash, randomBytes } from 'node:crypto';
import { notFound } from '../../platform/errors';
import type { InventoryPorts, LocationKey } from './ports';

/**
 * Each location's own API key: what its store or DC systems call the location API with (its work
 * list, accept, ship, …), so a store sees and acts on its own work only. The secret is shown once,
 * when issued; only its SHA-256 is stored, so a leaked table leaks no key.
 */

const hashOf = (apiKey: string) => createHash('sha256').update(apiKey).digest('hex');

/** What issuing a key answers: the secret (shown this once) and the id to name it by. */
export interface IssuedLocationKey {
  locationId: string;
  keyId: string;
  apiKey: string;
  createdAt: string;
}

/** Issues a new key for a location; earlier keys stay valid (a rotation overlaps). */
export async function issueLocationKey(
  ports: Pick<InventoryPorts, 'inventory' | 'now' | 'newId'>,
  locationId: string,
): Promise<IssuedLocationKey> {
  if (!(await ports.inventory.getLocation(locationId))) {
    throw notFound('Location', locationId, 'locationId', 'no such location');
  }
  const apiKey = `lk_${randomBytes(24).toString('base64url')}`;
  const key: LocationKey = {
    keyHash: hashOf(apiKey),
    keyId: ports.newId('lkey'),
    locationId,
    createdAt: ports.now(),
  };
  await ports.inventory.putLocationKey(key);
  return { locationId, keyId: key.keyId, apiKey, createdAt: key.createdAt };
}

/**
 * Keys are checked on every location call; a minute's copy per execution environment saves the
 * read (a key is never changed, only added).
 */
const KEY_TTL_MS = 60_000;
const UNKNOWN_KEY_TTL_MS = 5_000;
const resolved = new Map<string, { at: number; locationId: string | undefined }>();

/** The location a key belongs to, or undefined for an unknown key. */
export async function locationOfKey(
  ports: Pick<InventoryPorts, 'inventory'>,
  apiKey: string,
): Promise<string | undefined> {
  const keyHash = hashOf(apiKey);
  const hit = resolved.get(keyHash);
  // An unknown key is remembered briefly too, so guessing keys costs no read each (a key issued
  // meanwhile works within UNKNOWN_KEY_TTL_MS).
  if (hit && Date.now() - hit.at < (hit.locationId ? KEY_TTL_MS : UNKNOWN_KEY_TTL_MS)) return hit.locationId;
  const key = await ports.inventory.locationKey(keyHash);
  if (resolved.size > 10_000) resolved.clear();
  resolved.set(keyHash, { at: Date.now(), locationId: key?.locationId });
  return key?.locationId;
}
