/**
 * The Prometheus registry of sipdispatch: every metric of the contract (product.md), fed by the
 * events of shared/events.ts. Gauges read the functions the app passes in, at scrape time only,
 * so nothing here runs on the hot path beyond a counter increment per event.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { subscribe } from '../shared/events.js';
import { DestinationTracker } from './destination-tracker.js';
import { COUNTS_SIZE, defineDestinationSeries, type DestinationSeries } from './destination-series.js';
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
  /** The same, read in slices with turns of the event loop between them (scrapes of large lists use it). */
  destinationsInSlices?(): Promise<readonly DestinationView[]>;
  version: string;
  /** Wall clock in ms for the reload timestamp (default Date.now). */
  wallClock?: () => number;
  /** Edge security gauges; undefined before the SIP side started. */
  edge?(): EdgeView | undefined;
  /** HEP export counts; undefined while capture is not configured. */
  hep?(): HepCountsView | undefined;
  /** The pressure monitor's last readings (overload gauges; 0 without). */
  pressure?(): PressureView | undefined;
  /** metrics_destination_series: above this many destinations, per-destination series are per set (default: no limit). */
  maxDestinationSeries?: number;
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

export { PROBE_BUCKETS_SECONDS } from './destination-series.js';

type Counters = ReturnType<typeof defineCounters>;

function defineCounters(registers: Registry[]) {
  return {
    requests: new Counter({
      name: 'sipdispatch_requests_total',
      help: 'SIP requests received and parsed, by method (methods outside the fixed list count as other).',
      labelNames: ['method'] as const, registers,
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
    completedEvicted: new Counter({
      name: 'sipdispatch_transactions_completed_evicted_total',
      help: 'Answered transactions ended before their wait timer because max_completed_transactions were waiting (a late retransmission is then forwarded again instead of absorbed).',
      registers,
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
function defineGauges(registers: Registry[], sources: MetricsSources): void {
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
    help: 'UDP datagrams a thread received and handed to the thread owning them, by the receiving thread (always 0 with one thread).',
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
}

function subscribeEvents(
  c: Counters,
  tracker: DestinationTracker,
  series: DestinationSeries,
  known: (set: string, uri: string) => boolean,
  onReload: (success: boolean) => void,
): Array<() => void> {
  return [
    subscribe('destination.state', (e) => tracker.noteState(e.set, e.uri, e.state)),
    subscribe('request.received', (e) => c.requests.inc({ method: methodLabel(e.method) })),
    subscribe('request.relayed', (e) => {
      if (e.set === '' || known(e.set, e.uri)) series.relayed(e.set, e.uri, e.method);
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
    subscribe('transaction.evicted', () => c.completedEvicted.inc()),
    subscribe('probe.result', (e) => {
      if (known(e.set, e.uri)) series.probe(e.set, e.uri, e.ok, e.timeout ? undefined : e.durationMs / 1000);
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
  const tracker = new DestinationTracker(sources.maxDestinationSeries ?? Number.POSITIVE_INFINITY, COUNTS_SIZE);

  // `known` is defined below; the overload counters call it only at events, after setup.
  const overload = defineOverloadMetrics(registers, sources.pressure && (() => sources.pressure?.()), (set, uri) => known(set, uri));
  const current = (read?: readonly DestinationView[]): readonly DestinationView[] => {
    stale = false;
    const list = read ?? sources.destinations();
    const diff = tracker.sync(list);
    applyDiff(counters, diff);
    diff.addedSets.forEach((set) => overload.addSet(set));
    diff.removedSets.forEach((set) => overload.removeSet(set));
    return list;
  };
  // An event about a destination the tracker does not know re-reads the list once: the list may
  // have changed without a reload event (dispatcher.add); a stale event stays uncounted.
  // After a reload the list is re-read at the next scrape, not at once (a list of 50,000 would
  // stall the relay): meanwhile an event about an unknown destination is taken on trust and the
  // scrape's sync drops it if the destination is not in the list after all.
  let stale = false;
  const known = (set: string, uri: string): boolean => {
    if (tracker.has(set, uri)) return true;
    if (stale) {
      // a set taken on trust gets its per-set series now (the sync will not see it appear)
      if (!tracker.hasSet(set)) {
        applyDiff(counters, { addedSets: [set], removedSets: [] });
        overload.addSet(set);
      }
      return tracker.adopt(set, uri);
    }
    current();
    return tracker.has(set, uri);
  };

  defineGauges(registers, sources);
  let scrapeViews: readonly DestinationView[] | undefined;
  const series = defineDestinationSeries(registers, tracker, () => scrapeViews ?? current());
  defineHepMetrics(registers, () => sources.hep?.());
  defineEdgeMetrics(registers, () => sources.edge?.());
  const closeTransport = defineTransportMetrics(registers);
  const closeCluster = defineClusterMetrics(registers, () => sources.cluster?.(), sources.maxDestinationSeries ?? Number.POSITIVE_INFINITY);
  initialiseFixed(counters);
  current();
  const unsubscribers = subscribeEvents(counters, tracker, series, known, (success) => {
    if (!success) return;
    counters.lastReload.set(wallClock() / 1000);
    stale = true;
  });

  return {
    registry,
    contentType: registry.contentType,
    async metrics() {
      // one read of the list per scrape, before any series is written (set series go with it)
      const views = current(sources.destinationsInSlices && (await sources.destinationsInSlices()));
      scrapeViews = views;
      try {
        return await registry.metrics();
      } finally {
        scrapeViews = undefined;
      }
    },
    close() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      overload.close();
      closeTransport();
      closeCluster();
      registry.clear();
    },
  };
}
