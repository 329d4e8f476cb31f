/**
 * A set of networks (CIDR or single addresses), as Kamailio's permissions address groups or the
 * `trusted` list: does an address fall in one of them. Parsed once; bad entries are reported.
 */
import ipaddr from 'ipaddr.js';
import { err, ok, type Result } from './result.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class NetworkSet {
  private constructor(
    private readonly v4: readonly Range[],
    private readonly v6: readonly Range[],
    readonly entries: readonly string[],
  ) {}

  static readonly empty = new NetworkSet([], [], []);

  /** `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`; an error names the first bad entry. */
  static parse(entries: readonly string[]): Result<NetworkSet, string> {
    const v4: Range[] = [];
    const v6: Range[] = [];
    for (const entry of entries) {
      const text = entry.trim();
      let range: Range;
      try {
        range = text.includes('/') ? ipaddr.parseCIDR(text) : (() => {
          const a = ipaddr.parse(text);
          return [a, a.kind() === 'ipv4' ? 32 : 128] as Range;
        })();
      } catch {
        return err(`"${entry}" is not an IP address or CIDR network`);
      }
      (range[0].kind() === 'ipv4' ? v4 : v6).push(range);
    }
    return ok(new NetworkSet(v4, v6, entries));
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false;
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = ipaddr.process(address);
    } catch {
      return false;
    }
    const ranges = a.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const r of ranges) if (a.match(r)) return true;
    return false;
  }
}
