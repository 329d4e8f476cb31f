/** The cluster metrics: gauges read the node's view at scrape time, counters and the delay histogram follow events. */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/metrics/create-metrics.js';
import { publish } from '../../../src/shared/events.js';

let metrics: Metrics | undefined;
afterEach(() => metrics?.close());

const owners = [
  { set: '1', uri: 'sip:10.0.0.11', owner: 'sd1' },
  { set: '1', uri: 'sip:10.0.0.12', owner: 'sd2' },
  { set: '1', uri: 'sip:10.0.0.13', owner: 'sd1' },
];

function start(maxDestinationSeries?: number): Metrics {
  metrics = createMetrics({ version: 't', transactionsActive: () => 0, destinations: () => [], maxDestinationSeries, cluster: () => ({ connected: true, members: 2, listMismatch: false, owners }) });
  return metrics;
}

describe('cluster metrics', () => {
  it('shows connection, members, mismatch and the owner of each destination', async () => {
    const text = await start().metrics();
    expect(text).toContain('sipdispatch_cluster_connected 1');
    expect(text).toContain('sipdispatch_cluster_members 2');
    expect(text).toContain('sipdispatch_cluster_list_mismatch 0');
    expect(text).toContain('sipdispatch_cluster_probe_owner{set="1",uri="sip:10.0.0.12",owner="sd2"} 1');
  });

  it('above metrics_destination_series, counts destinations per set and owner', async () => {
    const text = await start(2).metrics();
    expect(text).toContain('sipdispatch_cluster_probe_owner{set="1",uri="",owner="sd1"} 2');
    expect(text).toContain('sipdispatch_cluster_probe_owner{set="1",uri="",owner="sd2"} 1');
    expect(text).not.toContain('uri="sip:10.0.0.11"');
  });

  it('counts messages in and out and observes the propagation delay', async () => {
    const m = start();
    publish('cluster.message', { direction: 'out', kind: 'state' });
    publish('cluster.message', { direction: 'in', kind: 'state', delayMs: 3 });
    const text = await m.metrics();
    expect(text).toContain('sipdispatch_cluster_events_total{direction="out",kind="state"} 1');
    expect(text).toContain('sipdispatch_cluster_events_total{direction="in",kind="load"} 0');
    expect(text).toContain('sipdispatch_cluster_propagation_seconds_count{kind="state"} 1');
    expect(text).toContain('sipdispatch_cluster_propagation_seconds_bucket{le="0.005",kind="state"} 1');
  });
});
