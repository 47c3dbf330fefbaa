import { contexts } from '../../../shared/platform/definitions';
import { apiScopes, routeScope, scopeString, scopesFor } from '../../../shared/platform/scopes';

const routes = contexts.flatMap((c) =>
  c.functions.flatMap((fn) => (fn.trigger.kind === 'http' ? [{ context: c.name, route: fn.trigger }] : [])),
);

describe('OAuth scopes of the API', () => {
  it('gives every non-public operation exactly one scope of its own context (or the location scope)', () => {
    for (const { context, route } of routes) {
      const scope = routeScope(context, route);
      if (route.access === 'public') expect(scope).toBeUndefined();
      else if (route.access === 'location') expect(scope && scopeString(scope)).toBe('fulfillment/location');
      else expect(scope?.resourceServer).toBe(context);
    }
  });

  it('grants a location only its own work, and a channel no operations scope', () => {
    expect(scopesFor(contexts, 'location')).toEqual(['fulfillment/location']);
    const channel = scopesFor(contexts, 'channel');
    expect(channel).toContain('orders/write');
    expect(channel).toContain('inventory/read');
    expect(channel.filter((s) => s.endsWith('/admin') || s === 'fulfillment/location')).toEqual([]);
    const ops = scopesFor(contexts, 'ops');
    expect(ops).toContain('inventory/admin');
    expect(ops).not.toContain('fulfillment/location');
  });

  it('grants each kind of client the scope of every operation its access allows', () => {
    // Scopes are per context and verb, so they are coarser than access: an `any` route gives
    // operations the channel's read/write scope of that context too. The handler's principal check
    // is the finer line (an operations client placing an order as a channel gets 403).
    for (const kind of ['channel', 'ops', 'location'] as const) {
      const granted = new Set(scopesFor(contexts, kind));
      const allowedRoutes = routes.filter(
        ({ route }) =>
          route.access === kind || (route.access === 'any' && (kind === 'channel' || kind === 'ops')),
      );
      expect(allowedRoutes.length).toBeGreaterThan(0);
      for (const { context, route } of allowedRoutes) {
        const scope = routeScope(context, route);
        expect(scope && granted.has(scopeString(scope))).toBe(true);
      }
    }
  });

  it('declares each scope once on its resource server, described', () => {
    const servers = apiScopes(contexts);
    expect(servers.map((s) => s.resourceServer)).toEqual(
      [...new Set(servers.map((s) => s.resourceServer))].sort(),
    );
    for (const server of servers) {
      expect(server.scopes.length).toBeGreaterThan(0);
      for (const scope of server.scopes) expect(scope.description).not.toBe('');
    }
  });
});
