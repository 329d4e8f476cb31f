/**
 * sipdispatch measures its own pressure (the anchor is fastify's under-pressure): the event-loop
 * delay (perf_hooks.monitorEventLoopDelay, p99 over each sample interval) and the UDP receive
 * backlog the kernel holds for our sockets (udp-backlog.ts). Above a threshold the relay sheds new
 * initial requests and excuses its own timeouts. The rule is pure (judgePressure); the monitor
 * samples on an injected scheduler, and tests feed it readings through assess().
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { publish } from '../shared/events.js';
import type { PressureGauge } from '../shared/pressure.js';
import type { Scheduler, TimerHandle } from '../shared/scheduler.js';
import { readUdpBacklog } from './udp-backlog.js';

export interface PressureThresholds {
  /** overload_max_event_loop_delay: ms; 0 ignores the event-loop delay. */
  readonly maxEventLoopDelayMs: number;
  /** overload_max_udp_backlog: percent of the receive buffer queued unread; 0 ignores the backlog. */
  readonly maxUdpBacklogPercent: number;
  /** overload_shedding: refuse new initial requests while pressured. */
  readonly shedding: boolean;
  /** overload_max_queue_delay: ms a new initial request waited in the UDP intake; 0 ignores it. */
  readonly maxQueueDelayMs: number;
}

export interface PressureReadings {
  /** p99 event-loop delay over the last interval, ms. */
  readonly eventLoopDelayMs: number;
  /** Bytes queued unread on the fullest of our UDP sockets; undefined where it cannot be read. */
  readonly udpBacklogBytes: number | undefined;
  /** The receive buffer of one of our UDP sockets, bytes (0: no UDP socket). */
  readonly udpCapacityBytes: number;
  /** Datagrams our UDP sockets dropped so far (cumulative); undefined where it cannot be read. */
  readonly udpDrops: number | undefined;
  /** The longest a new initial request waited in the UDP intake over the last interval, ms. */
  readonly intakeDelayMs: number;
}

/** The backlog as a fraction of `percent` of the receive buffer (1 at it); 0 when not measured. */
function backlogFill(r: PressureReadings, percent: number): number {
  if (percent <= 0 || r.udpBacklogBytes === undefined || r.udpCapacityBytes <= 0) return 0;
  return (r.udpBacklogBytes * 100) / (percent * r.udpCapacityBytes);
}

/** A socket dropped datagrams since the previous sample. */
function droppedSince(r: PressureReadings, previous: PressureReadings | undefined): boolean {
  return r.udpDrops !== undefined && previous?.udpDrops !== undefined && r.udpDrops > previous.udpDrops;
}

/** The error of a sample that dropped datagrams, and the most any sample counts for. */
export const ERROR_MAX = 8;

/**
 * How far over its thresholds a sample is, PIE's "queue delay less the target" (RFC 8033) in
 * units of the threshold: the fuller of backlog and event-loop delay as a fraction of its
 * threshold, less 1 (0 at the threshold, -1 with nothing queued), ERROR_MAX after drops.
 */
export function pressureError(r: PressureReadings, previous: PressureReadings | undefined, t: PressureThresholds): number {
  if (droppedSince(r, previous)) return ERROR_MAX;
  const delay = t.maxEventLoopDelayMs > 0 ? r.eventLoopDelayMs / t.maxEventLoopDelayMs : 0;
  return Math.min(ERROR_MAX, Math.max(delay, backlogFill(r, t.maxUdpBacklogPercent)) - 1);
}

/**
 * The controller's gains per sample, PIE's alpha and beta: the share moves by GAIN_UP (GAIN_DOWN
 * under the threshold) times the error, plus GAIN_TREND times the error's change since the
 * previous sample. The trend term reacts to a backlog that is filling or draining before it
 * crosses the threshold: the old fixed steps (up an eighth, down a quarter a sample) kept
 * climbing while the queue already drained and swung between 0 and 1 every two seconds. The
 * share falls three times faster than it climbs: an empty queue is a loop that could carry more.
 */
export const SHED_GAIN_UP = 0.02;
export const SHED_GAIN_DOWN = 0.06;
export const SHED_GAIN_TREND = 0.04;

/**
 * How much of the new initial requests to shed after this sample: a proportional-integral
 * controller on the pressure error, as PIE drives its drop probability from the queue delay (like
 * pipelimit's RED it sheds a share rather than all). It climbs only while judged pressured, so a
 * burst the socket buffer absorbs within one interval sheds nothing.
 */
