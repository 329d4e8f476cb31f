/**
 * Per-destination series computed at scrape time: the same exposition as prom-client label sets
 * below metrics_destination_series, one row per set (uri="", sums) above it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type DestinationView, type Metrics } from '../../../src/metrics/create-metrics.js';
import { publish } from '../../../src/shared/events.js';

let metrics: Metrics | undefined;
afterEach(() => {
  metrics?.close();
  metrics = undefined;
});

const LIST: DestinationView[] = [
  { set: '1', uri: 'sip:10.0.0.1', up: true, state: 'AP', callLoad: 2 },
  { set: '1', uri: 'sip:10.0.0.2', up: false, state: 'IP', callLoad: 0 },
  { set: '1', uri: 'sip:10.0.0.3', up: true, state: 'AP', callLoad: 1 },
  { set: '2', uri: 'sip:10.0.0.4', up: true, state: 'AX', callLoad: 0 },
];

function start(max: number): Metrics {
  metrics = createMetrics({ destinations: () => LIST, transactionsActive: () => 0, version: '1', maxDestinationSeries: max });
  return metrics;
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function feed(): void {
  publish('request.relayed', { set: '1', uri: 'sip:10.0.0.1', method: 'INVITE', callId: 'a' });
  publish('request.relayed', { set: '1', uri: 'sip:10.0.0.3', method: 'INVITE', callId: 'b' });
  publish('request.relayed', { set: '1', uri: 'sip:10.0.0.3', method: 'BYE', callId: 'b' });
  publish('probe.result', { set: '1', uri: 'sip:10.0.0.1', ok: true, code: 200, reason: 'OK', durationMs: 2, timeout: false });
  publish('probe.result', { set: '1', uri: 'sip:10.0.0.2', ok: false, code: 408, reason: 'Request Timeout', durationMs: 5000, timeout: true });
  publish('probe.result', { set: '1', uri: 'sip:10.0.0.3', ok: true, code: 200, reason: 'OK', durationMs: 30, timeout: false });
}

describe('destination series at scrape time', () => {
  it('per destination while the list is within metrics_destination_series', async () => {
    const m = start(4);
    feed();
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_relayed_requests_total{set="1",uri="sip:10.0.0.3",method="BYE"}')).toBe(1);
    expect(value(text, 'sipdispatch_relayed_requests_total{set="2",uri="sip:10.0.0.4",method="INVITE"}')).toBe(0);
    expect(value(text, 'sipdispatch_probe_failures_total{set="1",uri="sip:10.0.0.2"}')).toBe(1);
    expect(value(text, 'sipdispatch_probe_duration_seconds_bucket{le="0.0025",set="1",uri="sip:10.0.0.1"}')).toBe(1);
    expect(value(text, 'sipdispatch_probe_duration_seconds_bucket{le="+Inf",set="1",uri="sip:10.0.0.3"}')).toBe(1);
    expect(value(text, 'sipdispatch_probe_duration_seconds_sum{set="1",uri="sip:10.0.0.3"}')).toBe(0.03);
    expect(value(text, 'sipdispatch_destination_up{set="1",uri="sip:10.0.0.2"}')).toBe(0);
    expect(value(text, 'sipdispatch_calls_active{set="1",uri="sip:10.0.0.1"}')).toBe(2);
    expect(text).not.toContain('uri=""}');
  });

  it('per set with uri="" above it: destinations up, in each state, calls and counts summed', async () => {
    const m = start(3);
    feed();
    const text = await m.metrics();
    expect(text).not.toContain('sip:10.0.0.');
    expect(value(text, 'sipdispatch_destination_up{set="1",uri=""}')).toBe(2);
    expect(value(text, 'sipdispatch_destination_up{set="2",uri=""}')).toBe(1);
    expect(value(text, 'sipdispatch_destination_state{set="1",uri="",state="AP"}')).toBe(2);
    expect(value(text, 'sipdispatch_destination_state{set="1",uri="",state="IP"}')).toBe(1);
    expect(value(text, 'sipdispatch_calls_active{set="1",uri=""}')).toBe(3);
    expect(value(text, 'sipdispatch_relayed_requests_total{set="1",uri="",method="INVITE"}')).toBe(2);
    expect(value(text, 'sipdispatch_probe_failures_total{set="1",uri=""}')).toBe(1);
    expect(value(text, 'sipdispatch_probe_duration_seconds_bucket{le="0.05",set="1",uri=""}')).toBe(2);
    expect(value(text, 'sipdispatch_probe_duration_seconds_count{set="1",uri=""}')).toBe(2);
    expect(value(text, 'sipdispatch_probe_duration_seconds_count{set="2",uri=""}')).toBe(0);
  });

  it('after a reload the list is read at the next scrape, not at the reload', async () => {
    let reads = 0;
    metrics = createMetrics({ destinations: () => (reads++, LIST), transactionsActive: () => 0, version: '1' });
    const before = reads;
    publish('list.reload', { result: 'success', added: 4, removed: 0, kept: 0, errors: [], at: 0 });
    publish('request.relayed', { set: '2', uri: 'sip:10.0.0.4', method: 'INVITE', callId: 'c' });
    publish('request.relayed', { set: '9', uri: 'sip:gone', method: 'INVITE', callId: 'd' });
    expect(reads).toBe(before);
    const text = await metrics.metrics();
    expect(value(text, 'sipdispatch_relayed_requests_total{set="2",uri="sip:10.0.0.4",method="INVITE"}')).toBe(1);
    expect(text).not.toContain('sip:gone');
  });

  it('a set first seen through an event after a reload gets its per-set series', async () => {
    let list: DestinationView[] = [];
    metrics = createMetrics({ destinations: () => list, transactionsActive: () => 0, version: '1' });
    list = LIST;
    publish('list.reload', { result: 'success', added: 4, removed: 0, kept: 0, errors: [], at: 0 });
    publish('request.relayed', { set: '1', uri: 'sip:10.0.0.1', method: 'INVITE', callId: 'e' });
    const text = await metrics.metrics();
    expect(value(text, 'sipdispatch_no_destination_total{set="1"}')).toBe(0);
    expect(value(text, 'sipdispatch_no_destination_total{set="2"}')).toBe(0);
    expect(value(text, 'sipdispatch_failovers_total{set="1",reason="timeout"}')).toBe(0);
    expect(value(text, 'sipdispatch_timeouts_excused_total{set="1"}')).toBe(0);
    expect(value(text, 'sipdispatch_relayed_requests_total{set="1",uri="sip:10.0.0.1",method="INVITE"}')).toBe(1);
  });
});
