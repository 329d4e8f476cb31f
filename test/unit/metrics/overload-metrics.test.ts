import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/metrics/create-metrics.js';
import { SHED_REASONS, TRAFFIC_CAUSES, TRAFFIC_RESULTS } from '../../../src/metrics/overload-metrics.js';
import { METHOD_LABELS } from '../../../src/metrics/label-values.js';
import { publish } from '../../../src/shared/events.js';

const A = 'sip:127.0.0.1:5071';
let metrics: Metrics | undefined;
let pressure: { eventLoopDelayMs: number; udpBacklogBytes: number | undefined; shedShare: number; intakeDelayMs: number } | undefined;

function start(): Metrics {
  pressure = { eventLoopDelayMs: 250, udpBacklogBytes: 81920, shedShare: 0.5, intakeDelayMs: 31 };
  metrics = createMetrics({
    destinations: () => [{ set: '1', uri: A, up: true, state: 'AX', callLoad: 0 }],
    transactionsActive: () => 0,
    version: 't',
    pressure: () => pressure,
  });
  return metrics;
}

afterEach(() => {
  metrics?.close();
  metrics = undefined;
});

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('overload metrics', () => {
  it('initialises shed requests by method and traffic marks per set, cause and result at 0', async () => {
    const text = await start().metrics();
    for (const method of METHOD_LABELS) {
      for (const reason of SHED_REASONS) expect(value(text, `sipdispatch_shed_requests_total{method="${method}",reason="${reason}"}`)).toBe(0);
    }
    for (const cause of TRAFFIC_CAUSES) {
      for (const result of TRAFFIC_RESULTS) expect(value(text, `sipdispatch_traffic_marks_total{set="1",cause="${cause}",result="${result}"}`)).toBe(0);
    }
    expect(value(text, 'sipdispatch_timeouts_excused_total{set="1"}')).toBe(0);
    expect(value(text, 'sipdispatch_retransmissions_held_total')).toBe(0);
  });

  it('counts shed requests, traffic marks, excused timeouts and held retransmissions from the events', async () => {
    const m = start();
    publish('request.shed', { method: 'INVITE', transport: 'udp', reason: 'pressure' });
    publish('request.shed', { method: 'INVITE', transport: 'udp', reason: 'late' });
    publish('request.shed', { method: 'FOO', transport: 'udp', reason: 'full' });
    publish('traffic.mark', { set: '1', uri: A, cause: 'timeout', result: 'marked', threshold: 5 });
    publish('traffic.mark', { set: '1', uri: A, cause: 'timeout', result: 'spared-last-usable', threshold: 5 });
    publish('traffic.mark', { set: '9', uri: 'sip:gone', cause: 'timeout', result: 'marked', threshold: 5 });
    publish('timeout.excused', { set: '1' });
    publish('retransmission.held', {});
    publish('retransmission.held', {});
    const text = await m.metrics();
    expect(value(text, 'sipdispatch_shed_requests_total{method="INVITE",reason="pressure"}')).toBe(1);
    expect(value(text, 'sipdispatch_shed_requests_total{method="INVITE",reason="late"}')).toBe(1);
    expect(value(text, 'sipdispatch_shed_requests_total{method="other",reason="full"}')).toBe(1);
    expect(value(text, 'sipdispatch_traffic_marks_total{set="1",cause="timeout",result="marked"}')).toBe(1);
    expect(value(text, 'sipdispatch_traffic_marks_total{set="1",cause="timeout",result="spared-last-usable"}')).toBe(1);
    expect(text).not.toContain('set="9"');
    expect(value(text, 'sipdispatch_timeouts_excused_total{set="1"}')).toBe(1);
    expect(value(text, 'sipdispatch_retransmissions_held_total')).toBe(2);
  });

  it('reads the pressure gauges at scrape time', async () => {
    const m = start();
    let text = await m.metrics();
    expect(value(text, 'sipdispatch_event_loop_delay_seconds')).toBe(0.25);
    expect(value(text, 'sipdispatch_udp_receive_backlog_bytes')).toBe(81920);
    expect(value(text, 'sipdispatch_shedding')).toBe(0.5);
    expect(value(text, 'sipdispatch_udp_intake_delay_seconds')).toBe(0.031);
    pressure = undefined;
    text = await m.metrics();
    expect([value(text, 'sipdispatch_event_loop_delay_seconds'), value(text, 'sipdispatch_shedding')]).toEqual([0, 0]);
  });
});
