import type { OrderLink, Profile } from '../domain/profile';
import type { CustomerQueryPorts } from './ports';

/** Merges chain (a survivor may itself be absorbed later); no real chain is this long. */
const MAX_CHAIN = 16;

/** The active profile a profile now lives on: itself, or the end of its `mergedInto` chain. */
export async function activeProfile(ports: CustomerQueryPorts, profile: Profile): Promise<Profile> {
  let current = profile;
  for (let hops = 0; current.status === 'merged' && current.mergedInto && hops < MAX_CHAIN; hops++) {
    const next = await ports.customers.getProfile(current.mergedInto);
    if (!next) break;
    current = next;
  }
  return current;
}

/** A profile and every profile merged into it, directly or through another merge. */
export async function profilesInHistory(ports: CustomerQueryPorts, profile: Profile): Promise<Profile[]> {
  const found: Profile[] = [profile];
  let frontier = profile.absorbed.map((a) => a.customerId);
  for (let depth = 0; frontier.length > 0 && depth < MAX_CHAIN; depth++) {
    const seen = new Set(found.map((p) => p.customerId));
    const next = await ports.customers.getProfiles(frontier.filter((id) => !seen.has(id)));
    found.push(...next.values());
    frontier = [...next.values()].flatMap((p) => p.absorbed.map((a) => a.customerId));
  }
  return found;
}

/** The orders of a profile and of every profile merged into it, newest first. */
export async function orderHistory(ports: CustomerQueryPorts, profile: Profile): Promise<OrderLink[]> {
  const profiles = await profilesInHistory(ports, profile);
  const links = (await Promise.all(profiles.map((p) => ports.customers.orderLinks(p.customerId)))).flat();
  return links.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.orderId < b.orderId ? 1 : -1));
}
