/** Injected time source, so state machines are driven by fake timers in tests. */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** A Node timer as a TimerHandle: one small object per timer, no closure (timers are per transaction). */
class NodeTimerHandle implements TimerHandle {
  constructor(private readonly timer: ReturnType<typeof setTimeout>) {}

  cancel(): void {
    clearTimeout(this.timer);
  }
}

/** The real scheduler: monotonic clock and unref'd Node timers. */
export const systemScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return new NodeTimerHandle(t);
  },
};

/** A manual scheduler for tests: time moves only when `advance` is called. */
export class ManualScheduler implements Scheduler {
  private time = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return { cancel: () => void this.timers.delete(id) };
  }

  /** Advance the clock by `ms`, firing due timers in time order (ties in creation order). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.time = t.at;
      t.fn();
    }
    this.time = end;
  }

  get pending(): number {
    return this.timers.size;
  }
}
