/**
 * Host name → address at send time (never at load time), cached for the record's DNS TTL. IP
 * literals return synchronously so the hot path never waits on a promise. Names come from the
 * network (Route headers, Request-URIs), so everything here is bounded: the cache is an LRU of
 * `maxEntries`, a name that does not resolve is remembered as such for `negativeTtlMs` (Kamailio's
 * dns_neg_cache_ttl) instead of being asked again, and at most `maxPending` lookups run at once.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { LRUCache } from 'lru-cache';

type Entry = { address: string; expires: number } | { error: Error; expires: number };

export interface DnsCacheOptions {
  now: () => number;
  /** TTL used when the resolver gives none (lookups through /etc/hosts). */
  fallbackTtlMs: number;
  /** Longest a record is kept, whatever its TTL. */
  maxTtlMs: number;
  /** How long a name that did not resolve answers with its failure at once. */
  negativeTtlMs: number;
  maxEntries: number;
  /** Lookups in flight at once; more fail at once (the sender's transaction fails over). */
  maxPending: number;
  /** The lookup itself (tests); the system resolver, then /etc/hosts, by default. */
  lookup?: (host: string) => Promise<{ address: string; ttlMs: number | undefined }>;
}

export class DnsCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly pending = new Map<string, Promise<string>>();
  /** Short timeout: a dead DNS server must not hold a call for long before /etc/hosts is tried. */
  private readonly resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  private readonly lookupHost: (host: string) => Promise<{ address: string; ttlMs: number | undefined }>;
  /** Entries the LRU dropped to stay within maxEntries. */
  evicted = 0;

  constructor(private readonly options: DnsCacheOptions) {
    this.entries = new LRUCache<string, Entry>({
      max: options.maxEntries,
      disposeAfter: (_v, _k, reason) => {
        if (reason === 'evict') this.evicted++;
      },
    });
    this.lookupHost = options.lookup ?? ((host) => this.systemLookup(host));
  }

  get size(): number {
    return this.entries.size;
  }

  resolve = (host: string): string | Promise<string> => {
    if (isIP(host) !== 0) return host;
    const hit = this.entries.get(host);
    if (hit && hit.expires > this.options.now()) return 'address' in hit ? hit.address : Promise.reject(hit.error);
    let p = this.pending.get(host);
    if (!p) {
      if (this.pending.size >= this.options.maxPending) return Promise.reject(new Error(`DNS: ${this.pending.size} lookups in flight, ${host} not asked`));
      p = this.lookup(host).finally(() => this.pending.delete(host));
      this.pending.set(host, p);
    }
    return p;
  };

  private async lookup(host: string): Promise<string> {
    try {
      const { address, ttlMs } = await this.lookupHost(host);
      this.entries.set(host, { address, expires: this.options.now() + Math.min(ttlMs ?? this.options.fallbackTtlMs, this.options.maxTtlMs) });
      return address;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.entries.set(host, { error, expires: this.options.now() + this.options.negativeTtlMs });
      throw error;
    }
  }

  private async systemLookup(host: string): Promise<{ address: string; ttlMs: number | undefined }> {
    try {
      const records = await this.resolver.resolve4(host, { ttl: true });
      const first = records[0];
      if (!first) throw new Error(`no A record for ${host}`);
      return { address: first.address, ttlMs: first.ttl * 1000 };
    } catch {
      // Not in DNS: /etc/hosts and the system resolver (no TTL there).
      return { address: (await dns.lookup(host)).address, ttlMs: undefined };
    }
  }
}
