/**
 * pike's density table in shared memory, for `workers` > 1: every thread reads the one UDP socket
 * and the kernel gives each datagram to whichever thread reads first, so a table per thread would
 * see half a source's requests each and let twice the density through. Kamailio's pike keeps one
 * table in shared memory under a lock; so does this one: a SharedArrayBuffer every thread maps,
 * with one spin lock (Atomics) around each short update.
 *
 * The same rule as Pike (pike.ts): a source is over when this request is density + 1 within the
 * window. Sources are identified by two 32-bit hashes of their key (a false match needs both to
 * collide). The table is open-addressed with a window of PROBE slots; when the window is full, the
 * source seen longest ago in it gives up its slot (counted as an eviction): an LRU per window.
 * Times are 32-bit ms offsets from the base written at allocation, compared modulo 2^32.
 *
 * The ban itself is each thread's (ban-table.ts) and reaches the other threads by message. So that
 * no request slips through meanwhile, and only one thread bans, the request that goes over holds
 * the source for a second at most (one window if shorter): every later hit() answers 'held' (the
 * caller drops it, unless the source is exempt), then the slot starts clean. forget() after a ban
 * holds it from then; release() (a ban lifted by hand) ends the hold at once.
 */
import { FNV_BASIS, FNV_BASIS_2, fnv1aString } from '../shared/fnv1a.js';
import type { DensityTable } from './pike.js';

export interface SharedDensityOptions {
  readonly density: number;
  readonly windowMs: number;
  readonly maxSources: number;
}

const PROBE = 8;
/** How long the request that goes over holds its source: the ban's message takes far less. */
const HOLD_MAX_MS = 1000;
/** Int32 words after the Float64 base: lock, tracked, evicted, seen. */
const HEADER_BYTES = 8 + 4 * 4;
const LOCK = 2;
const TRACKED = 3;
const EVICTED = 4;
const SEEN = 5;
/** Per slot: h1, h2, used, next, count, last, held, held since, then `density` times. */
const H1 = 0;
const H2 = 1;
const USED = 2;
const NEXT = 3;
const COUNT = 4;
const LAST = 5;
const HELD = 6;
const HELD_AT = 7;
const FIXED = 8;

function capacityFor(maxSources: number): number {
  let c = PROBE;
  while (c < maxSources) c *= 2;
  return c;
}

/** The shared buffer for `options`; `baseMs` is the clock's value that time offsets start from. */
export function allocateSharedDensity(options: SharedDensityOptions, baseMs: number): SharedArrayBuffer {
  const stride = FIXED + Math.max(1, options.density);
  const buffer = new SharedArrayBuffer(HEADER_BYTES + capacityFor(options.maxSources) * stride * 4);
  new Float64Array(buffer, 0, 1)[0] = baseMs;
  return buffer;
}

export class SharedDensity implements DensityTable {
  private readonly header: Int32Array;
  private readonly slots: Uint32Array;
  private readonly stride: number;
  private readonly mask: number;
  private readonly base: number;
  private readonly holdMs: number;

  /** `originMs` turns this thread's `now` into the clock `baseMs` was read from (0 when they agree). */
  constructor(private readonly options: SharedDensityOptions, buffer: SharedArrayBuffer, private readonly originMs: number) {
    this.stride = FIXED + Math.max(1, options.density);
    const capacity = capacityFor(options.maxSources);
    this.mask = capacity - 1;
    this.base = new Float64Array(buffer, 0, 1)[0]!;
    this.holdMs = Math.min(options.windowMs, HOLD_MAX_MS);
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.slots = new Uint32Array(buffer, HEADER_BYTES, capacity * this.stride);
  }

