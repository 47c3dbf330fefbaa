import type { ApiAccess, ContextDefinition, HttpMethod } from './definition';

/**
 * OAuth 2.0 scopes of the API. Every non-public operation requires one scope, named after the
 * context that owns it and what the call does:
 * - `<context>/read` and `<context>/write`: what channels (and operations) do — read availability,
 *   place an order, take a quote;
 * - `<context>/admin`: what only operations does — counts, prices, products, locations;
 * - `fulfillment/location`: what a store's or DC's own systems do with their work.
 *
 * The API's TOKEN authorizer (`authorizer.ts`, the same code on AWS and in the embedded runtime)
 * verifies the token and allows the operations whose scope it carries. The handler then checks the
 * principal the token's client maps to (a location token never acts as a channel).
 */
export type ClientKind = 'channel' | 'ops' | 'location';

/** The resource server's identifier: scopes are `<resource server>/<name>`, e.g. `orders/write`. */
export interface ScopeName {
  resourceServer: string;
  name: string;
}

export const LOCATION_SCOPE: ScopeName = { resourceServer: 'fulfillment', name: 'location' };

export const scopeString = (scope: ScopeName): string => `${scope.resourceServer}/${scope.name}`;

/** The scope an operation requires, or undefined for a public one (`/health`, the API document). */
export function routeScope(
  context: string,
  route: { access: ApiAccess; method: HttpMethod },
): ScopeName | undefined {
  switch (route.access) {
    case 'public':
      return undefined;
    case 'location':
      return LOCATION_SCOPE;
    case 'ops':
      return { resourceServer: context, name: 'admin' };
    case 'channel':
    case 'any':
      return { resourceServer: context, name: route.method === 'GET' ? 'read' : 'write' };
  }
}

/** Who may hold a scope: which kinds of client are granted an operation of this access. */
const grantedTo: Record<Exclude<ApiAccess, 'public'>, readonly ClientKind[]> = {
  channel: ['channel'],
  any: ['channel', 'ops'],
  ops: ['ops'],
  location: ['location'],
};

/** Every scope the API's operations use, with a description, by resource server. */
export function apiScopes(
  contexts: readonly ContextDefinition[],
): { resourceServer: string; scopes: { name: string; description: string }[] }[] {
  const byServer = new Map<string, Map<string, string>>();
  const describe = (scope: ScopeName) =>
    scope.name === 'admin'
      ? `Operations on ${scope.resourceServer}`
      : scope.name === 'location'
        ? "A location's own fulfilment work"
        : `${scope.name === 'read' ? 'Read' : 'Write'} ${scope.resourceServer} as a channel`;
  for (const context of contexts) {
    for (const fn of context.functions) {
      if (fn.trigger.kind !== 'http') continue;
      const scope = routeScope(context.name, fn.trigger);
      if (!scope) continue;
      const names = byServer.get(scope.resourceServer) ?? new Map<string, string>();
      names.set(scope.name, describe(scope));
      byServer.set(scope.resourceServer, names);
    }
  }
  return [...byServer]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resourceServer, names]) => ({
      resourceServer,
      scopes: [...names]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, description]) => ({ name, description })),
    }));
}

/** The scopes a kind of client is granted: exactly those of the operations it may call. */
export function scopesFor(contexts: readonly ContextDefinition[], kind: ClientKind): string[] {
  const scopes = new Set<string>();
  for (const context of contexts) {
    for (const fn of context.functions) {
      if (fn.trigger.kind !== 'http' || fn.trigger.access === 'public') continue;
      if (!grantedTo[fn.trigger.access].includes(kind)) continue;
      const scope = routeScope(context.name, fn.trigger);
      if (scope) scopes.add(scopeString(scope));
    }
  }
  return [...scopes].sort();
}
