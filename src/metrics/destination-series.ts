/**
 * The per-destination series (up, state, call load, probe duration and failures, relayed
 * requests), computed at scrape time from the tracker's compact records instead of living as
 * prom-client label sets: a label set costs about 4 KB per destination in prom-client's maps,
 * a record here a few dozen bytes until the destination sees traffic or probes.
 *
 * Above `maxDestinations` known destinations (metrics_destination_series), the same metrics are
 * exported per set with uri="" (sums: destinations up, destinations in each state, calls,
 * probe and relay counts), so a very large list keeps a scrape small. The names and labels stay
 * those the Grafana dashboard queries.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DestinationTracker, DestinationView } from './destination-tracker.js';
import { METHOD_LABELS, methodLabel } from './label-values.js';

/** LAN SIP round trips: half a millisecond up to the 5 s a probe may wait. */
export const PROBE_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const METHOD_INDEX = new Map(METHOD_LABELS.map((m, i) => [m, i]));
// layout of a destination's counts: relayed by method, probe failures, buckets, sum, count
const FAILURES = METHOD_LABELS.length;
const BUCKETS = FAILURES + 1;
const SUM = BUCKETS + PROBE_BUCKETS_SECONDS.length;
const COUNT = SUM + 1;
/** Length of the counts a destination (or a set) keeps. */
export const COUNTS_SIZE = COUNT + 1;

type Labels = Record<string, string>;
interface Value {
  value: number;
  labels: Labels;
  metricName?: string;
}

export interface DestinationSeries {
  /** A request relayed to a known destination. */
  relayed(set: string, uri: string, method: string): void;
  /** A probe outcome of a known destination; `seconds` when a reply came. */
  probe(set: string, uri: string, ok: boolean, seconds: number | undefined): void;
}

function bump(a: Float64Array, i: number, by = 1): void {
  a[i] = (a[i] ?? 0) + by;
}

/** One exported row: a destination (uri set) or a whole set (uri ""). */
interface Row {
  set: string;
  uri: string;
  counts: Float64Array | undefined;
  up: number;
  calls: number;
  /** state letters → destinations in it (1 per destination; sums per set). */
  states: Map<string, number>;
}

/** The rows of one scrape, per destination or per set. */
function rowsOf(views: readonly DestinationView[], tracker: DestinationTracker): Row[] {
  const perDestination = tracker.detailed;
  const rows = new Map<string, Row>();
  for (const v of views) {
    const key = perDestination ? `${v.set} ${v.uri}` : v.set;
    let row = rows.get(key);
    if (!row) {
      row = { set: v.set, uri: perDestination ? v.uri : '', counts: undefined, up: 0, calls: 0, states: new Map() };
      rows.set(key, row);
      if (perDestination) {
        const tracked = tracker.get(v.set, v.uri);
        row.counts = tracked?.counts;
        // states shown before stay exported at 0 (one series per state ever shown)
        for (const s of tracked?.states ? tracked.states.split(',') : []) row.states.set(s, 0);
      } else row.counts = tracker.setCounts(v.set);
    } else if (perDestination) continue;
    row.up += v.up ? 1 : 0;
    row.calls += v.callLoad;
    row.states.set(v.state, (row.states.get(v.state) ?? 0) + 1);
  }
  return [...rows.values()];
}

/** A prom-client metric whose values come from `values()` at each scrape instead of its own maps. */
function computed<M extends Counter | Gauge | Histogram>(metric: M, name: string, help: string, type: string, values: () => Value[]): M {
  const get = async () => ({ name, help, type, aggregator: 'sum', values: values() });
  // the registry asks getForPromString when a metric has one (histograms do)
  Object.assign(metric, { get, getForPromString: get });
  return metric;
}

/**
 * Defines the six per-destination metrics on `registers`. `current()` syncs the tracker with the
 * list and returns it; the tracker says whether rows are per destination or per set.
 */
