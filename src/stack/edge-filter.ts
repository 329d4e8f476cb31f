/**
 * The edge guard as the transports' inbound filter: exemption from the dispatcher's destinations
 * and the `trusted` networks, the User-Agent read from the parsed request, and the stable ban log
 * line that the shipped fail2ban filter reads (docs/public-internet.md).
 */
import { EdgeGuard, type EdgeGuardOptions, type SharedEdgeTables } from '../edge/edge-guard.js';
import type { Ban } from '../edge/ban-table.js';
import type { Logger } from '../shared/logger.js';
import { NetworkSet } from '../shared/network-set.js';
import type { InboundFilter } from '../transport/inbound-filter.js';

export interface EdgeFilterDeps {
  /** A dispatcher destination's address (the farm): never banned. */
  isDestination(address: string): boolean;
  now(): number;
  logger: Logger;
  /** Told of every ban this thread makes (worker threads: the others apply it too). */
  shareBan?(ban: Ban): void;
  /** pike's and authban's tables shared by all threads (`workers` > 1). */
  shared?: SharedEdgeTables;
}

export function createEdgeFilter(
  options: EdgeGuardOptions & { readonly trusted: readonly string[] },
  deps: EdgeFilterDeps,
): { guard: EdgeGuard; filter: InboundFilter; inTrusted: (address: string) => boolean } {
  const parsed = NetworkSet.parse(options.trusted);
  // load-config validated the list; an empty set is the only other outcome
  const trusted = parsed.ok ? parsed.value : NetworkSet.empty;
  const guard = new EdgeGuard(options, {
    now: deps.now,
    isExempt: (address) => deps.isDestination(address) || trusted.has(address),
    onBan: (ban, method, address, port) => {
      deps.logger.warn({ ip: address, port, method, key: ban.key, banSeconds: Math.round((ban.until - ban.since) / 1000) }, `pike blocking ${method} from ${address}:${port}`);
      deps.shareBan?.(ban);
    },
    onAuthBan: (ban, address, failures) => {
      deps.logger.warn({ ip: address, key: ban.key, failures, banSeconds: Math.round((ban.until - ban.since) / 1000) }, `authban blocking ${address} after ${failures} auth failures`);
      deps.shareBan?.(ban);
    },
  }, deps.shared);
  const filter: InboundFilter = {
    checkBytes(bytes, source) {
      const verdict = guard.checkBytes(bytes, source.address, source.port);
      return verdict === 'pass' ? undefined : verdict;
    },
    checkRequest(request, source) {
      const userAgent = request.headers.find((h) => h.key === 'user-agent')?.value;
      return guard.checkRequest({ method: request.method, uri: request.uri, userAgent }, source.address) === 'pass' ? undefined : 'scanner';
    },
    admitsConnection: (address) => guard.admitsConnection(address),
  };
  return { guard, filter, inTrusted: (address) => trusted.has(address) };
}