  hit(key: string, now: number): boolean | 'held' {
    const { density, windowMs } = this.options;
    let rel = this.offset(now);
    const h1 = fnv1aString(key, FNV_BASIS);
    const h2 = fnv1aString(key, FNV_BASIS_2);
    const s = this.slots;
    this.lock();
    try {
      const at = this.find(h1, h2) ?? this.claim(h1, h2, rel);
      rel = this.notBefore(at, rel);
      if (s[at + HELD] === 1) {
        if (((rel - s[at + HELD_AT]!) >>> 0) < this.holdMs) return 'held';
        s[at + HELD] = 0;
        s[at + COUNT] = 0;
      }
      if (s[at + COUNT] !== 0 && ((rel - s[at + LAST]!) >>> 0) >= windowMs) s[at + COUNT] = 0;
      s[at + LAST] = rel;
      const next = s[at + NEXT]!;
      const times = at + FIXED;
      const over = s[at + COUNT] === density && ((rel - s[times + next]!) >>> 0) < windowMs;
      s[times + next] = rel;
      s[at + NEXT] = next + 1 >= density ? 0 : next + 1;
      if (s[at + COUNT]! < density) s[at + COUNT]!++;
      if (over) {
        s[at + HELD] = 1;
        s[at + HELD_AT] = rel;
      }
      return over;
    } finally {
      this.unlock();
    }
  }

  /** After a ban: the source is held for one window from `now` (see above), then starts clean. */
  forget(key: string, now: number): void {
    this.lock();
    try {
      const at = this.find(fnv1aString(key, FNV_BASIS), fnv1aString(key, FNV_BASIS_2));
      if (at !== undefined) {
        const rel = this.notBefore(at, this.offset(now));
        this.slots[at + HELD] = 1;
        this.slots[at + HELD_AT] = rel;
        this.slots[at + LAST] = rel;
      }
    } finally {
      this.unlock();
    }
  }

  release(key: string | undefined): void {
    const s = this.slots;
    this.lock();
    try {
      if (key !== undefined) {
        const at = this.find(fnv1aString(key, FNV_BASIS), fnv1aString(key, FNV_BASIS_2));
        if (at !== undefined) this.clean(at);
        return;
      }
      for (let at = 0; at < s.length; at += this.stride) if (s[at + HELD] === 1) this.clean(at);
    } finally {
      this.unlock();
    }
  }

  private clean(at: number): void {
    this.slots[at + HELD] = 0;
    this.slots[at + COUNT] = 0;
    this.slots[at + NEXT] = 0;
  }

  get tracked(): number {
    return Atomics.load(this.header, TRACKED);
  }

  get evicted(): number {
    return Atomics.load(this.header, EVICTED);
  }

  get seen(): number {
    return Atomics.load(this.header, SEEN);
  }

  /** `now` on the shared clock, as a 32-bit ms offset from the base. */
  private offset(now: number): number {
    return Math.floor(this.originMs + now - this.base) >>> 0;
  }

  /**
   * A thread reads its clock before it takes the lock, so it may come in just behind the slot's
   * last writer: it counts as at the writer's time, not as a wrap-around 49 days on.
   */
  private notBefore(at: number, rel: number): number {
    const last = this.slots[at + LAST]!;
    const behind = (last - rel) | 0;
    return behind > 0 && behind < this.options.windowMs ? last : rel;
  }

  /** The slot's first word, or undefined. Call with the lock held. */
  private find(h1: number, h2: number): number | undefined {
    const s = this.slots;
    for (let k = 0; k < PROBE; k++) {
      const at = ((h1 + k) & this.mask) * this.stride;
      if (s[at + USED] === 1 && s[at + H1] === h1 && s[at + H2] === h2) return at;
    }
    return undefined;
  }

  /** A free slot in the window, else the one seen longest ago (an eviction). Call with the lock held. */
  private claim(h1: number, h2: number, rel: number): number {
    const s = this.slots;
    let victim = -1;
    let oldest = -1;
    for (let k = 0; k < PROBE; k++) {
      const at = ((h1 + k) & this.mask) * this.stride;
      if (s[at + USED] === 0) {
        victim = at;
        this.header[TRACKED]!++;
        break;
      }
      const age = (rel - s[at + LAST]!) >>> 0;
      if (age > oldest) {
        oldest = age;
        victim = at;
      }
    }
    if (oldest >= 0 && s[victim + USED] === 1) this.header[EVICTED]!++;
    this.header[SEEN]!++;
    s[victim + H1] = h1;
    s[victim + H2] = h2;
    s[victim + USED] = 1;
    s[victim + NEXT] = 0;
    s[victim + COUNT] = 0;
    s[victim + HELD] = 0;
    return victim;
  }

  private lock(): void {
    // The holder runs a few dozen instructions: spinning is cheaper than parking the thread.
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0);
  }

  private unlock(): void {
    Atomics.store(this.header, LOCK, 0);
  }
}
