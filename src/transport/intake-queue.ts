/**
 * The UDP intake (docs/overload.md, "The intake queue"). The kernel's socket queue is one FIFO: at
 * twice the rate the loop can carry, the ACKs and BYEs of admitted calls wait behind new INVITEs,
 * and once that wait passes T1 the UAS re-sends its 200s and the UAC its BYEs, work that cannot be
 * shed (the retransmission storm of bench/RESULTS.md). So new initial requests are held here, in
 * order, and handled for at most `budgetMs` per turn of the event loop: the sockets are read again
 * between turns and everything else is handled as it is read. A request that waited more than
 * `maxDelayMs` is handed on as late, and the relay refuses it with a stateless 503, as the queue
 * manager of CoDel drops by sojourn time: the wait, not a sampled rate, decides.
 */
import type { Reply } from './message-receiver.js';
import type { MessageSource } from './target.js';

export interface IntakeOptions {
  /** overload_max_queue_delay, ms: a request that waited longer is handed on late. */
  readonly maxDelayMs: number;
  /** ms spent handling held requests per turn of the event loop before the sockets are read again. */
  readonly budgetMs: number;
  /** Requests held at most; one more hands on the oldest at once. */
  readonly capacity: number;
}

export interface IntakeClock {
  /** ms, monotonic. */
  now(): number;
  /** Runs `fn` once the event loop has read its sockets again (setImmediate). */
  defer(fn: () => void): void;
}

/** Hands a request on to be parsed; `late` when it waited more than maxDelayMs. */
export type IntakeDelivery = (bytes: Buffer, source: MessageSource, reply: Reply, late: boolean) => void;

export const systemIntakeClock: IntakeClock = { now: () => performance.now(), defer: (fn) => setImmediate(fn) };

export class IntakeQueue {
  // A ring of parallel arrays: nothing allocated per held request.
  private readonly bytes: Array<Buffer | undefined>;
  private readonly sources: Array<MessageSource | undefined>;
  private readonly replies: Array<Reply | undefined>;
  private readonly since: Float64Array;
  private head = 0;
  private count = 0;
  private scheduled = false;
  private longestWait = 0;

  constructor(
    private readonly options: IntakeOptions,
    private readonly clock: IntakeClock,
    private readonly deliver: IntakeDelivery,
  ) {
    this.bytes = new Array<Buffer | undefined>(options.capacity).fill(undefined);
    this.sources = new Array<MessageSource | undefined>(options.capacity).fill(undefined);
    this.replies = new Array<Reply | undefined>(options.capacity).fill(undefined);
    this.since = new Float64Array(options.capacity);
  }

  /** Requests held now. */
  get length(): number {
    return this.count;
  }

  /** Holds a new initial request until a later turn of the event loop. */
  hold(bytes: Buffer, source: MessageSource, reply: Reply): void {
    const now = this.clock.now();
    if (this.count === this.options.capacity) this.handOldest(now);
    const at = (this.head + this.count) % this.options.capacity;
    this.bytes[at] = bytes;
    this.sources[at] = source;
    this.replies[at] = reply;
    this.since[at] = now;
    this.count++;
    if (!this.scheduled) {
      this.scheduled = true;
      this.clock.defer(this.drain);
    }
  }

  /** Hands on everything held, in order: a CANCEL must find the INVITE it cancels. */
  flush(): void {
    while (this.count > 0) this.handOldest(this.clock.now());
  }

  /** The longest wait of a request handed on since the last call, ms (read by the pressure monitor). */
  takeLongestWait(): number {
    const wait = this.longestWait;
    this.longestWait = 0;
    return wait;
  }

  private handOldest(now: number): void {
    const at = this.head;
    const bytes = this.bytes[at]!;
    const source = this.sources[at]!;
    const reply = this.replies[at]!;
    const waited = now - this.since[at]!;
    this.bytes[at] = undefined;
    this.sources[at] = undefined;
    this.replies[at] = undefined;
    this.head = (at + 1) % this.options.capacity;
    this.count--;
    if (waited > this.longestWait) this.longestWait = waited;
    this.deliver(bytes, source, reply, waited > this.options.maxDelayMs);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const start = this.clock.now();
    let now = start;
    try {
      while (this.count > 0 && now - start < this.options.budgetMs) {
        this.handOldest(now);
        now = this.clock.now();
      }
    } finally {
      if (this.count > 0 && !this.scheduled) {
        this.scheduled = true;
        this.clock.defer(this.drain);
      }
    }
  };
}
