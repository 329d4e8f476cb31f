/**
 * An immutable snapshot of the loaded list: sets in id order, destinations in Kamailio's array
 * order, plus the small mutable runtime each destination and set carries (health, latency,
 * cursors). A reload builds a new snapshot and, unless asked to reset, carries the runtime of
 * destinations that persist (same set and URI, case-insensitive) into it.
 */
import type { DestinationAttrs } from './attrs.js';
import { loadKey } from './call-load.js';
import { flagsToState } from './flags.js';
import { kamailioHash } from './hash.js';
import { restingHealth, type Health } from './health.js';
import { initialLatency, type LatencyStats } from './latency-stats.js';
import type { DestinationUri, ListEntry } from './list-parser.js';
import { buildWeightTable } from './weights.js';

/** What changes at run time for one destination. */
export interface DestinationRuntime {
  health: Health;
  /** rweight in force: the attribute, rewritten by congestion control (cc=1). */
  rweight: number;
  /** NO_LATENCY (shared) until a keepalive is measured or `latency=` seeds it. */
  latency: LatencyStats;
  /** When the prober last asked for this destination (caller's clock), if ever. */
  lastProbeAt: number | undefined;
}

export interface Destination {
  readonly setId: number;
  /** Position in the set's array (Kamailio's IDX): priority descending, ties in reverse file order. */
  readonly index: number;
  /** Internal unique id (Kamailio's IUID); kept across reloads while the destination persists. */
  readonly iuid: string;
  readonly uri: string;
  readonly target: DestinationUri;
  /** The flags column of the file. */
  readonly flags: number;
  readonly priority: number;
  readonly attrs: DestinationAttrs;
  /** loadKey(setId, duid) for the call-load table; undefined without a duid. */
  readonly loadKey: string | undefined;
  /** Stable per-destination seed for rendezvous hashing (hash_failover: spread). */
  readonly seed: number;
  readonly line: number;
  readonly runtime: DestinationRuntime;
}

/** Per-set selection state (Kamailio keeps the same fields in ds_set_t). */
export interface SetCursor {
  /** Round robin position (`last`), shared by algorithms 4, 5, 13 and 14. */
  last: number;
  /** Position in the weight table (`wlast`). */
  wlast: number;
}

export interface DestinationSet {
  readonly id: number;
  readonly destinations: readonly Destination[];
  /** Algorithm 9's shuffled 100-slot table. */
  readonly weightTable: Uint32Array;
  /** Algorithm 14: every entry shares one priority > 0, so it runs round robin, else priority. */
  readonly roundRobinPriority: boolean;
  readonly cursor: SetCursor;
  /** Algorithm 11's smooth weighted round robin credits, and scratch space for its weights. */
  readonly swrrCredit: Float64Array;
  readonly scratch: Float64Array;
}

export interface Snapshot {
  /** Increases with every load; part of new destinations' iuid. */
  readonly generation: number;
  /** Sets by id, iterated in ascending id order. */
  readonly sets: ReadonlyMap<number, DestinationSet>;
  readonly byIuid: ReadonlyMap<string, Destination>;
  /** The entries as loaded, in file order. */
  readonly entries: readonly ListEntry[];
}

export interface SnapshotDiff {
  readonly added: readonly Destination[];
  readonly removed: readonly Destination[];
  /** Destinations present before and after, with the previous one. */
  readonly kept: readonly { readonly previous: Destination; readonly current: Destination }[];
}

export interface BuildOptions {
  /** Carry health, latency and rweight of persisting destinations (false: Kamailio's reset). */
  readonly keepState: boolean;
  /** Shuffles the weight tables. */
  readonly random: () => number;
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ generation: 0, sets: new Map(), byIuid: new Map(), entries: [] });

const identityKey = (setId: number, uri: string): string => `${setId} ${uri.toLowerCase()}`;

function freshRuntime(e: ListEntry): DestinationRuntime {
  return {
    health: restingHealth(flagsToState(e.flags)),
    rweight: e.attrs.rweight,
    latency: initialLatency(e.attrs.latency),
    lastProbeAt: undefined,
  };
}

/**
 * The runtime a persisting destination keeps, written into `into`. If its flags column changed,
 * the operator's new flags win over the carried health; a changed weight or rweight resets the
 * rweight in force. Run again at the swap of a sliced build, so what changed meanwhile carries.
 */
function carryRuntime(into: DestinationRuntime, e: ListEntry, previous: Destination): void {
  const prev = previous.runtime;
  const sameFlags = previous.flags === e.flags;
  const sameWeights = previous.attrs.rweight === e.attrs.rweight && previous.attrs.weight === e.attrs.weight;
  into.health = sameFlags ? prev.health : restingHealth(flagsToState(e.flags));
  into.rweight = sameWeights ? prev.rweight : e.attrs.rweight;
  into.latency = prev.latency;
  into.lastProbeAt = prev.lastProbeAt;
}

