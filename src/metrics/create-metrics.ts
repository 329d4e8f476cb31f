/**
 * The Prometheus registry of sipdispatch: every metric of the contract (product.md), fed by the
 * events of shared/events.ts. Gauges read the functions the app passes in, at scrape time only,
 * so nothing here runs on the hot path beyond a counter increment per event.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { subscribe } from '../shared/events.js';
import { DestinationTracker } from './destination-tracker.js';
import { defineHepMetrics, type HepCountsView } from './hep-metrics.js';
import { defineEdgeMetrics, type EdgeView } from './edge-metrics.js';
import { defineTransportMetrics } from './transport-metrics.js';
import { defineOverloadMetrics, type PressureView } from './overload-metrics.js';
import { defineClusterMetrics, type ClusterMetricsView } from './cluster-metrics.js';
import type { DestinationView, TrackerDiff } from './destination-tracker.js';
import {
  DROP_REASONS, FAILOVER_REASONS, METHOD_LABELS, RELOAD_RESULTS, RESPONSE_CLASSES, TRANSPORTS,
  methodLabel, responseClass,
} from './label-values.js';

export type { DestinationView } from './destination-tracker.js';

export interface MetricsSources {
  transactionsActive(): number;
  /** Worker threads: UDP datagrams each thread handed to the thread owning them, by thread index. */
  udpHandoffs?(): readonly number[];
  /** Every destination of the current list, in any order. */
  destinations(): readonly DestinationView[];
  version: string;
  /** Wall clock in ms for the reload timestamp (default Date.now). */
  wallClock?: () => number;
  /** Edge security gauges; undefined before the SIP side started. */
  edge?(): EdgeView | undefined;
  /** HEP export counts; undefined while capture is not configured. */
  hep?(): HepCountsView | undefined;
  /** The pressure monitor's last readings (overload gauges; 0 without). */
  pressure?(): PressureView | undefined;
  /** The cluster node's view (connected, members, probe owners). */
  cluster?(): ClusterMetricsView | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  /** The exposition content type to answer /metrics with. */
  readonly contentType: string;
  /** The exposition text (scrapes the gauges). */
  metrics(): Promise<string>;
  /** Unsubscribes from every event and empties the registry. */
  close(): void;
}

/** LAN SIP round trips: half a millisecond up to the 5 s a probe may wait. */
export const PROBE_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Counters = ReturnType<typeof defineCounters>;

function defineCounters(registers: Registry[]) {
  return {
    probeDuration: new Histogram({
      name: 'sipdispatch_probe_duration_seconds',
      help: 'Round-trip time of answered OPTIONS probes, per destination (timeouts are not observed).',
      labelNames: ['set', 'uri'] as const, buckets: PROBE_BUCKETS_SECONDS, registers,
    }),
    probeFailures: new Counter({
      name: 'sipdispatch_probe_failures_total',
      help: 'Probes that timed out or got a reply not counted as alive, per destination.',
      labelNames: ['set', 'uri'] as const, registers,
    }),
    requests: new Counter({
      name: 'sipdispatch_requests_total',
      help: 'SIP requests received and parsed, by method (methods outside the fixed list count as other).',
      labelNames: ['method'] as const, registers,
    }),
    relayed: new Counter({
      name: 'sipdispatch_relayed_requests_total',
      help: 'Requests forwarded to a destination; set and uri are empty for requests routed by their Route header.',
      labelNames: ['set', 'uri', 'method'] as const, registers,
    }),
    responses: new Counter({
      name: 'sipdispatch_responses_total',
      help: 'SIP responses sent upstream, relayed or generated locally, by class.',
      labelNames: ['class'] as const, registers,
    }),
    failovers: new Counter({
      name: 'sipdispatch_failovers_total',
      help: 'Times the relay moved on to the next candidate of a set, by reason.',
      labelNames: ['set', 'reason'] as const, registers,
    }),
    noDestination: new Counter({
      name: 'sipdispatch_no_destination_total',
      help: 'Initial requests for which no destination of the set could be selected.',
      labelNames: ['set'] as const, registers,
    }),
    parseErrors: new Counter({
      name: 'sipdispatch_parse_errors_total',
      help: 'Datagrams or stream chunks that could not be parsed as SIP.',
      labelNames: ['transport'] as const, registers,
    }),
    dropped: new Counter({
      name: 'sipdispatch_dropped_total',
      help: 'Messages dropped without a reply, by reason.',
      labelNames: ['reason'] as const, registers,
    }),
    reloads: new Counter({
      name: 'sipdispatch_reloads_total',
      help: 'Destination list loads and reloads, by result.',
      labelNames: ['result'] as const, registers,
    }),
    lastReload: new Gauge({
      name: 'sipdispatch_last_reload_timestamp_seconds',
      help: 'Unix time of the last successful list load or reload.',
      registers,
    }),
  };
}

