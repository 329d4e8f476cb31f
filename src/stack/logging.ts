/**
 * The process logger (pino, JSON lines on stdout) and the log lines drawn from the observability
 * events. Bad packets and drops can arrive by the thousand, so their lines are sampled: at most one
 * per interval per reason, the next line saying how many were suppressed.
 */
import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import { subscribe } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';

export interface LoggerOptions {
  /** pino level name: trace, debug, info, warn, error, fatal or silent. */
  level: string;
  /** Where the JSON lines go; stdout by default. */
  destination?: DestinationStream;
}

/** A pino logger (it satisfies shared/logger.ts); components take `logger.child({ component })`. */
export function createLogger(options: LoggerOptions): PinoLogger {
  return pino(
    {
      level: options.level,
      // "level":"info" reads better in log pipelines than pino's numbers (Kamailio's JSON does the same)
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** Admits one line per key per interval and counts the lines it held back. */
export class LogSampler {
  private readonly keys = new Map<string, { last: number; suppressed: number }>();

  constructor(
    private readonly now: () => number,
    private readonly intervalMs: number,
  ) {}

  /** -1 when the line must be suppressed, else how many lines of this key were suppressed since the last one. */
  admit(key: string): number {
    const t = this.now();
    const entry = this.keys.get(key);
    if (!entry) {
      this.keys.set(key, { last: t, suppressed: 0 });
      return 0;
    }
    if (t - entry.last < this.intervalMs) {
      entry.suppressed++;
      return -1;
    }
    const suppressed = entry.suppressed;
    entry.last = t;
    entry.suppressed = 0;
    return suppressed;
  }
}

export interface EventLoggingOptions {
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  /** Sampling interval of parse-error and drop lines (default 1000 ms). */
  sampleIntervalMs?: number;
}

/** Logs the events operators need; returns the function that stops it. */
export function attachEventLogging(logger: Logger, options: EventLoggingOptions = {}): () => void {
  const now = options.now ?? (() => performance.now());
  const interval = options.sampleIntervalMs ?? 1000;
  const parseSampler = new LogSampler(now, interval);
  const dropSampler = new LogSampler(now, interval);
  const unsubscribers = [
    subscribe('destination.state', (e) => {
      const { set, uri, duid, state, previous, up, initial, code, reason, trigger } = e;
      if (trigger === 'traffic') logger.warn({ set, uri, duid, state, previous, up, code, reason, trigger }, 'destination marked down by traffic');
      else logger.info({ set, uri, duid, state, previous, up, initial, code, reason, trigger }, initial ? 'destination initial state' : 'destination state changed');
    }),
    subscribe('traffic.mark', (e) => {
      if (e.result === 'marked') return;
      logger.warn({ set: e.set, uri: e.uri, cause: e.cause, result: e.result, threshold: e.threshold }, 'destination spared: traffic may not mark it down');
    }),
    subscribe('pressure.changed', (e) => {
      const readings = { shedding: e.shedding, eventLoopDelayMs: e.eventLoopDelayMs, udpBacklogBytes: e.udpBacklogBytes, udpDrops: e.udpDrops };
      if (e.pressured) logger.warn(readings, e.shedding ? 'overload: shedding new requests with 503' : 'overload: under pressure (shedding off)');
      else logger.info(readings, 'overload over');
    }),
    subscribe('list.reload', (e) => {
      if (e.result === 'success') logger.info({ added: e.added, removed: e.removed, kept: e.kept, states: e.states }, 'destination list loaded');
      else logger.error({ errors: e.errors }, 'destination list reload failed, the previous list stays');
    }),
    subscribe('failover', (e) => {
      logger.info({ callId: e.callId, set: e.set, uri: e.uri, reason: e.reason, next: e.next }, e.next === null ? 'failover: no destination left' : 'failover to the next destination');
    }),
    subscribe('no-destination', (e) => {
      logger.info({ callId: e.callId, set: e.set, method: e.method }, 'no destination available');
    }),
    subscribe('parse-error', (e) => {
      const suppressed = parseSampler.admit(e.code);
      if (suppressed < 0) return;
      logger.warn({ transport: e.transport, code: e.code, reason: e.reason, source: e.source, suppressed }, 'unparseable SIP message');
    }),
    subscribe('dropped', (e) => {
      const suppressed = dropSampler.admit(e.reason);
      if (suppressed < 0) return;
      logger.warn({ reason: e.reason, transport: e.transport, suppressed }, 'message dropped');
    }),
  ];
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
