/**
 * Host name → address at send time (never at load time), cached for the record's DNS TTL. IP
 * literals return synchronously so the hot path never waits on a promise.
 */
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';

interface Entry {
  address: string;
  expires: number;
}

export interface DnsCacheOptions {
  now: () => number;
  /** TTL used when the resolver gives none (lookups through /etc/hosts). */
  fallbackTtlMs: number;
  /** Longest a record is kept, whatever its TTL. */
  maxTtlMs: number;
}

export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<string>>();
  /** Short timeout: a dead DNS server must not hold a call for long before /etc/hosts is tried. */
  private readonly resolver = new dns.Resolver({ timeout: 2000, tries: 1 });

  constructor(private readonly options: DnsCacheOptions) {}

  resolve = (host: string): string | Promise<string> => {
    if (isIP(host) !== 0) return host;
    const hit = this.entries.get(host);
    if (hit && hit.expires > this.options.now()) return hit.address;
    let p = this.pending.get(host);
    if (!p) {
      p = this.lookup(host).finally(() => this.pending.delete(host));
      this.pending.set(host, p);
    }
    return p;
  };

  private async lookup(host: string): Promise<string> {
    let address: string;
    let ttlMs = this.options.fallbackTtlMs;
    try {
      const records = await this.resolver.resolve4(host, { ttl: true });
      const first = records[0];
      if (!first) throw new Error(`no A record for ${host}`);
      address = first.address;
      ttlMs = first.ttl * 1000;
    } catch {
      // Not in DNS: /etc/hosts and the system resolver (no TTL there).
      address = (await dns.lookup(host)).address;
    }
    this.entries.set(host, { address, expires: this.options.now() + Math.min(ttlMs, this.options.maxTtlMs) });
    return address;
  }
}
