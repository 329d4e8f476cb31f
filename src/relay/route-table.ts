/** The declarative routes table: the first rule whose match fits the request decides set and algorithm. */
import type { RouteRule } from './relay-options.js';

export function matchRoute(routes: readonly RouteRule[], method: string, ruriUser: string | undefined): RouteRule | undefined {
  for (const r of routes) {
    if (r.methods.length > 0 && !r.methods.includes(method)) continue;
    if (r.ruriUser && !r.ruriUser.test(ruriUser ?? '')) continue;
    return r;
  }
  return undefined;
}
