/**
 * What a replica (a worker thread's dispatcher) needs to mirror the authoritative one: the list
 * entries when they changed, and each destination's runtime (health, rweight, latency) in snapshot
 * order (sets ascending, destinations in array order). Plain data, so it crosses threads by
 * structured clone.
 */
import type { Health } from './health.js';
import { ownLatency, type LatencyStats } from './latency-stats.js';
import type { ListEntry } from './list-parser.js';
import type { Snapshot } from './snapshot.js';

export interface RuntimeState {
  readonly health: Health;
  readonly rweight: number;
  readonly latency: LatencyStats;
}

export interface ReplicaState {
  /** The entries of the snapshot, when the replica must rebuild it (load, reload, add, remove). */
  readonly entries: readonly ListEntry[] | undefined;
  readonly runtime: readonly RuntimeState[];
}

/** Every destination's runtime, copied, in snapshot order. */
export function captureRuntime(snapshot: Snapshot): RuntimeState[] {
  const out: RuntimeState[] = [];
  for (const set of snapshot.sets.values()) {
    for (const d of set.destinations) out.push({ health: d.runtime.health, rweight: d.runtime.rweight, latency: { ...d.runtime.latency } });
  }
  return out;
}

/**
 * Overwrites the runtime of every destination of `snapshot` with `runtime` (same order). False,
 * changing nothing, when the counts differ: the replica then waits for the entries.
 */
export function applyRuntime(snapshot: Snapshot, runtime: readonly RuntimeState[]): boolean {
  let total = 0;
  for (const set of snapshot.sets.values()) total += set.destinations.length;
  if (total !== runtime.length) return false;
  let i = 0;
  for (const set of snapshot.sets.values()) {
    for (const d of set.destinations) {
      const r = runtime[i++]!;
      d.runtime.health = r.health;
      d.runtime.rweight = r.rweight;
      Object.assign(ownLatency(d.runtime), r.latency);
    }
  }
  return true;
}
