import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/metrics/create-metrics.js';

let metrics: Metrics | undefined;
afterEach(() => metrics?.close());

describe('sipdispatch_udp_handoffs_total', () => {
  it('shows the datagrams each thread handed over, read at scrape time', async () => {
    let counts = [3, 0];
    metrics = createMetrics({ destinations: () => [], transactionsActive: () => 0, version: '1', udpHandoffs: () => counts });
    let text = await metrics.metrics();
    expect(text).toContain('sipdispatch_udp_handoffs_total{thread="0"} 3\n');
    expect(text).toContain('sipdispatch_udp_handoffs_total{thread="1"} 0\n');
    counts = [5, 7];
    text = await metrics.metrics();
    expect(text).toContain('sipdispatch_udp_handoffs_total{thread="0"} 5\n');
    expect(text).toContain('sipdispatch_udp_handoffs_total{thread="1"} 7\n');
  });

  it('has no series with one thread', async () => {
    metrics = createMetrics({ destinations: () => [], transactionsActive: () => 0, version: '1' });
    expect(await metrics.metrics()).not.toMatch(/^sipdispatch_udp_handoffs_total\{/m);
  });
});
