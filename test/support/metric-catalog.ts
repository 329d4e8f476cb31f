/**
 * The metric names and labels a dashboard may use: the product contract's `sipdispatch_*` families
 * (spec/product.md) plus prom-client's default process and Node.js metrics, read from prom-client
 * itself so the list follows the installed version.
 */
import client from 'prom-client';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricFamily {
  name: string;
  type: MetricType;
  labels: readonly string[];
}

/** The contract: names and label sets are fixed (spec/product.md "Metrics"). */
export const CONTRACT_METRICS: readonly MetricFamily[] = [
  { name: 'sipdispatch_destination_up', type: 'gauge', labels: ['set', 'uri'] },
  { name: 'sipdispatch_destination_state', type: 'gauge', labels: ['set', 'uri', 'state'] },
  { name: 'sipdispatch_probe_duration_seconds', type: 'histogram', labels: ['set', 'uri'] },
  { name: 'sipdispatch_probe_failures_total', type: 'counter', labels: ['set', 'uri'] },
  { name: 'sipdispatch_requests_total', type: 'counter', labels: ['method'] },
  { name: 'sipdispatch_relayed_requests_total', type: 'counter', labels: ['set', 'uri', 'method'] },
  { name: 'sipdispatch_responses_total', type: 'counter', labels: ['class'] },
  { name: 'sipdispatch_failovers_total', type: 'counter', labels: ['set', 'reason'] },
  { name: 'sipdispatch_no_destination_total', type: 'counter', labels: ['set'] },
  { name: 'sipdispatch_transactions_active', type: 'gauge', labels: [] },
  { name: 'sipdispatch_calls_active', type: 'gauge', labels: ['set', 'uri'] },
  { name: 'sipdispatch_parse_errors_total', type: 'counter', labels: ['transport'] },
  { name: 'sipdispatch_dropped_total', type: 'counter', labels: ['reason'] },
  { name: 'sipdispatch_reloads_total', type: 'counter', labels: ['result'] },
  { name: 'sipdispatch_last_reload_timestamp_seconds', type: 'gauge', labels: [] },
  { name: 'sipdispatch_build_info', type: 'gauge', labels: ['version'] },
  { name: 'sipdispatch_hep_packets_sent_total', type: 'counter', labels: [] },
  { name: 'sipdispatch_hep_packets_dropped_total', type: 'counter', labels: ['reason'] },
  // edge security (docs/public-internet.md)
  { name: 'sipdispatch_edge_bans_active', type: 'gauge', labels: [] },
  { name: 'sipdispatch_edge_tracked_sources', type: 'gauge', labels: [] },
  { name: 'sipdispatch_edge_evictions_total', type: 'counter', labels: [] },
  { name: 'sipdispatch_transactions_completed_evicted_total', type: 'counter', labels: [] },
  { name: 'sipdispatch_connections', type: 'gauge', labels: ['transport'] },
  // overload (issue 11, docs/overload.md)
  { name: 'sipdispatch_shed_requests_total', type: 'counter', labels: ['method', 'reason'] },
  { name: 'sipdispatch_traffic_marks_total', type: 'counter', labels: ['set', 'cause', 'result'] },
  { name: 'sipdispatch_timeouts_excused_total', type: 'counter', labels: ['set'] },
  { name: 'sipdispatch_retransmissions_held_total', type: 'counter', labels: [] },
  { name: 'sipdispatch_event_loop_delay_seconds', type: 'gauge', labels: [] },
  { name: 'sipdispatch_udp_receive_backlog_bytes', type: 'gauge', labels: [] },
  { name: 'sipdispatch_shedding', type: 'gauge', labels: [] },
  { name: 'sipdispatch_udp_intake_delay_seconds', type: 'gauge', labels: [] },
  // worker threads (workers > 1): datagrams handed to their owner thread
  { name: 'sipdispatch_udp_handoffs_total', type: 'counter', labels: ['thread'] },
  // TLS and WebSocket (issue 14, docs/webrtc-tls.md)
  { name: 'sipdispatch_tls_handshake_failures_total', type: 'counter', labels: ['direction', 'reason'] },
  { name: 'sipdispatch_ws_upgrades_refused_total', type: 'counter', labels: ['transport', 'reason'] },
  { name: 'sipdispatch_flow_failures_total', type: 'counter', labels: ['transport', 'status'] },
  // cluster (issue 16, docs/cluster.md)
  { name: 'sipdispatch_cluster_connected', type: 'gauge', labels: [] },
  { name: 'sipdispatch_cluster_members', type: 'gauge', labels: [] },
  { name: 'sipdispatch_cluster_list_mismatch', type: 'gauge', labels: [] },
  { name: 'sipdispatch_cluster_probe_owner', type: 'gauge', labels: ['set', 'uri', 'owner'] },
  { name: 'sipdispatch_cluster_events_total', type: 'counter', labels: ['direction', 'kind'] },
  { name: 'sipdispatch_cluster_propagation_seconds', type: 'histogram', labels: ['kind'] },
];

/** Labels Prometheus attaches to every scraped series. */
export const TARGET_LABELS: readonly string[] = ['job', 'instance'];

/** prom-client's default metrics, as registered by `collectDefaultMetrics`. */
export function defaultMetricFamilies(): MetricFamily[] {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; type: string; labelNames?: readonly string[] };
    return { name: metric.name, type: metric.type as MetricType, labels: metric.labelNames ?? [] };
  });
}

/**
 * Every series name a query can select, with its labels (target labels included): a histogram
 * family `x` yields `x_bucket` (with `le`), `x_sum` and `x_count`.
 */
export function seriesCatalog(families: readonly MetricFamily[] = [...CONTRACT_METRICS, ...defaultMetricFamilies()]): Map<string, ReadonlySet<string>> {
  const catalog = new Map<string, ReadonlySet<string>>();
  for (const f of families) {
    const labels = [...f.labels, ...TARGET_LABELS];
    if (f.type === 'histogram') {
      catalog.set(`${f.name}_bucket`, new Set([...labels, 'le']));
      catalog.set(`${f.name}_sum`, new Set(labels));
      catalog.set(`${f.name}_count`, new Set(labels));
    } else if (f.type === 'summary') {
      catalog.set(f.name, new Set([...labels, 'quantile']));
      catalog.set(`${f.name}_sum`, new Set(labels));
      catalog.set(`${f.name}_count`, new Set(labels));
    } else {
      catalog.set(f.name, new Set(labels));
    }
  }
  return catalog;
}
