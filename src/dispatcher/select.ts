/**
 * Destination selection (ds_manage_routes, dispatch.c): an algorithm gives a start index, linear
 * probing skips unusable entries, and the result is the ordered candidate list: the pick, then the
 * usable entries after it, then those before it, then the use_default entry, capped by `limit`.
 * Pure apart from the per-set cursors (round robin, weight table, smooth weights) it advances.
 */
import { isUsable } from './flags.js';
import { hashTrimmed } from './hash.js';
import type { Destination, DestinationSet, Snapshot } from './snapshot.js';
import { uriHash } from './uri-hash.js';
import { smoothWeightedPick, WEIGHT_SLOTS } from './weights.js';

/** What the relay extracts from a request. Wire strings (byte strings, see src/sip/message.ts). */
export interface SelectionKey {
  callId: string;
  fromUri: string;
  toUri: string;
  ruri: string;
  /** Digest username (Proxy-Authorization first, else Authorization); its user part is hashed. */
  authUser?: string;
  /** Algorithm 7's value (Kamailio's hash_pvar output). */
  hashValue?: string;
  isInvite: boolean;
}

export type HashFailover = 'neighbour' | 'spread';

export interface SelectOptions {
  /** Most candidates returned; 0 or less = unlimited (Kamailio's limit 0). */
  limit: number;
  /** The set's last entry is kept as the fallback of last resort (Kamailio's use_default). */
  useDefault: boolean;
  /**
   * A hash algorithm's pick is down: `neighbour` takes the next live entry (Kamailio, so one
   * neighbour gets all of it); `spread` spreads those keys over the live entries by rendezvous
   * hashing. Keys of live destinations never move either way.
   */
  hashFailover: HashFailover;
  /** Algorithm 6 (and nothing else); Math.random when absent. */
  random?: () => number;
  /** Algorithm 10: active calls of a destination; every destination counts 0 when absent. */
  callLoad?: (d: Destination) => number;
}

const usableAt = (dests: readonly Destination[], i: number): boolean => isUsable(dests[i]!.runtime.health.state);

/** Murmur3's finalizer: a cheap 32-bit bijection with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The user part (before '@') of a digest username, hashed trimmed; 0 when there is none. */
function authUserHash(authUser: string | undefined): number {
  if (authUser === undefined) return 0;
  const at = authUser.indexOf('@');
  return hashTrimmed(authUser, 0, at < 0 ? authUser.length : at);
}

/** The Kamailio hash of the key a hash algorithm uses; 0 = no key (algorithm 5 then does round robin). */
function hashKey(algorithm: number, key: SelectionKey): number {
  switch (algorithm) {
    case 0:
      return hashTrimmed(key.callId) || 1;
    case 1:
      return uriHash(key.fromUri);
    case 2:
      return uriHash(key.toUri);
    case 3:
      return uriHash(key.ruri);
    case 5:
      return authUserHash(key.authUser);
    case 7:
      return key.hashValue === undefined ? 0 : hashTrimmed(key.hashValue);
    default:
      return 0;
  }
}

/** Round robin: take `last` and move it on (ds_manage_routes, DS_ALG_ROUNDROBIN). */
function roundRobin(set: DestinationSet): number {
  const i = set.cursor.last;
  set.cursor.last = (i + 1) % set.destinations.length;
  return i;
}

/** ds_get_leastloaded: the fewest active calls among usable entries under maxload; -1 if none. */
function leastLoaded(set: DestinationSet, m: number, callLoad: ((d: Destination) => number) | undefined): number {
  let best = -1;
  let bestLoad = Infinity;
  for (let i = 0; i < m; i++) {
    const d = set.destinations[i]!;
    if (!isUsable(d.runtime.health.state)) continue;
    const load = callLoad ? callLoad(d) : 0;
    if (d.attrs.maxload !== 0 && load >= d.attrs.maxload) continue;
    if (load < bestLoad) {
      best = i;
      bestLoad = load;
    }
  }
  return best;
}

function relativeWeight(set: DestinationSet, m: number): number {
  const w = set.scratch;
  for (let i = 0; i < set.destinations.length; i++) {
    const d = set.destinations[i]!;
    w[i] = i < m && isUsable(d.runtime.health.state) ? d.runtime.rweight : 0;
  }
  return Math.max(0, smoothWeightedPick(w, set.swrrCredit));
}

/** The start index of a non-hash algorithm before probing; -1 = nothing can be selected. */
function startIndex(set: DestinationSet, algorithm: number, key: SelectionKey, options: SelectOptions, m: number): number {
  switch (algorithm) {
    case 4:
      return roundRobin(set);
    case 6:
      return Math.floor((options.random ?? Math.random)() * m);
    case 9: {
      const i = set.weightTable[set.cursor.wlast]!;
      set.cursor.wlast = (set.cursor.wlast + 1) % WEIGHT_SLOTS;
      return i;
    }
    case 10:
      return key.isInvite ? leastLoaded(set, m, options.callLoad) : 0;
    case 11:
      return relativeWeight(set, m);
    case 14:
      return set.roundRobinPriority ? roundRobin(set) : 0;
    default:
      return 0;
  }
}

/** Linear probing from `slot` over the first m entries, then the use_default entry; -1 if none. */
function probe(dests: readonly Destination[], slot: number, m: number, useDefault: boolean): number {
  let i = slot;
  while (!usableAt(dests, i)) {
    i = (i + 1) % m;
    if (i === slot) {
      const last = dests.length - 1;
      return useDefault && usableAt(dests, last) ? last : -1;
    }
  }
  return i;
}

