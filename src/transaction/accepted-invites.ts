/**
 * RFC 6026 keeps an INVITE server transaction in Accepted for Timer L, 64·T1 (32 s), to absorb
 * the INVITE's retransmissions. Like Kamailio, sipdispatch keeps the whole transaction only for
 * wait_timer (5 s): 32 s of every call would be a lot of memory. For the rest of Timer L only its
 * key stays, as a 53-bit hash in one of two generations (about 40 bytes, no string kept), so that a
 * caller's late retransmission (a UAC that fell seconds behind) is still absorbed, not forwarded as
 * a new call: a UAS that had answered the first one may take it for a new call, or abort the call.
 *
 * A key is kept for at least `keepMs` and at most twice that: the generations turn every `keepMs`.
 */
import { FNV_BASIS, FNV_BASIS_2, fnv1aString } from '../shared/fnv1a.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';

export class AcceptedInvites {
  private current = new Set<number>();
  private previous = new Set<number>();
  private timer: TimerHandle | undefined;

  /** `keepMs` ≤ 0 keeps nothing (wait_timer already covers Timer L). */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly keepMs: number,
  ) {}

  /** Keys kept now. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** The Accepted transaction under `key` ended by wait_timer before Timer L. */
  remember(key: string): void {
    if (this.keepMs <= 0) return;
    this.current.add(keyHash(key));
    this.timer ??= this.scheduler.setTimeout(this.turn, this.keepMs);
  }

  /** Whether an INVITE under `key` is a late retransmission of an accepted one. */
  has(key: string): boolean {
    if (this.current.size === 0 && this.previous.size === 0) return false;
    const h = keyHash(key);
    return this.current.has(h) || this.previous.has(h);
  }

  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.current.clear();
    this.previous.clear();
  }

  private readonly turn = (): void => {
    this.previous = this.current;
    this.current = new Set();
    this.timer = this.previous.size > 0 ? this.scheduler.setTimeout(this.turn, this.keepMs) : undefined;
  };
}

/** Two 32-bit FNV-1a hashes of `key` as one 53-bit number: a false match needs both to collide. */
function keyHash(key: string): number {
  return fnv1aString(key, FNV_BASIS) * 0x200000 + (fnv1aString(key, FNV_BASIS_2) & 0x1fffff);
}
