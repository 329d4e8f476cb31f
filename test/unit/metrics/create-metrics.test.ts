import { afterEach, describe, expect, it } from 'vitest';
import { channel, publish } from '../../../src/shared/events.js';
import type { DestinationStateEvent } from '../../../src/shared/events.js';
import { createMetrics } from '../../../src/metrics/create-metrics.js';
import type { DestinationView, Metrics } from '../../../src/metrics/create-metrics.js';
import { DROP_REASONS, FAILOVER_REASONS, METHOD_LABELS } from '../../../src/metrics/label-values.js';

const A = 'sip:10.0.0.1:5060';
const B = 'sip:10.0.0.2:5060';
const C = 'sip:10.0.0.3:5060';

let list: DestinationView[] = [];
let active = 0;
let metrics: Metrics | undefined;

function start(): Metrics {
  list = [
    { set: '1', uri: A, up: true, state: 'AP', callLoad: 2 },
    { set: '1', uri: B, up: false, state: 'IP', callLoad: 0 },
    { set: '2', uri: C, up: true, state: 'AX', callLoad: 0 },
  ];
  active = 3;
  metrics = createMetrics({ destinations: () => list, transactionsActive: () => active, version: '9.8.7', wallClock: () => 1_700_000_000_500 });
  return metrics;
}

afterEach(() => {
  metrics?.close();
  metrics = undefined;
});

