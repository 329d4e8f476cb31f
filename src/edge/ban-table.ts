/**
 * The `ipban` htable of Kamailio's stock configuration: sources banned until an expiry, bounded
 * (an LRU: a flood of spoofed sources evicts the oldest bans, counted, rather than growing memory).
 */
import { LRUCache } from 'lru-cache';

export interface Ban {
  readonly key: string;
  /** What caused it: `pike`, `authban`, `rpc`. */
  readonly reason: string;
  readonly since: number;
  readonly until: number;
}

export class BanTable {
  private readonly bans: LRUCache<string, Ban>;
  evicted = 0;

  constructor(maxBans: number) {
    this.bans = new LRUCache<string, Ban>({
      max: maxBans,
      disposeAfter: (_v, _k, reason) => {
        if (reason === 'evict') this.evicted++;
      },
    });
  }

  /** A ban lifts exactly at its expiry: at `until` the source is let in again. */
  isBanned(key: string, now: number): boolean {
    const ban = this.bans.peek(key);
    if (ban === undefined) return false;
    if (now < ban.until) return true;
    this.bans.delete(key);
    return false;
  }

  ban(key: string, reason: string, now: number, durationMs: number): Ban {
    const ban = { key, reason, since: now, until: now + durationMs };
    this.bans.set(key, ban);
    return ban;
  }

  /** htable.delete ipban KEY: true when there was a ban. */
  delete(key: string): boolean {
    return this.bans.delete(key);
  }

  /** htable.flush ipban. */
  flush(): number {
    const n = this.bans.size;
    this.bans.clear();
    return n;
  }

  /** Bans in force at `now` (htable.dump ipban), oldest first. */
  active(now: number): Ban[] {
    const out: Ban[] = [];
    for (const ban of this.bans.values()) if (now < ban.until) out.push(ban);
    return out.sort((a, b) => a.since - b.since || (a.key < b.key ? -1 : 1));
  }

  get size(): number {
    return this.bans.size;
  }
}