export function defineDestinationSeries(registers: Registry[], tracker: DestinationTracker, current: () => readonly DestinationView[]): DestinationSeries {
  // the rows are computed once per scrape: the first metric asked computes, the others reuse
  let cached: Row[] | undefined;
  const rows = (): Row[] => {
    if (!cached) {
      const views = current();
      cached = rowsOf(views, tracker);
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };
  const dest = (r: Row): Labels => ({ set: r.set, uri: r.uri });
  const routeCounts = new Float64Array(METHOD_LABELS.length);

  const upHelp = 'Whether the destination can be selected (1) or not (0: inactive, trying or disabled); per set (uri="") the destinations that can.';
  computed(new Gauge({ name: 'sipdispatch_destination_up', help: upHelp, labelNames: ['set', 'uri'], registers }), 'sipdispatch_destination_up', upHelp, 'gauge',
    () => rows().map((r) => ({ value: r.up, labels: dest(r) })));
  const stateHelp = "Kamailio's state letters of the destination: 1 for the current state, 0 for states it has shown before; per set (uri=\"\") the destinations in each state.";
  computed(new Gauge({ name: 'sipdispatch_destination_state', help: stateHelp, labelNames: ['set', 'uri', 'state'], registers }), 'sipdispatch_destination_state', stateHelp, 'gauge',
    () => rows().flatMap((r) => [...r.states].map(([state, n]) => ({ value: n, labels: { set: r.set, uri: r.uri, state } }))));
  const callsHelp = 'Calls currently counted against the destination (call load).';
  computed(new Gauge({ name: 'sipdispatch_calls_active', help: callsHelp, labelNames: ['set', 'uri'], registers }), 'sipdispatch_calls_active', callsHelp, 'gauge',
    () => rows().map((r) => ({ value: r.calls, labels: dest(r) })));
  const durationHelp = 'Round-trip time of answered OPTIONS probes, per destination (timeouts are not observed).';
  computed(
    new Histogram({ name: 'sipdispatch_probe_duration_seconds', help: durationHelp, labelNames: ['set', 'uri'], buckets: PROBE_BUCKETS_SECONDS, registers }),
    'sipdispatch_probe_duration_seconds', durationHelp, 'histogram',
    () => rows().flatMap((r) => histogramValues(r)),
  );
  const failuresHelp = 'Probes that timed out or got a reply not counted as alive, per destination.';
  computed(new Counter({ name: 'sipdispatch_probe_failures_total', help: failuresHelp, labelNames: ['set', 'uri'], registers }), 'sipdispatch_probe_failures_total', failuresHelp, 'counter',
    () => rows().map((r) => ({ value: r.counts?.[FAILURES] ?? 0, labels: dest(r) })));
  const relayedHelp = 'Requests forwarded to a destination; set and uri are empty for requests routed by their Route header.';
  computed(new Counter({ name: 'sipdispatch_relayed_requests_total', help: relayedHelp, labelNames: ['set', 'uri', 'method'], registers }), 'sipdispatch_relayed_requests_total', relayedHelp, 'counter',
    () => {
      const out: Value[] = METHOD_LABELS.map((method, i) => ({ value: routeCounts[i] ?? 0, labels: { set: '', uri: '', method } }));
      for (const r of rows()) METHOD_LABELS.forEach((method, i) => out.push({ value: r.counts?.[i] ?? 0, labels: { set: r.set, uri: r.uri, method } }));
      return out;
    });

  return {
    relayed(set, uri, method) {
      const i = METHOD_INDEX.get(methodLabel(method)) ?? 0;
      if (set === '') bump(routeCounts, i);
      const c = tracker.counts(set, uri);
      if (c) bump(c, i);
    },
    probe(set, uri, ok, seconds) {
      const c = tracker.counts(set, uri);
      if (!c) return;
      if (!ok) bump(c, FAILURES);
      if (seconds === undefined) return;
      const b = PROBE_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
      if (b >= 0) bump(c, BUCKETS + b);
      bump(c, SUM, seconds);
      bump(c, COUNT);
    },
  };
}

function histogramValues(r: Row): Value[] {
  const out: Value[] = [];
  let cumulative = 0;
  PROBE_BUCKETS_SECONDS.forEach((le, i) => {
    cumulative += r.counts?.[BUCKETS + i] ?? 0;
    out.push({ value: cumulative, labels: { le: String(le), set: r.set, uri: r.uri }, metricName: 'sipdispatch_probe_duration_seconds_bucket' });
  });
  const count = r.counts?.[COUNT] ?? 0;
  out.push({ value: count, labels: { le: '+Inf', set: r.set, uri: r.uri }, metricName: 'sipdispatch_probe_duration_seconds_bucket' });
  out.push({ value: r.counts?.[SUM] ?? 0, labels: { set: r.set, uri: r.uri }, metricName: 'sipdispatch_probe_duration_seconds_sum' });
  out.push({ value: count, labels: { set: r.set, uri: r.uri }, metricName: 'sipdispatch_probe_duration_seconds_count' });
  return out;
}