export function nextShedShare(share: number, error: number, previousError: number, pressured: boolean): number {
  let delta = (error > 0 ? SHED_GAIN_UP : SHED_GAIN_DOWN) * error + SHED_GAIN_TREND * (error - previousError);
  if (!pressured && delta > 0) delta = 0;
  return Math.min(1, Math.max(0, share + delta));
}

/**
 * Pressured when the event-loop delay is above its threshold, when a socket dropped datagrams
 * since the previous sample, when a request waited in the intake longer than allowed (the relay
 * refused it late), or when the backlog is above its threshold in this sample and the previous
 * one: a burst the socket buffer absorbs and the loop drains within one interval is not overload.
 * Hysteresis: once pressured, it ends only under half of each threshold.
 */
export function judgePressure(r: PressureReadings, previous: PressureReadings | undefined, t: PressureThresholds, was: boolean): boolean {
  const share = was ? 0.5 : 1;
  const delay = t.maxEventLoopDelayMs > 0 && r.eventLoopDelayMs > t.maxEventLoopDelayMs * share;
  const dropped = droppedSince(r, previous);
  const late = t.maxQueueDelayMs > 0 && r.intakeDelayMs > t.maxQueueDelayMs * share;
  const percent = t.maxUdpBacklogPercent * share;
  const backlog = backlogFill(r, percent) > 1 && (was || (previous !== undefined && backlogFill(previous, percent) > 1));
  return delay || dropped || late || backlog;
}

export type PressureSample = () => Promise<PressureReadings>;

const IDLE: PressureReadings = Object.freeze({ eventLoopDelayMs: 0, udpBacklogBytes: undefined, udpCapacityBytes: 0, udpDrops: undefined, intakeDelayMs: 0 });

export class PressureMonitor implements PressureGauge {
  pressured = false;
  shedding = false;
  shedShare = 0;
  epoch = 0;
  /** The last readings (metrics read them at scrape time). */
  latest: PressureReadings = IDLE;
  private previous: PressureReadings | undefined;
  private previousError = -1;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly thresholds: PressureThresholds,
    private readonly scheduler: Scheduler,
    private readonly intervalMs: number,
    private readonly sample: PressureSample,
  ) {}

  /** Applies one sample's readings. */
  assess(r: PressureReadings): void {
    const was = this.pressured;
    const judged = judgePressure(r, this.previous, this.thresholds, was);
    const error = pressureError(r, this.previous, this.thresholds);
    this.shedShare = nextShedShare(this.shedShare, error, this.previousError, judged);
    this.previousError = error;
    const now = judged || this.shedShare > 0;
    this.previous = r;
    this.latest = r;
    this.pressured = now;
    this.shedding = this.thresholds.shedding && this.shedShare > 0;
    if (now) this.epoch++;
    if (now !== was) {
      publish('pressure.changed', () => ({
        pressured: now,
        shedding: this.shedding,
        eventLoopDelayMs: Math.round(r.eventLoopDelayMs),
        udpBacklogBytes: r.udpBacklogBytes ?? null,
        udpDrops: r.udpDrops ?? null,
      }));
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    if (this.running) this.timer = this.scheduler.setTimeout(this.tick, this.intervalMs);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.sample().then(
      (r) => {
        if (this.running) this.assess(r);
        this.arm();
      },
      () => this.arm(),
    );
  };
}

/**
 * The real sampler: the event-loop delay histogram of this thread, the backlog of the UDP sockets
 * bound to `ports()` against `capacity()` bytes of receive buffer, and the intake's longest wait
 * (`intakeWait()`, reset by the read). close() stops the histogram.
 */
export function createPressureSampler(ports: () => ReadonlySet<number>, capacity: () => number, intakeWait: () => number): { sample: PressureSample; close(): void } {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let procAvailable = true;
  return {
    async sample() {
      const eventLoopDelayMs = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
      histogram.reset();
      const backlog = procAvailable ? await readUdpBacklog(ports()) : undefined;
      if (!backlog) procAvailable = false;
      return { eventLoopDelayMs, udpBacklogBytes: backlog?.queuedBytes, udpCapacityBytes: capacity(), udpDrops: backlog?.drops, intakeDelayMs: intakeWait() };
    },
    close() {
      histogram.disable();
    },
  };
}
