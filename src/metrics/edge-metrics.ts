/** Edge security gauges, read at scrape time from the edge guard and the TCP transport. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Transport } from '../shared/events.js';

const STREAM_TRANSPORTS: readonly Transport[] = ['tcp', 'tls', 'ws', 'wss'];

export interface EdgeView {
  /** Bans in force. */
  bans: number;
  /** Sources pike follows. */
  trackedSources: number;
  /** Sources the bounded tables forgot. */
  evictions: number;
  /** Open connections by transport (TCP and TLS: accepted and outbound; WebSocket: accepted). */
  connections: Partial<Record<Transport, number>>;
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
    help: 'Open connections by transport (TCP and TLS: accepted and outbound; WebSocket: accepted).',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      const connections = view()?.connections ?? {};
      for (const transport of STREAM_TRANSPORTS) this.set({ transport }, connections[transport] ?? 0);
    },
  });
}