/** Gauges evaluated at scrape time from the app's functions. */
function defineGauges(registers: Registry[], sources: MetricsSources, current: () => readonly DestinationView[], tracker: DestinationTracker): void {
  new Gauge({
    name: 'sipdispatch_destination_up',
    help: 'Whether the destination can be selected (1) or not (0: inactive, trying or disabled).',
    labelNames: ['set', 'uri'] as const, registers,
    collect() {
      this.reset();
      for (const d of current()) this.set({ set: d.set, uri: d.uri }, d.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_destination_state',
    help: "Kamailio's state letters of the destination: 1 for the current state, 0 for states it has shown before.",
    labelNames: ['set', 'uri', 'state'] as const, registers,
    collect() {
      this.reset();
      for (const d of current()) {
        tracker.noteState(d.set, d.uri, d.state);
        for (const state of tracker.statesOf(d.set, d.uri)) {
          this.set({ set: d.set, uri: d.uri, state }, state === d.state ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'sipdispatch_calls_active',
    help: 'Calls currently counted against the destination (call load).',
    labelNames: ['set', 'uri'] as const, registers,
    collect() {
      this.reset();
      for (const d of current()) this.set({ set: d.set, uri: d.uri }, d.callLoad);
    },
  });
  new Gauge({
    name: 'sipdispatch_transactions_active',
    help: 'Server transactions currently alive.',
    registers,
    collect() {
      this.set(sources.transactionsActive());
    },
  });
  new Counter({
    name: 'sipdispatch_udp_handoffs_total',
    help: 'UDP datagrams a thread received and handed to the thread owning them (workers > 1), by the receiving thread.',
    labelNames: ['thread'] as const, registers,
    collect() {
      this.reset();
      const counts = sources.udpHandoffs?.() ?? [];
      for (let thread = 0; thread < counts.length; thread++) this.inc({ thread: String(thread) }, counts[thread] ?? 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_build_info',
    help: 'Always 1; the version label says which build runs.',
    labelNames: ['version'] as const, registers,
  }).set({ version: sources.version }, 1);
}

/** Series whose labels do not depend on the list: initialised once. */
function initialiseFixed(c: Counters): void {
  for (const method of METHOD_LABELS) {
    c.requests.inc({ method }, 0);
    c.relayed.inc({ set: '', uri: '', method }, 0);
  }
  for (const cls of RESPONSE_CLASSES) c.responses.inc({ class: cls }, 0);
  for (const transport of TRANSPORTS) c.parseErrors.inc({ transport }, 0);
  for (const reason of DROP_REASONS) c.dropped.inc({ reason }, 0);
  for (const result of RELOAD_RESULTS) c.reloads.inc({ result }, 0);
}

/** Initialises the series of new sets and destinations and removes those of vanished ones. */
function applyDiff(c: Counters, diff: TrackerDiff): void {
  for (const set of diff.addedSets) {
    c.noDestination.inc({ set }, 0);
    for (const reason of FAILOVER_REASONS) c.failovers.inc({ set, reason }, 0);
  }
  for (const set of diff.removedSets) {
    c.noDestination.remove({ set });
    for (const reason of FAILOVER_REASONS) c.failovers.remove({ set, reason });
  }
  for (const { set, uri } of diff.added) {
    c.probeFailures.inc({ set, uri }, 0);
    c.probeDuration.zero({ set, uri });
    for (const method of METHOD_LABELS) c.relayed.inc({ set, uri, method }, 0);
  }
  for (const { set, uri } of diff.removed) {
    c.probeFailures.remove({ set, uri });
    c.probeDuration.remove({ set, uri });
    for (const method of METHOD_LABELS) c.relayed.remove({ set, uri, method });
  }
}

function subscribeEvents(
  c: Counters,
  tracker: DestinationTracker,
  known: (set: string, uri: string) => boolean,
  onReload: (success: boolean) => void,
): Array<() => void> {
  return [
    subscribe('destination.state', (e) => tracker.noteState(e.set, e.uri, e.state)),
    subscribe('request.received', (e) => c.requests.inc({ method: methodLabel(e.method) })),
    subscribe('request.relayed', (e) => {
      if (e.set === '') c.relayed.inc({ set: '', uri: '', method: methodLabel(e.method) });
      else if (known(e.set, e.uri)) c.relayed.inc({ set: e.set, uri: e.uri, method: methodLabel(e.method) });
    }),
    subscribe('response.sent', (e) => {
      const cls = responseClass(e.status);
      if (cls !== undefined) c.responses.inc({ class: cls });
    }),
    subscribe('failover', (e) => {
      if (known(e.set, e.uri)) c.failovers.inc({ set: e.set, reason: e.reason });
    }),
    subscribe('no-destination', (e) => c.noDestination.inc({ set: e.set })),
    subscribe('parse-error', (e) => c.parseErrors.inc({ transport: e.transport })),
    subscribe('dropped', (e) => c.dropped.inc({ reason: e.reason })),
    subscribe('probe.result', (e) => {
      if (!known(e.set, e.uri)) return;
      if (!e.ok) c.probeFailures.inc({ set: e.set, uri: e.uri });
      if (!e.timeout) c.probeDuration.observe({ set: e.set, uri: e.uri }, e.durationMs / 1000);
    }),
    subscribe('list.reload', (e) => {
      c.reloads.inc({ result: e.result });
      onReload(e.result === 'success');
    }),
  ];
}

/** Builds the registry, initialises every known series and subscribes to the events. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const wallClock = sources.wallClock ?? Date.now;
  collectDefaultMetrics({ register: registry });
  const counters = defineCounters(registers);
  const tracker = new DestinationTracker();

  // `known` is defined below; the overload counters call it only at events, after setup.
  const overload = defineOverloadMetrics(registers, sources.pressure && (() => sources.pressure?.()), (set, uri) => known(set, uri));
  const current = (): readonly DestinationView[] => {
    const list = sources.destinations();
    const diff = tracker.sync(list);
    applyDiff(counters, diff);
    diff.addedSets.forEach((set) => overload.addSet(set));
    diff.removedSets.forEach((set) => overload.removeSet(set));
    return list;
  };
  // An event about a destination the tracker does not know re-reads the list once: the list may
  // have changed without a reload event (dispatcher.add); a stale event stays uncounted.
  const known = (set: string, uri: string): boolean => tracker.has(set, uri) || (current(), tracker.has(set, uri));

  defineGauges(registers, sources, current, tracker);
  defineHepMetrics(registers, () => sources.hep?.());
  defineEdgeMetrics(registers, () => sources.edge?.());
  const closeTransport = defineTransportMetrics(registers);
  const closeCluster = defineClusterMetrics(registers, () => sources.cluster?.());
  initialiseFixed(counters);
  current();
  const unsubscribers = subscribeEvents(counters, tracker, known, (success) => {
    if (!success) return;
    counters.lastReload.set(wallClock() / 1000);
    current();
  });

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    close() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      overload.close();
      closeTransport();
      closeCluster();
      registry.clear();
    },
  };
}
