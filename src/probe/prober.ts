/**
 * Health probing (Kamailio's ds_check_timer / ds_ping_set / ds_options_callback): every
 * ds_ping_interval, a ds_ping_method keepalive (OPTIONS) to each destination the dispatcher names
 * as a probe target under ds_probing_mode, on a non-INVITE client transaction whose Timer F is
 * ds_ping_fr_timer (or fr_timer when 0). The outcome goes back into the dispatcher, which applies
 * the thresholds and latency statistics and publishes `destination.state`; the prober publishes
 * `probe.result`. It does no socket I/O: it sends through the transaction layer and resolves
 * names through the function it is given.
 *
 * Time to mark a dead destination down, for a ping timeout below the interval:
 *   ds_ping_interval × ds_probing_threshold + ping timeout (ds_ping_fr_timer, else fr_timer)
 * With the defaults (10 s, 1, fr_timer 5 s) that is 15 s. A ping still pending when its next slot
 * comes is skipped (no pile-up), so a timeout longer than the interval stretches the period.
 *
 * Pings are spread over the interval: of the n targets listed at the start of a round, target i is
 * pinged at offset i·interval/n, and p-queue bounds how many are in flight (ds_ping_concurrency).
 */
import PQueue from 'p-queue';
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import { isProbeTarget, isReplyOk, type HealthConfig } from '../dispatcher/health.js';
import type { Destination } from '../dispatcher/snapshot.js';
import { publish, type Transport } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';
import type { SipResponse } from '../sip/message.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { ClientTimeouts } from '../transaction/transaction-types.js';
import type { ClientTransaction, ClientTransactionHandlers } from '../transaction/transactions.js';
import { buildPing, pingHop, pingTag, tagDestinationId, type PingHop } from './ping-request.js';

export interface ProberOptions {
  /** ds_ping_interval in ms; 0 = no periodic pings (pingNow still works). */
  readonly intervalMs: number;
  /** ds_ping_method. */
  readonly method: string;
  /** ds_ping_from; a destination's ping_from attribute wins. */
  readonly from: string;
  /** ds_ping_fr_timer in ms; 0 = the transaction layer's fr_timer. */
  readonly frTimerMs: number;
  /** ds_ping_concurrency: most pings in flight at once. */
  readonly concurrency: number;
  /** The HealthConfig the Dispatcher was given (probing mode, reply codes). */
  readonly health: HealthConfig;
}

/** What the prober uses of the dispatcher facade. */
export type ProbeDispatcher = Pick<Dispatcher, 'snapshot' | 'pingActive' | 'probeTargets' | 'recordProbeResult'>;

export interface ProberDeps {
  readonly dispatcher: ProbeDispatcher;
  readonly transactions: Pick<TransactionLayer, 'createClient'>;
  readonly scheduler: Scheduler;
  /** Our Via value for `transport` with `branch`. */
  readonly localVia: (transport: Transport, branch: string) => string;
  /** Host name to address; IP literals may come back synchronously. */
  readonly resolve: (host: string) => string | Promise<string>;
  readonly logger: Logger;
  /** For the From-tag suffix; default Math.random. */
  readonly random?: () => number;
}

interface InFlight {
  readonly dst: Destination;
  readonly sentAt: number;
  tx: ClientTransaction | undefined;
  /** Ends the p-queue task. */
  readonly done: () => void;
}

const SEND_FAILED_CODE = 500;
const SEND_FAILED_REASON = 'Sending keepalive failed';
const TIMEOUT_CODE = 408;
const TIMEOUT_REASON = 'Request Timeout';

export class Prober implements ClientTransactionHandlers {
  /** A ping re-sends its OPTIONS (Timer E) while this thread is behind: a lost reply must not mark a healthy destination down. */
  readonly retransmitsUnderPressure = true;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private readonly queue: PQueue;
  /** Pings in flight by Via branch: set before the transaction exists, a send error may come at once. */
  private readonly inflight = new Map<string, InFlight>();
  /** Destinations (iuid) with a ping queued or in flight: another one is skipped. */
  private readonly busy = new Set<string>();
  private readonly timeouts: ClientTimeouts;
  private readonly random: () => number;
  private round: readonly Destination[] = [];
  private roundStart = 0;
  private nextIndex = 0;
  private timer: TimerHandle | undefined;
  private skips = 0;

