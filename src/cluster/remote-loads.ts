/**
 * The calls other instances hold, as they published them: one entry per instance, replaced by
 * each publication and dropped when the instance leaves or falls silent for a TTL, and their sum
 * per destination (loadKey) kept ready for algorithm 10. A dead instance never leaves a load
 * behind, unlike a shared counter.
 */
import type { LoadRecord } from './cluster-port.js';

export class RemoteLoads {
  private readonly byOrigin = new Map<string, { loads: Readonly<Record<string, number>>; receivedAt: number }>();
  private readonly totals = new Map<string, number>();

  /** Sum over the other instances for one loadKey (the hot path reads it). */
  readonly total = (key: string): number => this.totals.get(key) ?? 0;

  /** An instance's publication replaces its previous one. */
  receive(r: LoadRecord, now: number): void {
    this.drop(r.origin);
    this.byOrigin.set(r.origin, { loads: r.loads, receivedAt: now });
    for (const [key, n] of Object.entries(r.loads)) if (n > 0) this.totals.set(key, (this.totals.get(key) ?? 0) + n);
  }

  /** Drops the loads of instances silent for `ttlMs`. */
  expire(now: number, ttlMs: number): void {
    for (const [origin, entry] of this.byOrigin) if (now - entry.receivedAt >= ttlMs) this.drop(origin);
  }

  drop(origin: string): void {
    const entry = this.byOrigin.get(origin);
    if (!entry) return;
    this.byOrigin.delete(origin);
    for (const [key, n] of Object.entries(entry.loads)) {
      if (!(n > 0)) continue;
      const rest = (this.totals.get(key) ?? 0) - n;
      if (rest > 0) this.totals.set(key, rest);
      else this.totals.delete(key);
    }
  }

  clear(): void {
    this.byOrigin.clear();
    this.totals.clear();
  }
}
