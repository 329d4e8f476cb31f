/**
 * The overload metrics (docs/overload.md): requests shed by method, the pressure monitor's
 * readings, traffic-based marks by cause and result, and timeouts excused and retransmissions held
 * because sipdispatch itself was under pressure. Counters follow events; gauges read the monitor at scrape time.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { subscribe, type ShedReason, type TrafficFailureCause, type TrafficMarkResult } from '../shared/events.js';
import { METHOD_LABELS, methodLabel } from './label-values.js';

/** What the pressure monitor last read (the main thread's). */
export interface PressureView {
  readonly eventLoopDelayMs: number;
  readonly udpBacklogBytes: number | undefined;
  /** Share of new initial requests shed, 0..1. */
  readonly shedShare: number;
  /** The longest a new initial request waited in the UDP intake over the last interval, ms. */
  readonly intakeDelayMs: number;
}

// Records keyed by the union types: the compiler rejects a list that misses a member.
const causes: Record<TrafficFailureCause, true> = { 'timeout': true, 'transport-error': true, 'response-503': true };
const results: Record<TrafficMarkResult, true> = { 'marked': true, 'spared-max-share': true, 'spared-last-usable': true, 'not-usable': true };
const reasons: Record<ShedReason, true> = { 'pressure': true, 'late': true, 'full': true };
export const SHED_REASONS = Object.keys(reasons) as readonly ShedReason[];
export const TRAFFIC_CAUSES = Object.keys(causes) as readonly TrafficFailureCause[];
export const TRAFFIC_RESULTS = Object.keys(results) as readonly TrafficMarkResult[];

export interface OverloadMetrics {
  /** Series of a set that appeared or vanished (the tracker's diff). */
  addSet(set: string): void;
  removeSet(set: string): void;
  /** Unsubscribes from the events. */
  close(): void;
}

export function defineOverloadMetrics(registers: Registry[], pressure: (() => PressureView | undefined) | undefined, known: (set: string, uri: string) => boolean): OverloadMetrics {
  const shed = new Counter({
    name: 'sipdispatch_shed_requests_total',
    help: 'Initial requests answered 503 at once because sipdispatch was under pressure (load shedding), by method and reason (pressure: the shed share; late: waited too long in the UDP intake; full: max_transactions).',
    labelNames: ['method', 'reason'] as const, registers,
  });
  const marks = new Counter({
    name: 'sipdispatch_traffic_marks_total',
    help: 'Destinations that reached the consecutive-failure threshold of relayed traffic, by cause and result (marked, or spared by the max ejection share or as the last usable one).',
    labelNames: ['set', 'cause', 'result'] as const, registers,
  });
  const excused = new Counter({
    name: 'sipdispatch_timeouts_excused_total',
    help: 'Relayed transactions that timed out while sipdispatch itself was under pressure: not counted against the destination.',
    labelNames: ['set'] as const, registers,
  });
  const held = new Counter({
    name: 'sipdispatch_retransmissions_held_total',
    help: 'Retransmissions of requests toward the farm (Timers A and E) not sent because sipdispatch itself was under pressure: the answer was most likely waiting unread in its own socket buffer.',
    registers,
  });
  new Gauge({
    name: 'sipdispatch_event_loop_delay_seconds',
    help: "p99 event-loop delay over the pressure monitor's last sample interval (main thread).",
    registers,
    collect() {
      this.set((pressure?.()?.eventLoopDelayMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'sipdispatch_udp_receive_backlog_bytes',
    help: 'Bytes queued unread on the fullest UDP socket of sipdispatch (kernel accounting, /proc/net/udp; 0 where unreadable).',
    registers,
    collect() {
      this.set(pressure?.()?.udpBacklogBytes ?? 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_udp_intake_delay_seconds',
    help: "Longest wait of a new initial request in the UDP intake queue over the pressure monitor's last sample interval (main thread); above overload_max_queue_delay it is refused 503 as late.",
    registers,
    collect() {
      this.set((pressure?.()?.intakeDelayMs ?? 0) / 1000);
    },
  });
  new Gauge({
    name: 'sipdispatch_shedding',
    help: 'Share of new initial requests shed with 503 now, 0..1 (main thread; 0: not shedding).',
    registers,
    collect() {
      this.set(pressure?.()?.shedShare ?? 0);
    },
  });
  for (const method of METHOD_LABELS) for (const reason of SHED_REASONS) shed.inc({ method, reason }, 0);
  const unsubscribers = [
    subscribe('request.shed', (e) => shed.inc({ method: methodLabel(e.method), reason: e.reason })),
    subscribe('traffic.mark', (e) => {
      if (known(e.set, e.uri)) marks.inc({ set: e.set, cause: e.cause, result: e.result });
    }),
    subscribe('timeout.excused', (e) => excused.inc({ set: e.set })),
    subscribe('retransmission.held', () => held.inc()),
  ];
  return {
    addSet(set) {
      excused.inc({ set }, 0);
      for (const cause of TRAFFIC_CAUSES) for (const result of TRAFFIC_RESULTS) marks.inc({ set, cause, result }, 0);
    },
    removeSet(set) {
      excused.remove({ set });
      for (const cause of TRAFFIC_CAUSES) for (const result of TRAFFIC_RESULTS) marks.remove({ set, cause, result });
    },
    close() {
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
