/** Injected time source, so state machines are driven by fake timers in tests. */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /**
   * Run `fn(arg)` once after `ms` milliseconds. With `fn` defined once at module or class level and
   * the owner as `arg`, arming a timer builds no closure per owner (transactions are per call).
   */
  setTimeout<T>(fn: (arg: T) => void, ms: number, arg: T): TimerHandle;
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
  setTimeout(fn: (arg?: unknown) => void, ms: number, arg?: unknown): TimerHandle {
    // Node passes extra arguments through to the callback natively; none means no argument array.
    const t = arg === undefined ? setTimeout(fn, ms) : setTimeout(fn, ms, arg);
    t.unref?.();
    return new NodeTimerHandle(t);
  },
};

/** A ManualScheduler timer, its own cancel handle. `fn` is dropped once fired or cancelled. */
class ManualTimer implements TimerHandle {
  constructor(
    readonly at: number,
    readonly seq: number,
    public fn: ((arg: unknown) => void) | undefined,
    public arg: unknown,
  ) {}

  cancel(): void {
    this.fn = undefined;
    this.arg = undefined;
  }
}

/** Due first: earlier time, then earlier creation. */
const before = (a: ManualTimer, b: ManualTimer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * A manual scheduler for tests and benches: time moves only when `advance` is called. Timers sit
 * in a binary min-heap, so a clock with thousands of pending timers stays cheap; a cancelled timer
 * stays in the heap, emptied, until its time comes.
 */
export class ManualScheduler implements Scheduler {
  private time = 0;
  private seq = 0;
  private readonly heap: ManualTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle;
  setTimeout<T>(fn: (arg: T) => void, ms: number, arg: T): TimerHandle;
  setTimeout(fn: (arg: unknown) => void, ms: number, arg?: unknown): TimerHandle {
    const timer = new ManualTimer(this.time + Math.max(0, ms), ++this.seq, fn, arg);
    this.push(timer);
    return timer;
  }

  /** Advance the clock by `ms`, firing due timers in time order (ties in creation order). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let next = this.heap[0]; next !== undefined && next.at <= end; next = this.heap[0]) {
      this.pop();
      const { fn, arg } = next;
      if (fn === undefined) continue;
      next.cancel();
      this.time = next.at;
      fn(arg);
    }
    this.time = end;
  }

  /** Timers armed and neither fired nor cancelled. */
  get pending(): number {
    let n = 0;
    for (const t of this.heap) if (t.fn !== undefined) n++;
    return n;
  }

  private push(timer: ManualTimer): void {
    const heap = this.heap;
    let i = heap.push(timer) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
