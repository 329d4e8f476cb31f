/**
 * Posts `dst-down` / `dst-up` to `webhook_url` when a destination really changes between usable
 * and unusable (Kamailio's event_route[dispatcher:dst-down|dst-up]); the initial state after a
 * load is for metrics and logs, not for the webhook. Unlike Kamailio's event routes, admin state
 * changes (set_state, drain) are posted too: the payload's code and reason tell them apart.
 *
 * Delivery is one JSON POST with Node's fetch, retried with exponential backoff up to
 * webhook_retries on network errors, timeouts, 408, 429 and 5xx. Events wait in a bounded queue
 * (webhook_queue_size) that drops its oldest event when full, and are sent one at a time, in
 * order. Nothing here blocks the publisher or throws; close() flushes with a time bound.
 */
import type { DestinationStateEvent } from '../shared/events.js';
import { subscribe } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';

export interface WebhookPayload {
  event: 'dst-down' | 'dst-up';
  set: string;
  uri: string;
  duid: string | null;
  code: number;
  reason: string;
  /** What changed the state: probe, traffic (relayed calls failing), admin or load. */
  trigger?: string;
  /** ISO 8601 time the change was seen. */
  at: string;
}

export interface WebhookNotifierOptions {
  readonly url: string;
  /** webhook_retries: attempts after the first one fails. */
  readonly retries: number;
  /** webhook_queue_size: events waiting at most (the one being sent excluded). */
  readonly queueSize: number;
  /** First retry delay, doubled on every retry up to maxBackoffMs (default 500 ms). */
  readonly backoffMs?: number;
  /** Default 30 s. */
  readonly maxBackoffMs?: number;
  /** Time limit of one POST (default 5 s). */
  readonly requestTimeoutMs?: number;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** Wall clock for `at` (default Date.now). */
  readonly now?: () => number;
}

export interface WebhookStats {
  /** Events delivered (2xx). */
  sent: number;
  /** Events given up after their retries, or refused with a 4xx. */
  failed: number;
  /** Events dropped from a full queue or left when close() ran out of time. */
  dropped: number;
  /** Events waiting. */
  queued: number;
}

type Attempt = 'ok' | 'retry' | 'refused';

export class WebhookNotifier {
  private readonly queue: WebhookPayload[] = [];
  private readonly counts = { sent: 0, failed: 0, dropped: 0 };
  private unsubscribe: (() => void) | undefined;
  private working = false;
  private closing = false;
  /** close() ran out of time: stop at once. */
  private abandoned = false;
  private request: AbortController | undefined;
  private backoff: { timer: TimerHandle; wake: () => void } | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: WebhookNotifierOptions) {}

  /** Subscribes to destination.state. */
  start(): void {
    if (this.unsubscribe || this.closing) return;
    this.unsubscribe = subscribe('destination.state', this.onState);
  }

  get stats(): WebhookStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /**
   * Stops listening and delivers what is queued, for at most `boundMs`; then aborts the request
   * in flight and drops the rest (counted and logged).
   */
  async close(boundMs = 2000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.unsubscribe?.();
    if (!this.working) return;
    let bound: TimerHandle | undefined;
    const expired = new Promise<void>((resolve) => (bound = this.options.scheduler.setTimeout(resolve, boundMs)));
    await Promise.race([this.idle(), expired]);
    bound?.cancel();
    if (!this.working) return;
    const left = this.queue.length + 1;
    this.abandoned = true;
    this.counts.dropped += left;
    this.queue.length = 0;
    this.request?.abort();
    this.wakeBackoff();
    this.options.logger.warn({ code: 'WEBHOOK_QUEUE_FULL', dropped: left, url: this.options.url }, 'webhook flush timed out, events dropped');
    await this.idle();
  }

  private readonly onState = (e: DestinationStateEvent): void => {
    if (this.closing || e.initial || !e.changed || e.previous === null) return;
    const at = new Date((this.options.now ?? Date.now)()).toISOString();
    this.push({ event: e.up ? 'dst-up' : 'dst-down', set: e.set, uri: e.uri, duid: e.duid, code: e.code, reason: e.reason, ...(e.trigger && { trigger: e.trigger }), at });
  };

  private push(payload: WebhookPayload): void {
    if (this.queue.length >= this.options.queueSize) {
      const oldest = this.queue.shift();
      this.counts.dropped++;
      this.options.logger.warn(
        { code: 'WEBHOOK_QUEUE_FULL', dropped: this.counts.dropped, event: oldest?.event, uri: oldest?.uri, set: oldest?.set },
        'webhook queue full, oldest event dropped',
      );
    }
    this.queue.push(payload);
    if (!this.working) void this.work();
  }

  /** The single sender: one event at a time, in order. */
  private async work(): Promise<void> {
    this.working = true;
    for (let p = this.queue.shift(); p !== undefined && !this.abandoned; p = this.queue.shift()) await this.deliver(p);
    this.working = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private idle(): Promise<void> {
    return this.working ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async deliver(payload: WebhookPayload): Promise<void> {
    const { retries, backoffMs = 500, maxBackoffMs = 30_000 } = this.options;
    let outcome: Attempt = 'retry';
    for (let attempt = 0; attempt <= retries && !this.abandoned; attempt++) {
      if (attempt > 0) await this.sleep(Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1)));
      if (this.abandoned) return;
      outcome = await this.post(payload);
      if (outcome !== 'retry') break;
    }
    if (this.abandoned) return;
    if (outcome === 'ok') {
      this.counts.sent++;
      return;
    }
    this.counts.failed++;
    this.options.logger.warn(
      { code: 'WEBHOOK_FAILED', url: this.options.url, event: payload.event, uri: payload.uri, set: payload.set, refused: outcome === 'refused' },
      'webhook not delivered',
    );
  }

  private async post(payload: WebhookPayload): Promise<Attempt> {
    const controller = new AbortController();
    this.request = controller;
    const timer = this.options.scheduler.setTimeout(() => controller.abort(), this.options.requestTimeoutMs ?? 5000);
    try {
      const res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: controller.signal,
      });
      // the body is not needed; cancelling it frees the connection for the next event
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return 'ok';
      return res.status >= 500 || res.status === 408 || res.status === 429 ? 'retry' : 'refused';
    } catch (e) {
      this.options.logger.debug({ err: e, url: this.options.url }, 'webhook attempt failed');
      return 'retry';
    } finally {
      timer.cancel();
      this.request = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.backoff = undefined;
        resolve();
      };
      this.backoff = { timer: this.options.scheduler.setTimeout(wake, ms), wake };
    });
  }

  private wakeBackoff(): void {
    const b = this.backoff;
    b?.timer.cancel();
    b?.wake();
  }
}
