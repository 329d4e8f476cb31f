/** Edge security gauges, read at scrape time from the edge guard and the TCP transport. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface EdgeView {
  /** Bans in force. */
  bans: number;
  /** Sources pike follows. */
  trackedSources: number;
  /** Sources the bounded tables forgot. */
  evictions: number;
  /** Open TCP connections (accepted and outbound). */
  tcpConnections: number;
}

export function defineEdgeMetrics(registers: Registry[], view: () => EdgeView | undefined): void {
  new Gauge({
    name: 'sipdispatch_edge_bans_active',
    help: 'Sources banned now (pike; htable ipban).',
    registers,
    collect() {
      this.set(view()?.bans ?? 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_edge_tracked_sources',
    help: 'Sources whose request density pike follows now (bounded by edge_max_sources).',
    registers,
    collect() {
      this.set(view()?.trackedSources ?? 0);
    },
  });
  new Counter({
    name: 'sipdispatch_edge_evictions_total',
    help: 'Sources the bounded edge tables evicted to stay within edge_max_sources.',
    registers,
    collect() {
      this.reset();
      this.inc(view()?.evictions ?? 0);
    },
  });
  new Gauge({
    name: 'sipdispatch_connections',
    help: 'Open connections by transport (TCP: accepted and outbound).',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      this.set({ transport: 'tcp' }, view()?.tcpConnections ?? 0);
    },
  });
}
