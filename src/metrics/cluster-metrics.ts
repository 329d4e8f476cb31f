/**
 * The cluster metrics (docs/cluster.md): connection, live members, list mismatch and the probe
 * owner per destination read at scrape time; messages in/out and the propagation delay (sender's
 * wall clock to ours, so it includes clock skew between machines) follow events.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { subscribe } from '../shared/events.js';

export interface ClusterMetricsView {
  readonly connected: boolean;
  readonly members: number;
  readonly listMismatch: boolean;
  /** Every destination and the instance probing it in this instance's view. */
  readonly owners: ReadonlyArray<{ readonly set: string; readonly uri: string; readonly owner: string }>;
}

/** Loopback to a WAN between sites: a tenth of a millisecond up to 5 s. */
export const CLUSTER_DELAY_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/**
 * Defines the metrics; returns the unsubscriber of the events they follow. Above
 * `maxDestinationSeries` destinations (metrics_destination_series) the probe owner is exported per
 * set and owner with `uri=""`, its value the number of destinations that owner probes.
 */
export function defineClusterMetrics(registers: Registry[], view: () => ClusterMetricsView | undefined, maxDestinationSeries: number): () => void {
  new Gauge({
    name: 'sipdispatch_cluster_connected',
    help: '1 while this instance is in the cluster (Redis reachable and heartbeats answered), 0 in local mode or before it joined.',
    registers,
    collect() {
      this.set(view()?.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_cluster_members',
    help: 'Live cluster members this instance sees, itself included (1 for a single instance).',
    registers,
    collect() {
      this.set(view()?.members ?? 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_cluster_list_mismatch',
    help: '1 when a live member loaded a dispatcher list whose digest differs from this one.',
    registers,
    collect() {
      this.set(view()?.listMismatch ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_cluster_probe_owner',
    help: 'The instance that probes each destination, in this instance\'s view (value 1; owner is the node id); above metrics_destination_series destinations, per set with uri="" and the number of destinations.',
    labelNames: ['set', 'uri', 'owner'] as const,
    registers,
    collect() {
      this.reset();
      const owners = view()?.owners ?? [];
      if (owners.length <= maxDestinationSeries) {
        for (const o of owners) this.set({ set: o.set, uri: o.uri, owner: o.owner }, 1);
        return;
      }
      for (const o of owners) this.inc({ set: o.set, uri: '', owner: o.owner });
    },
  });
  const messages = new Counter({
    name: 'sipdispatch_cluster_events_total',
    help: 'Cluster messages sent (out) and received (in), by kind (state changes, call loads).',
    labelNames: ['direction', 'kind'] as const,
    registers,
  });
  for (const direction of ['in', 'out']) for (const kind of ['state', 'load']) messages.inc({ direction, kind }, 0);
  const delay = new Histogram({
    name: 'sipdispatch_cluster_propagation_seconds',
    help: 'Delay from another instance\'s change (its wall clock) to its arrival here, by kind.',
    labelNames: ['kind'] as const,
    buckets: CLUSTER_DELAY_BUCKETS_SECONDS,
    registers,
  });
  for (const kind of ['state', 'load']) delay.zero({ kind });
  return subscribe('cluster.message', (e) => {
    messages.inc({ direction: e.direction, kind: e.kind });
    if (e.delayMs !== undefined) delay.observe({ kind: e.kind }, e.delayMs / 1000);
  });
}