  constructor(
    private readonly options: ProberOptions,
    private readonly deps: ProberDeps,
  ) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.timeouts = options.frTimerMs > 0 ? { frTimer: options.frTimerMs } : {};
    this.random = deps.random ?? Math.random;
  }

  /** dispatcher.ping_active: off, no ping is sent (in-flight ones finish). */
  get pingActive(): boolean {
    return this.deps.dispatcher.pingActive;
  }

  set pingActive(on: boolean) {
    this.deps.dispatcher.pingActive = on;
  }

  /** Pings queued or in flight. */
  get pending(): number {
    return this.busy.size;
  }

  /** Pings skipped because the previous one to the same destination was still pending. */
  get skipped(): number {
    return this.skips;
  }

  /** Starts the periodic rounds (none when the interval is 0). */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    if (this.options.intervalMs > 0) this.beginRound(this.deps.scheduler.now());
  }

  /** Pings every current target at once (still bounded and without pile-up); returns how many were queued. */
  pingNow(): number {
    if (!this.accepting) return 0;
    let queued = 0;
    for (const d of this.deps.dispatcher.probeTargets()) if (this.enqueue(d)) queued++;
    return queued;
  }

  /** Resolves once no ping is queued or in flight. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  /**
   * Cancels the rounds and the queued pings, waits up to `boundMs` for those in flight, then
   * abandons the rest: their transactions are aborted and late replies are ignored.
   */
  async stop(boundMs = 1000): Promise<void> {
    if (!this.accepting) return;
    this.state = 'stopping';
    this.timer?.cancel();
    this.timer = undefined;
    this.queue.clear();
    if (this.queue.pending > 0) {
      let bound: TimerHandle | undefined;
      const expired = new Promise<void>((resolve) => (bound = this.deps.scheduler.setTimeout(resolve, boundMs)));
      await Promise.race([this.queue.onPendingZero(), expired]);
      bound?.cancel();
    }
    for (const entry of this.inflight.values()) {
      entry.tx?.abort();
      entry.done();
    }
    this.inflight.clear();
    this.busy.clear();
    this.state = 'stopped';
  }

  private get accepting(): boolean {
    return this.state === 'idle' || this.state === 'running';
  }

  onResponse(tx: ClientTransaction, res: SipResponse): void {
    if (res.status < 200) return;
    const entry = this.take(tx);
    if (entry === undefined) return;
    // The branch matched; the From-tag must name the same entry, or the reply is not ours to count.
    const id = tagDestinationId(res.from.tag);
    if (id !== entry.dst.iuid) {
      this.deps.logger.warn({ uri: entry.dst.uri, set: entry.dst.setId, tag: res.from.tag }, 'keepalive reply with a foreign From-tag ignored');
      return;
    }
    this.finish(entry.dst, res.status, res.reason, entry.sentAt, true);
  }

  onTimeout(tx: ClientTransaction): void {
    const entry = this.take(tx);
    if (entry !== undefined) this.finish(entry.dst, TIMEOUT_CODE, TIMEOUT_REASON, entry.sentAt, false);
  }

  onTransportError(tx: ClientTransaction, err: Error): void {
    const entry = this.take(tx);
    if (entry !== undefined) this.sendFailed(entry.dst, entry.sentAt, err);
  }

  private beginRound(start: number): void {
    this.roundStart = start;
    this.round = this.deps.dispatcher.probeTargets();
    this.nextIndex = 0;
    this.tick();
  }

  /** Queues the pings whose slot has come, then sleeps until the next slot or the next round. */
  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.state !== 'running') return;
    const now = this.deps.scheduler.now();
    const { intervalMs } = this.options;
    const roundEnd = this.roundStart + intervalMs;
    // fixed-rate rounds; after a long stall (event loop blocked) start afresh from now
    if (now >= roundEnd) return this.beginRound(now - roundEnd >= intervalMs ? now : roundEnd);
    while (this.nextIndex < this.round.length && this.slotAt(this.nextIndex) <= now) {
      const d = this.round[this.nextIndex++];
      if (d !== undefined) this.enqueue(d);
    }
    const next = this.nextIndex < this.round.length ? this.slotAt(this.nextIndex) : roundEnd;
    this.timer = this.deps.scheduler.setTimeout(this.tick, next - now);
  };

  private slotAt(i: number): number {
    return this.roundStart + (i * this.options.intervalMs) / this.round.length;
  }

  private enqueue(dst: Destination): boolean {
    if (this.busy.has(dst.iuid)) {
      this.skips++;
      this.deps.logger.debug({ uri: dst.uri, set: dst.setId }, 'previous keepalive still pending, ping skipped');
      return false;
    }
    this.busy.add(dst.iuid);
    void this.queue.add(() => this.ping(dst));
    return true;
  }

  /**
   * The destination as it is now, if it is still to be pinged: still loaded (a reload may have
   * replaced the object or removed it), ping_active on, and a probe target in its current state.
   */
  private current(dst: Destination): Destination | undefined {
    const { dispatcher } = this.deps;
    const d = dispatcher.snapshot.byIuid.get(dst.iuid);
    if (!this.accepting || d === undefined || !dispatcher.pingActive) return undefined;
    return isProbeTarget(d.runtime.health.state, this.options.health.probingMode) ? d : undefined;
  }

  /** One queued ping; never rejects, resolves when its transaction is over (or nothing was sent). */
  private async ping(queued: Destination): Promise<void> {
    const dst = this.current(queued);
    if (dst === undefined) {
      this.busy.delete(queued.iuid);
      return;
    }
    const hop = pingHop(dst.target);
    let address: string;
    try {
      if (hop === undefined) throw new Error(`no transport to reach ${dst.uri}`);
      const r = this.deps.resolve(hop.host);
      address = typeof r === 'string' ? r : await r;
    } catch (e) {
      return this.sendFailed(dst, this.deps.scheduler.now(), e);
    }
    // the state may have changed while the name was resolving
    const now = this.current(dst);
    if (now === undefined) {
      this.busy.delete(queued.iuid);
      return;
    }
    return this.send(now, hop, address);
  }

  private send(dst: Destination, hop: PingHop, address: string): Promise<void> {
    const sentAt = this.deps.scheduler.now();
    return new Promise((done) => {
      let branch: string | undefined;
      try {
        const tag = pingTag(dst.iuid, this.random);
        const ping = buildPing({ method: this.options.method, uri: dst.uri, from: dst.attrs.pingFrom ?? this.options.from, tag }, hop.transport, this.deps.localVia);
        branch = ping.branch;
        const entry: InFlight = { dst, sentAt, tx: undefined, done };
        this.inflight.set(branch, entry);
        const target = { transport: hop.transport, host: address, port: hop.port };
        entry.tx = this.deps.transactions.createClient(ping.request, target, this, this.timeouts);
      } catch (e) {
        if (branch !== undefined) this.inflight.delete(branch);
        this.sendFailed(dst, sentAt, e);
        done();
      }
    });
  }

  /** The in-flight entry of a transaction, removed; its p-queue task ends. */
  private take(tx: ClientTransaction): InFlight | undefined {
    const branch = tx.request.via[0]?.branch;
    const entry = branch === undefined ? undefined : this.inflight.get(branch);
    if (entry === undefined || branch === undefined) return undefined;
    this.inflight.delete(branch);
    this.busy.delete(entry.dst.iuid);
    entry.done();
    return entry;
  }

  private sendFailed(dst: Destination, sentAt: number, e: unknown): void {
    this.busy.delete(dst.iuid);
    this.deps.logger.debug({ uri: dst.uri, set: dst.setId, code: 'SEND_FAILED', err: e }, SEND_FAILED_REASON);
    this.finish(dst, SEND_FAILED_CODE, SEND_FAILED_REASON, sentAt, false);
  }

  /** Records one outcome; a reply for a destination gone, disabled or unflagged meanwhile is ignored. */
  private finish(dst: Destination, code: number, reason: string, sentAt: number, replied: boolean): void {
    if (this.state === 'stopped') return;
    const durationMs = this.deps.scheduler.now() - sentAt;
    const change = this.deps.dispatcher.recordProbeResult(dst, code, reason, replied ? durationMs : undefined);
    if (change === undefined) {
      this.deps.logger.debug({ uri: dst.uri, set: dst.setId, code }, 'keepalive result ignored (destination removed, disabled or no longer probed)');
      return;
    }
    const timeout = !replied && code === TIMEOUT_CODE;
    const ok = isReplyOk(code, this.options.health.replyCodes);
    publish('probe.result', () => ({ set: String(dst.setId), uri: dst.uri, ok, code, reason, durationMs, timeout }));
  }
}
