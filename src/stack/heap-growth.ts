/**
 * How far V8 lets each thread's old generation grow between full collections. V8's default (up to
 * 4× what survived the last one) costs the least CPU; 25 % (`--heap-growing-percent=25`) keeps a
 * flood's dead transactions from piling up as RSS: they live seconds, are promoted and die in the
 * old generation. Measured (bench/RESULTS.md): 25 % holds a flood of 200,000 distinct sources to
 * < 64 MiB of RSS growth, and cost up to 12 % of the calls carried at twice the maximum rate.
 *
 * `heap_growth: auto` takes each where it pays: 25 % while pike sees sources churn (at least
 * CHURN_SOURCES new sources within CHURN_WINDOW_S, the shape of a flood of strangers or a storm of
 * phones re-registering), V8's default otherwise (a carrier's trunk and the farm are exempt from
 * pike and never churn it). `compact` is always 25 %, `default` never. The flag is process-wide,
 * read by V8 whenever it sets a heap's next limit, so the main thread alone switches it, and
 * it takes effect at each thread's next collection.
 */
import { setFlagsFromString } from 'node:v8';
import type { Config } from '../config/config-types.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';

export type HeapGrowthMode = Config['heap_growth'];

/** New sources pike must see within the window for `auto` to switch to compact growth. */
export const CHURN_SOURCES = 1000;
/** The window, in one-second buckets; it also sets how long compact growth outlasts the churn. */
export const CHURN_WINDOW_S = 30;
/** The old generation's growth while compact, percent. */
export const COMPACT_PERCENT = 25;

/** Sets V8's growth: compact (25 %) or its own default (the flag's 0). */
export function setV8HeapGrowth(compact: boolean): void {
  setFlagsFromString(`--heap-growing-percent=${compact ? COMPACT_PERCENT : 0}`);
}

export interface HeapGrowthDeps {
  /** Sources pike's table has taken so far, all threads (monotonic). */
  sourcesSeen(): number;
  /** Applies compact (true) or default (false) growth; setV8HeapGrowth in the process. */
  apply(compact: boolean): void;
  scheduler: Scheduler;
  logger: Logger;
}

export class HeapGrowth {
  /** New sources per second of the window, as a ring. */
  private readonly buckets = new Array<number>(CHURN_WINDOW_S).fill(0);
  private at = 0;
  private inWindow = 0;
  private lastSeen = 0;
  private timer: TimerHandle | undefined;
  compact = false;

  constructor(private readonly mode: HeapGrowthMode, private readonly deps: HeapGrowthDeps) {}

  start(): void {
    if (this.mode === 'compact') this.set(true, 0);
    if (this.mode !== 'auto') return;
    this.lastSeen = this.deps.sourcesSeen();
    this.arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One second's sample: the sources seen since the last one enter the window, the oldest second leaves. */
  sample(): void {
    const seen = this.deps.sourcesSeen();
    const fresh = Math.max(0, seen - this.lastSeen);
    this.lastSeen = seen;
    this.inWindow += fresh - this.buckets[this.at]!;
    this.buckets[this.at] = fresh;
    this.at = (this.at + 1) % CHURN_WINDOW_S;
    const churn = this.inWindow >= CHURN_SOURCES;
    if (churn !== this.compact) this.set(churn, this.inWindow);
  }

  private set(compact: boolean, newSources: number): void {
    this.compact = compact;
    this.deps.apply(compact);
    const fields = { heapGrowth: compact ? `${COMPACT_PERCENT} %` : 'V8 default', newSources, windowS: CHURN_WINDOW_S };
    if (this.mode === 'auto') this.deps.logger.info(fields, compact ? 'heap: compact growth while sources churn' : 'heap: default growth, sources calm');
  }

  private arm(): void {
    this.timer = this.deps.scheduler.setTimeout(() => {
      this.sample();
      this.arm();
    }, 1000);
  }
}
