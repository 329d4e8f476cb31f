/**
 * TLS and WebSocket metrics: handshake failures by reason, refused upgrades by reason, and
 * requests for flows whose connection was gone (430/480). Connections per transport are the edge
 * gauge `sipdispatch_connections`.
 */
import { Counter, type Registry } from 'prom-client';
import { subscribe, type TlsFailureReason, type WsRefusalReason } from '../shared/events.js';

const TLS_REASONS: readonly TlsFailureReason[] = ['timeout', 'certificate', 'protocol', 'reset', 'other'];
const WS_REASONS: readonly WsRefusalReason[] = ['subprotocol', 'origin', 'limit', 'banned', 'bad-request'];

/** Defines the counters, initialises every known series, subscribes; returns the unsubscriber. */
export function defineTransportMetrics(registers: Registry[]): () => void {
  const tlsFailures = new Counter({
    name: 'sipdispatch_tls_handshake_failures_total',
    help: 'TLS handshakes that failed, by direction (inbound: our listeners; outbound: toward backends) and reason.',
    labelNames: ['direction', 'reason'] as const,
    registers,
  });
  const wsRefused = new Counter({
    name: 'sipdispatch_ws_upgrades_refused_total',
    help: 'WebSocket upgrades refused before a connection was made, by transport and reason.',
    labelNames: ['transport', 'reason'] as const,
    registers,
  });
  const flowFailures = new Counter({
    name: 'sipdispatch_flow_failures_total',
    help: 'Requests for a flow (RFC 5626) whose connection was gone, answered 430 (or 480 when the client did not use outbound).',
    labelNames: ['transport', 'status'] as const,
    registers,
  });
  for (const direction of ['inbound', 'outbound']) for (const reason of TLS_REASONS) tlsFailures.inc({ direction, reason }, 0);
  for (const transport of ['ws', 'wss']) for (const reason of WS_REASONS) wsRefused.inc({ transport, reason }, 0);
  for (const transport of ['tcp', 'tls', 'ws', 'wss']) for (const status of ['430', '480']) flowFailures.inc({ transport, status }, 0);
  const unsubscribers = [
    subscribe('tls.failed', (e) => tlsFailures.inc({ direction: e.direction, reason: e.reason })),
    subscribe('ws.refused', (e) => wsRefused.inc({ transport: e.transport, reason: e.reason })),
    subscribe('flow.failed', (e) => flowFailures.inc({ transport: e.transport, status: String(e.status) })),
  ];
  return () => unsubscribers.forEach((u) => u());
}
