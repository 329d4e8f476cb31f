/**
 * Carries a worker thread's relay and transport events to the main thread, where metrics and
 * logging subscribe: the worker collects them in batches (posted every `intervalMs` or every
 * `maxBatch` events, whichever comes first) and the main thread publishes them again as its own.
 * Dispatcher events (destination.state, list.reload, probe.result) are the main thread's alone.
 */
import { publish, subscribe, type EventPayloads } from '../shared/events.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';

export const BRIDGED_EVENTS = [
  'request.received', 'request.relayed', 'response.sent', 'failover', 'no-destination', 'parse-error', 'dropped',
  'request.shed', 'timeout.excused', 'pressure.changed', 'transaction.evicted',
  'retransmission.held',
] as const;

export type BridgedName = (typeof BRIDGED_EVENTS)[number];

/** One event as it crosses threads: its name and payload. */
export type BridgedEvent = { [N in BridgedName]: [N, EventPayloads[N]] }[BridgedName];

export interface EventCollectorOptions {
  readonly intervalMs: number;
  readonly maxBatch: number;
}

/** Worker side: subscribes to the bridged events and posts them in batches. */
export class EventCollector {
  private batch: BridgedEvent[] = [];
  private timer: TimerHandle | undefined;
  private unsubscribers: Array<() => void> = [];

  constructor(
    private readonly post: (events: BridgedEvent[]) => void,
    private readonly scheduler: Scheduler,
    private readonly options: EventCollectorOptions,
  ) {}

  start(): void {
    this.unsubscribers = BRIDGED_EVENTS.map((name) => subscribe(name, (payload) => this.add([name, payload] as BridgedEvent)));
  }

  /** Posts what was collected (nothing when empty). */
  flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    this.post(events);
  }

  /** Unsubscribes and posts what is left. */
  stop(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.flush();
  }

  private add(event: BridgedEvent): void {
    this.batch.push(event);
    if (this.batch.length >= this.options.maxBatch) this.flush();
    else this.timer ??= this.scheduler.setTimeout(this.tick, this.options.intervalMs);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.flush();
  };
}

/** Main-thread side: publishes a worker's events as if they had happened here. */
export function republish(events: readonly BridgedEvent[]): void {
  for (const [name, payload] of events) publish(name, payload as never);
}