/**
 * Carries the runtime of every kept destination again, from the previous destinations as they
 * are now: a sliced build lets probes, set_state and congestion control run between its slices.
 */
export function recarry(diff: SnapshotDiff): void {
  for (const { previous, current } of diff.kept) carryRuntime(current.runtime, current, previous);
}

function buildSet(id: number, ordered: Destination[], random: () => number): DestinationSet {
  const first = ordered[0]?.priority ?? 0;
  return {
    id,
    destinations: Object.freeze(ordered),
    weightTable: buildWeightTable(
      ordered.map((d) => d.attrs.weight),
      random,
    ),
    roundRobinPriority: first > 0 && ordered.every((d) => d.priority === first),
    cursor: { last: 0, wlast: 0 },
    swrrCredit: new Float64Array(ordered.length),
    scratch: new Float64Array(ordered.length),
  };
}

export interface BuiltSnapshot {
  readonly snapshot: Snapshot;
  readonly diff: SnapshotDiff;
  /** The snapshot the state was carried from (a sliced build must swap only while it is current). */
  readonly previous: Snapshot;
}

/** Builds the snapshot for `entries`, carrying state from `previous` as `options` ask. */
export function buildSnapshot(entries: readonly ListEntry[], previous: Snapshot, options: BuildOptions): BuiltSnapshot {
  const steps = buildSnapshotSteps(entries, previous, options, Number.POSITIVE_INFINITY);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * buildSnapshot cut into steps: it pauses (yields) after about every `slice` destinations, so a
 * large list builds while the event loop keeps running. The snapshot's `entries` are its
 * destinations in file order (a destination is a ListEntry too): no second copy of the list.
 */
export function* buildSnapshotSteps(entries: readonly ListEntry[], previous: Snapshot, options: BuildOptions, slice: number): Generator<void, BuiltSnapshot> {
  const generation = previous.generation + 1;
  const olds = new Map<string, Destination[]>();
  let done = 0;
  // previous destinations by identity; duplicates are matched in array order
  for (const set of previous.sets.values()) {
    for (const d of set.destinations) {
      const key = identityKey(d.setId, d.uri);
      const list = olds.get(key);
      if (list) list.push(d);
      else olds.set(key, [d]);
      if (++done % slice === 0) yield;
    }
  }
  const bySet = new Map<number, number[]>();
  entries.forEach((e, i) => {
    const list = bySet.get(e.setId);
    if (list) list.push(i);
    else bySet.set(e.setId, [i]);
  });
  const sets = new Map<number, DestinationSet>();
  const byIuid = new Map<string, Destination>();
  const fileOrder = new Array<Destination>(entries.length);
  const added: Destination[] = [];
  const kept: { previous: Destination; current: Destination }[] = [];
  for (const id of [...bySet.keys()].sort((a, b) => a - b)) {
    // Kamailio's array order: priority descending, equal priority in reverse file order
    const order = (bySet.get(id) ?? []).reverse().sort((a, b) => (entries[b]?.priority ?? 0) - (entries[a]?.priority ?? 0));
    const ordered: Destination[] = [];
    for (const position of order) {
      const e = entries[position];
      if (e === undefined) continue;
      const index = ordered.length;
      // no key is built when nothing can persist (the start-up load)
      const old = olds.size === 0 ? undefined : olds.get(identityKey(id, e.uri))?.shift();
      const runtime = freshRuntime(e);
      if (old && options.keepState) carryRuntime(runtime, e, old);
      const d: Destination = Object.freeze({
        setId: id,
        index,
        iuid: old?.iuid ?? `${generation}.${id}.${index}`,
        uri: e.uri,
        target: e.target,
        flags: e.flags,
        priority: e.priority,
        attrs: e.attrs,
        loadKey: e.attrs.duid === undefined ? undefined : loadKey(id, e.attrs.duid),
        // join builds the text flat: a template's chain of pieces would be flattened again to hash it
        seed: kamailioHash([id, e.uri].join(' ')),
        line: e.line,
        runtime,
      });
      if (old) kept.push({ previous: old, current: d });
      else added.push(d);
      byIuid.set(d.iuid, d);
      ordered.push(d);
      fileOrder[position] = d;
      if (++done % slice === 0) yield;
    }
    sets.set(id, buildSet(id, ordered, options.random));
  }
  const removed = [...olds.values()].flat();
  const snapshot: Snapshot = Object.freeze({ generation, sets, byIuid, entries: Object.freeze(fileOrder) });
  return { snapshot, diff: { added, removed, kept }, previous };
}
