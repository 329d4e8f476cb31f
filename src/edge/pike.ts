/**
 * Kamailio's pike: per-source request density. A source that sends more than `density` requests
 * within any `windowMs` (a sliding window, exact: the times of its last `density` requests are
 * kept) is over the limit. The table of sources is an LRU of at most `maxSources`; what it evicts
 * is counted, so an operator sees when spoofed sources churn it.
 *
 * The LRU maps a source to a slot number; every slot's request times live in one typed array, so
 * a source costs its key and `density` × 4 bytes, not a typed array (three objects and a native
 * allocation) of its own: a flood of distinct sources fills the table at a third of the memory.
 */
import { LRUCache } from 'lru-cache';

export interface PikeOptions {
  /** reqs_density_per_unit (Kamailio default 16). */
  density: number;
  /** sampling_time_unit in ms (Kamailio default 2 s). */
  windowMs: number;
  maxSources: number;
}

/** A per-source sliding-window counter: this thread's (Pike) or all threads' (SharedDensity). */
export interface DensityTable {
  /**
   * Counts one request from `key` at `now`; true when it makes the source go over the density;
   * 'held' when another thread has just banned the source and this thread may not know yet.
   */
  hit(key: string, now: number): boolean | 'held';
  /** Forget a source (after its ban, so it starts clean when the ban lifts). */
  forget(key: string, now: number): void;
  /** A ban was lifted by hand (`undefined`: every ban): nothing of the table may still silence it. */
  release(key: string | undefined): void;
  readonly tracked: number;
  /** Sources given up to stay bounded. */
  readonly evicted: number;
  /** Sources that took a slot so far, new or back after an eviction (monotonic: source churn). */
  readonly seen: number;
}

export class Pike implements DensityTable {
  private readonly table: LRUCache<string, number>;
  /** Slot s holds its last `density` request times at [s·density, (s+1)·density), as a ring, in ms since `epoch`. */
  private readonly times: Uint32Array;
  /** Per slot: where the next time goes in its ring, and how many times it holds. */
  private readonly next: Uint32Array;
  private readonly count: Uint32Array;
  /** Per slot: its last request time (ms, as given): after a window of silence the ring starts over. */
  private readonly last: Float64Array;
  private readonly free: number[] = [];
  private fresh = 0;
  private epoch: number | undefined;
  evicted = 0;
  seen = 0;

  constructor(private readonly options: PikeOptions) {
    const { maxSources, density } = options;
    // Zero-filled and untouched until used: the pages of the slots no source took cost no memory.
    this.times = new Uint32Array(maxSources * density);
    this.next = new Uint32Array(maxSources);
    this.count = new Uint32Array(maxSources);
    this.last = new Float64Array(maxSources);
    this.table = new LRUCache<string, number>({
      max: maxSources,
      dispose: (slot, _k, reason) => {
        this.free.push(slot);
        if (reason === 'evict') this.evicted++;
      },
    });
  }

  /** Counts one request from `key` at `now`; true when it makes the source go over the density. */
  hit(key: string, now: number): boolean {
    const { density, windowMs } = this.options;
    const slot = this.slotFor(key);
    // Times are kept as 32-bit offsets from the first request seen. Starting over after a silence
    // of a window keeps every kept time within density × windowMs of now, far from wrapping.
    if (now - this.last[slot]! >= windowMs) this.count[slot] = 0;
    this.last[slot] = now;
    const base = slot * density;
    const at = this.next[slot]!;
    const rel = (now - (this.epoch ??= now)) >>> 0;
    // the oldest of the last `density` requests: if it is still inside the window, this one is
    // request density + 1 within windowMs
    const over = this.count[slot] === density && ((rel - this.times[base + at]!) >>> 0) < windowMs;
    this.times[base + at] = rel;
    this.next[slot] = at + 1 === density ? 0 : at + 1;
    if (this.count[slot]! < density) this.count[slot]!++;
    return over;
  }

  /** Forget a source (after its ban, so it starts clean when the ban lifts). */
  forget(key: string): void {
    this.table.delete(key);
  }

  /** Nothing to do: this table forgot the source when it was banned. */
  release(): void {}

  get tracked(): number {
    return this.table.size;
  }

  private slotFor(key: string): number {
    const known = this.table.get(key);
    if (known !== undefined) return known;
    // Full: the least recently seen source gives up its slot (dispose counts the eviction).
    if (this.table.size >= this.options.maxSources) this.table.pop();
    const slot = this.free.pop() ?? this.fresh++;
    this.next[slot] = 0;
    this.count[slot] = 0;
    this.last[slot] = -Infinity;
    this.table.set(key, slot);
    this.seen++;
    return slot;
  }
}
