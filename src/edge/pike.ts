/**
 * Kamailio's pike: per-source request density. A source that sends more than `density` requests
 * within any `windowMs` (a sliding window, exact: the times of its last `density` requests are
 * kept) is over the limit. The table of sources is an LRU of at most `maxSources`; what it evicts
 * is counted, so an operator sees when spoofed sources churn it.
 */
import { LRUCache } from 'lru-cache';

export interface PikeOptions {
  /** reqs_density_per_unit (Kamailio default 16). */
  density: number;
  /** sampling_time_unit in ms (Kamailio default 2 s). */
  windowMs: number;
  maxSources: number;
}

/** The last `density` request times of one source, as a ring. */
interface History {
  times: Float64Array;
  next: number;
  count: number;
}

export class Pike {
  private readonly table: LRUCache<string, History>;
  evicted = 0;

  constructor(private readonly options: PikeOptions) {
    this.table = new LRUCache<string, History>({
      max: options.maxSources,
      disposeAfter: (_v, _k, reason) => {
        if (reason === 'evict') this.evicted++;
      },
    });
  }

  /** Counts one request from `key` at `now`; true when it makes the source go over the density. */
  hit(key: string, now: number): boolean {
    const { density, windowMs } = this.options;
    let h = this.table.get(key);
    if (!h) {
      h = { times: new Float64Array(density), next: 0, count: 0 };
      this.table.set(key, h);
    }
    // the oldest of the last `density` requests: if it is still inside the window, this one is
    // request density + 1 within windowMs
    const over = h.count === density && now - h.times[h.next]! < windowMs;
    h.times[h.next] = now;
    h.next = (h.next + 1) % density;
    if (h.count < density) h.count++;
    return over;
  }

  /** Forget a source (after its ban, so it starts clean when the ban lifts). */
  forget(key: string): void {
    this.table.delete(key);
  }

  get tracked(): number {
    return this.table.size;
  }
}
