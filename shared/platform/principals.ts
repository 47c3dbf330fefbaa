import { z } from 'zod';

/**
 * Who calls the system. Channels sell; `ops` is the operations principal; a location principal is a
 * store's or DC's systems; `anonymous` is the caller of a public route and has no rights. The principal always comes from the credential (API key id,
 * later a verified token), never from a request body.
 */
export const CHANNELS = ['web', 'app', 'store', 'marketplace', 'callcenter'] as const;
export type Channel = (typeof CHANNELS)[number];
/** A store's or DC's own systems (fulfillment callbacks): `location:<locationId>`. */
export type LocationPrincipal = `location:${string}`;
export type Principal = Channel | 'ops' | 'anonymous' | LocationPrincipal;

export const channelSchema = z.enum(CHANNELS);

export const isLocationPrincipal = (p: string): p is LocationPrincipal => p.startsWith('location:');

export const isChannel = (p: Principal | string): p is Channel => (CHANNELS as readonly string[]).includes(p);

/** Dev API keys of the embedded runtime: key value → channel (or `ops`). Documented in the README. */
export const LOCAL_API_KEYS: Record<string, Channel | 'ops'> = {
  'local-web': 'web',
  'local-app': 'app',
  'local-store': 'store',
  'local-marketplace': 'marketplace',
  'local-callcenter': 'callcenter',
  'local-ops': 'ops',
};