/** Rendezvous (highest random weight) over the usable entries among the first m; -1 if none. */
function rendezvous(dests: readonly Destination[], h: number, m: number): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < m; i++) {
    if (!usableAt(dests, i)) continue;
    const score = fmix32((h ^ dests[i]!.seed) >>> 0);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/** Failover order (ds_manage_routes_fill_xavp): the pick, after it, before it, then the default. */
function candidates(set: DestinationSet, picked: number, options: SelectOptions, skipFull: boolean): Destination[] {
  const dests = set.destinations;
  const nr = dests.length;
  const limit = options.limit > 0 ? options.limit : Infinity;
  const last = options.useDefault ? nr - 1 : -1;
  const out: Destination[] = [dests[picked]!];
  for (let k = 1; k < nr && out.length < limit; k++) {
    const i = (picked + k) % nr;
    if (i === last || !usableAt(dests, i)) continue;
    const d = dests[i]!;
    if (skipFull && d.attrs.maxload !== 0 && (options.callLoad?.(d) ?? 0) >= d.attrs.maxload) continue;
    out.push(d);
  }
  if (last >= 0 && picked !== last && out.length < limit && usableAt(dests, last)) out.push(dests[last]!);
  return out;
}

/** Algorithm 12: every usable destination, in array order (Kamailio forks to all, even down ones). */
function parallel(set: DestinationSet, options: SelectOptions): Destination[] {
  const limit = options.limit > 0 ? options.limit : Infinity;
  const out: Destination[] = [];
  for (const d of set.destinations) {
    if (out.length >= limit) break;
    if (isUsable(d.runtime.health.state)) out.push(d);
  }
  return out;
}

/** Algorithm 13's priority: the set priority less a latency handicap (ds_manage_route_algo13). */
function latencyPriority(d: Destination): number {
  const s = d.runtime.latency;
  const latency = Math.trunc(d.attrs.congestionControl ? s.estimate - s.average : s.estimate);
  const handicap = latency > d.priority && d.priority > 0 ? Math.trunc(latency / d.priority) : 0;
  const p = d.priority - handicap;
  return p < 1 && d.priority > 0 ? 1 : p;
}

/** Algorithm 13: usable entries from `last` on, stably sorted by latency-adjusted priority. */
function latencyOrdered(set: DestinationSet, options: SelectOptions, m: number): Destination[] {
  const dests = set.destinations;
  const order: number[] = [];
  for (let k = 0; k < m; k++) {
    const i = (set.cursor.last + k) % m;
    if (usableAt(dests, i)) order.push(i);
  }
  const prio = set.scratch;
  for (const i of order) prio[i] = latencyPriority(dests[i]!);
  order.sort((a, b) => prio[b]! - prio[a]!);
  const first = order[0];
  const last = dests.length - 1;
  if (first === undefined) return options.useDefault && usableAt(dests, last) ? [dests[last]!] : [];
  set.cursor.last = (first + 1) % dests.length;
  const limit = options.limit > 0 ? options.limit : Infinity;
  const out = order.slice(0, limit).map((i) => dests[i]!);
  if (options.useDefault && m < dests.length && out.length < limit && usableAt(dests, last)) out.push(dests[last]!);
  return out;
}

/**
 * Selects from set `setId` with Kamailio algorithm `algorithm` (0-14; others act as 8, like
 * Kamailio's "not implemented - using first entry"). Returns the ordered candidates: the first is
 * the pick, the rest the failover order; empty when nothing can be selected.
 */
export function select(snapshot: Snapshot, setId: number, algorithm: number, key: SelectionKey, options: SelectOptions): Destination[] {
  const set = snapshot.sets.get(setId);
  if (!set) return [];
  const dests = set.destinations;
  const nr = dests.length;
  const m = options.useDefault && nr !== 1 ? nr - 1 : nr;
  if (algorithm === 12) return parallel(set, options);
  if (algorithm === 13) return latencyOrdered(set, options, m);
  let h = hashKey(algorithm, key);
  // Deliberately unlike Kamailio, where ds_select fails and the script usually answers 500: a
  // key that cannot be computed (a tel: To, an empty hash_value) hashes the Call-ID instead, so
  // the call still reaches a live destination (README, "Differences from Kamailio").
  if (h === 0 && (algorithm <= 3 || algorithm === 7)) h = hashKey(0, key);
  const hashed = h !== 0;
  const start = hashed ? h % m : startIndex(set, algorithm === 5 ? 4 : algorithm, key, options, m);
  if (start < 0) return [];
  const slot = start % m;
  let picked: number;
  if (hashed && options.hashFailover === 'spread' && !usableAt(dests, slot)) {
    picked = rendezvous(dests, h, m);
    if (picked < 0) picked = options.useDefault && usableAt(dests, nr - 1) ? nr - 1 : -1;
  } else picked = probe(dests, slot, m, options.useDefault);
  if (picked < 0) return [];
  // round robin goes on after the entry actually used
  if (algorithm === 4 || (algorithm === 5 && !hashed) || (algorithm === 14 && set.roundRobinPriority)) set.cursor.last = (picked + 1) % nr;
  return candidates(set, picked, options, algorithm === 10 && key.isInvite);
}