/** The value of one exposition line, e.g. `name{a="1"}`; undefined when the series is absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const dest = (set: string, uri: string) => `{set="${set}",uri="${uri}"}`;

function stateEvent(uri: string, state: string, previous: string): DestinationStateEvent {
  return { set: '1', uri, duid: null, state, previous, up: state[0] === 'A', changed: true, initial: false, code: 0, reason: '', at: 0 };
}

describe('createMetrics: series initialised to 0', () => {
  it('creates every fixed series at 0', async () => {
    const text = await start().metrics();
    for (const method of METHOD_LABELS) {
      expect(value(text, `sipdispatch_requests_total{method="${method}"}`)).toBe(0);
      expect(value(text, `sipdispatch_relayed_requests_total{set="1",uri="${A}",method="${method}"}`)).toBe(0);
    }
    for (const cls of ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx']) expect(value(text, `sipdispatch_responses_total{class="${cls}"}`)).toBe(0);
    for (const reason of DROP_REASONS) expect(value(text, `sipdispatch_dropped_total{reason="${reason}"}`)).toBe(0);
    for (const reason of FAILOVER_REASONS) expect(value(text, `sipdispatch_failovers_total{set="2",reason="${reason}"}`)).toBe(0);
    expect(value(text, 'sipdispatch_parse_errors_total{transport="udp"}')).toBe(0);
    expect(value(text, 'sipdispatch_parse_errors_total{transport="tcp"}')).toBe(0);
    expect(value(text, 'sipdispatch_reloads_total{result="success"}')).toBe(0);
    expect(value(text, 'sipdispatch_reloads_total{result="failure"}')).toBe(0);
    expect(value(text, 'sipdispatch_no_destination_total{set="1"}')).toBe(0);
    expect(value(text, `sipdispatch_probe_failures_total${dest('2', C)}`)).toBe(0);
    expect(value(text, `sipdispatch_probe_duration_seconds_count${dest('1', B)}`)).toBe(0);
    expect(value(text, `sipdispatch_probe_duration_seconds_bucket{le="0.0005",set="1",uri="${B}"}`)).toBe(0);
  });

  it('declares HELP and TYPE for every sipdispatch metric, counters ending in _total', async () => {
    const text = await start().metrics();
    const types = [...text.matchAll(/^# TYPE (sipdispatch_\w+) (\w+)$/gm)].map((m) => [m[1], m[2]]);
    expect(types.length).toBe(41);
    for (const [name, type] of types) {
      expect(text).toContain(`# HELP ${name} `);
      expect(type === 'counter').toBe(name!.endsWith('_total'));
    }
  });

  it('includes the default process metrics and build info', async () => {
    const text = await start().metrics();
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(value(text, 'sipdispatch_build_info{version="9.8.7"}')).toBe(1);
  });
});

describe('createMetrics: gauges read at scrape time', () => {
  it('reports up, call load and transactions from the sources', async () => {
    const m = start();
    let text = await m.metrics();
    expect(value(text, `sipdispatch_destination_up${dest('1', A)}`)).toBe(1);
    expect(value(text, `sipdispatch_destination_up${dest('1', B)}`)).toBe(0);
    expect(value(text, `sipdispatch_calls_active${dest('1', A)}`)).toBe(2);
    expect(value(text, 'sipdispatch_transactions_active')).toBe(3);
    active = 7;
    list[0]!.callLoad = 5;
    text = await m.metrics();
    expect(value(text, 'sipdispatch_transactions_active')).toBe(7);
    expect(value(text, `sipdispatch_calls_active${dest('1', A)}`)).toBe(5);
  });

  it('keeps one state series per state shown, 1 for the current one', async () => {
    const m = start();
    publish('destination.state', stateEvent(A, 'TP', 'AP'));
    publish('destination.state', stateEvent(A, 'IP', 'TP'));
    list[0] = { ...list[0]!, up: false, state: 'IP' };
    const text = await m.registry.getSingleMetricAsString('sipdispatch_destination_state');
    const series = (uri: string, state: string) => `sipdispatch_destination_state{set="1",uri="${uri}",state="${state}"}`;
    expect(value(text, series(A, 'AP'))).toBe(0);
    expect(value(text, series(A, 'TP'))).toBe(0);
    expect(value(text, series(A, 'IP'))).toBe(1);
    expect(value(text, series(B, 'IP'))).toBe(1);
    expect(text.split('\n').filter((l) => l.startsWith('sipdispatch_destination_state{')).length).toBe(5);
  });
});

describe('createMetrics: counters fed by events', () => {
  it('counts requests by method, unknown methods as other', async () => {
    const m = start();
    publish('request.received', { method: 'INVITE', transport: 'udp' });
    publish('request.received', { method: 'INVITE', transport: 'tcp' });
    publish('request.received', { method: 'invite', transport: 'udp' });
    publish('request.received', { method: 'FOO', transport: 'udp' });
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_requests_total{method="INVITE"}')).toBe(2);
    expect(value(text, 'sipdispatch_requests_total{method="other"}')).toBe(2);
    expect(text).not.toContain('method="FOO"');
  });

  it('counts relayed requests per destination and never labels the Call-ID', async () => {
    const m = start();
    publish('request.relayed', { set: '1', uri: A, method: 'INVITE', callId: 'secret-call@host' });
    publish('request.relayed', { set: '', uri: 'sip:alice@192.0.2.9', method: 'BYE', callId: 'secret-call@host' });
    const text = await m.metrics();
    expect(value(text, `sipdispatch_relayed_requests_total{set="1",uri="${A}",method="INVITE"}`)).toBe(1);
    expect(value(text, 'sipdispatch_relayed_requests_total{set="",uri="",method="BYE"}')).toBe(1);
    expect(text).not.toContain('secret-call');
    expect(text).not.toContain('192.0.2.9');
  });

  it('counts responses by class and ignores statuses out of range', async () => {
    const m = start();
    for (const status of [100, 180, 200, 486, 503, 699, 99, 700]) publish('response.sent', { status, local: false });
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_responses_total{class="1xx"}')).toBe(2);
    expect(value(text, 'sipdispatch_responses_total{class="2xx"}')).toBe(1);
    expect(value(text, 'sipdispatch_responses_total{class="4xx"}')).toBe(1);
    expect(value(text, 'sipdispatch_responses_total{class="5xx"}')).toBe(1);
    expect(value(text, 'sipdispatch_responses_total{class="6xx"}')).toBe(1);
  });

  it('counts failovers, no-destination, parse errors and drops', async () => {
    const m = start();
    publish('failover', { set: '1', uri: A, reason: 'timeout', callId: 'x', next: B });
    publish('failover', { set: '1', uri: B, reason: 'timeout', callId: 'y', next: null });
    publish('no-destination', { set: '1', method: 'INVITE', callId: 'z' });
    publish('parse-error', { transport: 'tcp', code: 'SIP_BAD_CSEQ', reason: 'bad CSeq', source: '192.0.2.1:5060' });
    publish('dropped', { reason: 'loop', transport: 'udp' });
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_failovers_total{set="1",reason="timeout"}')).toBe(2);
    expect(value(text, 'sipdispatch_no_destination_total{set="1"}')).toBe(1);
    expect(value(text, 'sipdispatch_parse_errors_total{transport="tcp"}')).toBe(1);
    expect(value(text, 'sipdispatch_dropped_total{reason="loop"}')).toBe(1);
    expect(value(text, 'sipdispatch_dropped_total{reason="malformed"}')).toBe(0);
  });

  it('counts answered transactions ended early by max_completed_transactions', async () => {
    const m = start();
    expect(value(await m.metrics(), 'sipdispatch_transactions_completed_evicted_total')).toBe(0);
    publish('transaction.evicted', {});
    publish('transaction.evicted', {});
    expect(value(await m.metrics(), 'sipdispatch_transactions_completed_evicted_total')).toBe(2);
  });

  it('observes answered probes in seconds and counts failures', async () => {
    const m = start();
    publish('probe.result', { set: '1', uri: A, ok: true, code: 200, reason: 'OK', durationMs: 2, timeout: false });
    publish('probe.result', { set: '1', uri: A, ok: false, code: 503, reason: 'Unavailable', durationMs: 40, timeout: false });
    publish('probe.result', { set: '1', uri: A, ok: false, code: 408, reason: 'Timeout', durationMs: 5000, timeout: true });
    const text = await m.metrics();
    const bucket = (le: string) => value(text, `sipdispatch_probe_duration_seconds_bucket{le="${le}",set="1",uri="${A}"}`);
    expect(bucket('0.001')).toBe(0);
    expect(bucket('0.0025')).toBe(1);
    expect(bucket('0.05')).toBe(2);
    expect(value(text, `sipdispatch_probe_duration_seconds_count${dest('1', A)}`)).toBe(2);
    expect(value(text, `sipdispatch_probe_duration_seconds_sum${dest('1', A)}`)).toBeCloseTo(0.042, 9);
    expect(value(text, `sipdispatch_probe_failures_total${dest('1', A)}`)).toBe(2);
  });
});

describe('createMetrics: reloads', () => {
  const reload = (result: 'success' | 'failure') =>
    publish('list.reload', { result, added: 0, removed: 0, kept: 0, errors: [], at: 0 });

  it('removes the series of removed destinations and initialises new ones', async () => {
    const m = start();
    publish('probe.result', { set: '2', uri: C, ok: false, code: 408, reason: '', durationMs: 0, timeout: true });
    list = [list[0]!, { set: '3', uri: B, up: true, state: 'AP', callLoad: 0 }];
    reload('success');
    const text = await m.metrics();
    expect(text).not.toContain(C);
    expect(text).not.toContain('set="2"');
    expect(text).not.toContain(dest('1', B));
    expect(value(text, `sipdispatch_probe_failures_total${dest('3', B)}`)).toBe(0);
    expect(value(text, 'sipdispatch_failovers_total{set="3",reason="response-5xx"}')).toBe(0);
    expect(value(text, `sipdispatch_destination_up${dest('3', B)}`)).toBe(1);
    expect(value(text, 'sipdispatch_reloads_total{result="success"}')).toBe(1);
    expect(value(text, 'sipdispatch_last_reload_timestamp_seconds')).toBe(1_700_000_000.5);
  });

  it('counts a failed reload without touching the list or the timestamp', async () => {
    const m = start();
    reload('failure');
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_reloads_total{result="failure"}')).toBe(1);
    expect(value(text, 'sipdispatch_last_reload_timestamp_seconds')).toBe(0);
    expect(value(text, `sipdispatch_probe_failures_total${dest('2', C)}`)).toBe(0);
  });

  it('ignores stale events about removed destinations', async () => {
    const m = start();
    list = [list[0]!];
    reload('success');
    publish('failover', { set: '2', uri: C, reason: 'timeout', callId: 'x', next: null });
    publish('request.relayed', { set: '1', uri: B, method: 'INVITE', callId: 'x' });
    const text = await m.metrics();
    expect(text).not.toContain('set="2"');
    expect(text).not.toContain(B);
  });

  it('counts events for a destination added without a reload event', async () => {
    const m = start();
    list.push({ set: '1', uri: 'sip:10.0.0.4:5060', up: true, state: 'AP', callLoad: 0 });
    publish('request.relayed', { set: '1', uri: 'sip:10.0.0.4:5060', method: 'INVITE', callId: 'x' });
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_relayed_requests_total{set="1",uri="sip:10.0.0.4:5060",method="INVITE"}')).toBe(1);
    expect(value(text, 'sipdispatch_relayed_requests_total{set="1",uri="sip:10.0.0.4:5060",method="BYE"}')).toBe(0);
  });
});

describe('createMetrics: close', () => {
  it('unsubscribes from every event', () => {
    start().close();
    metrics = undefined;
    expect(channel('request.received').hasSubscribers).toBe(false);
    expect(channel('list.reload').hasSubscribers).toBe(false);
    expect(channel('destination.state').hasSubscribers).toBe(false);
  });
});
