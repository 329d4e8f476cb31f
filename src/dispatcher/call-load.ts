/**
 * The call-load table of algorithm 10 (ds_ht.c): Call-ID → (set, duid). A call is added when an
 * INVITE selects a destination, confirmed by a 2xx (which, unlike Kamailio, refreshes its expiry so
 * long calls keep their load), and released by BYE, CANCEL, a failure or expiry. Loads are keyed
 * by (set, duid) like Kamailio, never go below zero, and outlive list reloads.
 */

export interface CallLoadCell {
  readonly callId: string;
  readonly setId: number;
  readonly duid: string;
  confirmed: boolean;
  /** Time (the caller's clock, ms) after which expire() drops the call. */
  expires: number;
}

export interface CallLoadOptions {
  /** Lifetime of a confirmed call after its last confirmation (ds_hash_expire, in ms). */
  readonly expireMs: number;
  /** Lifetime of a call that has not been confirmed yet (ds_hash_initexpire, in ms). */
  readonly initExpireMs: number;
}

/** The key of one destination's load; duids compare case-insensitively, as in Kamailio. */
export function loadKey(setId: number, duid: string): string {
  return `${setId}\u0000${duid.toLowerCase()}`;
}

export class CallLoadTable {
  private readonly cells = new Map<string, CallLoadCell>();
  private readonly loads = new Map<string, number>();

  constructor(private readonly options: CallLoadOptions) {}

  /** Active calls of one destination, by its loadKey(). */
  load(key: string): number {
    return this.loads.get(key) ?? 0;
  }

  /** Counts a new call; false (and nothing changes) when the Call-ID is already counted. */
  add(callId: string, setId: number, duid: string, now: number): boolean {
    if (this.cells.has(callId)) return false;
    this.cells.set(callId, { callId, setId, duid, confirmed: false, expires: now + this.options.initExpireMs });
    this.bump(loadKey(setId, duid), 1);
    return true;
  }

  /** A 2xx to the INVITE: the call is confirmed and lives expireMs from now. */
  confirm(callId: string, now: number): boolean {
    const cell = this.cells.get(callId);
    if (!cell) return false;
    cell.confirmed = true;
    cell.expires = now + this.options.expireMs;
    return true;
  }

  /** BYE, CANCEL or a failed INVITE: the call no longer counts. */
  release(callId: string): CallLoadCell | undefined {
    const cell = this.cells.get(callId);
    if (!cell) return undefined;
    this.cells.delete(callId);
    this.bump(loadKey(cell.setId, cell.duid), -1);
    return cell;
  }

  /** Failover moved the call to another destination of the set (ds_load_replace). */
  replace(callId: string, duid: string, now: number): boolean {
    const cell = this.release(callId);
    if (!cell) return false;
    return this.add(callId, cell.setId, duid, now);
  }

  /** Drops every call whose expiry is at or before `now`; returns them. */
  expire(now: number): CallLoadCell[] {
    const gone: CallLoadCell[] = [];
    for (const cell of this.cells.values()) {
      if (cell.expires <= now) gone.push(cell);
    }
    for (const cell of gone) this.release(cell.callId);
    return gone;
  }

  /** Active calls by loadKey() (only keys with calls). */
  byKey(): ReadonlyMap<string, number> {
    return this.loads;
  }

  clear(): void {
    this.cells.clear();
    this.loads.clear();
  }

  private bump(key: string, delta: number): void {
    const next = Math.max(0, (this.loads.get(key) ?? 0) + delta);
    if (next === 0) this.loads.delete(key);
    else this.loads.set(key, next);
  }
}
