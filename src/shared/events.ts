/**
 * Observability events. Hot-path code publishes on node:diagnostics_channel only when someone
 * listens; metrics/ and logging subscribe. Payloads carry bounded, label-safe values plus, where a
 * log line needs it, the Call-ID (never used as a metric label).
 */
import diagnostics from 'node:diagnostics_channel';

/** SIP transports (RFC 3261 §18, RFC 7118 for WebSocket). Every one but UDP is a stream of connections. */
export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls', 'ws', 'wss'];

export interface EventPayloads {
  /** A SIP request arrived and parsed. */
  'request.received': { method: string; transport: Transport };
  /** A request was forwarded to a dispatcher destination (or a routed next hop with set = ''). */
  'request.relayed': { set: string; uri: string; method: string; callId: string };
  /** A response was relayed upstream or generated locally. */
  'response.sent': { status: number; local: boolean };
  /** The relay moved on to the next candidate. */
  'failover': { set: string; uri: string; reason: FailoverReason; callId: string; next: string | null };
  /** No destination could take an initial request. */
  'no-destination': { set: string; method: string; callId: string };
  /** A datagram or stream chunk could not be parsed. */
  'parse-error': { transport: Transport; code: string; reason: string; source: string };
  /** A message was dropped without a reply. */
  'dropped': { reason: DropReason; transport: Transport };
  /** A probe (OPTIONS keepalive) finished. */
  'probe.result': { set: string; uri: string; ok: boolean; code: number; reason: string; durationMs: number; timeout: boolean };
  /** A destination changed state, or its initial state after a load (initial = true). */
  'destination.state': DestinationStateEvent;
  /** The list was loaded or reloaded (or a reload failed). */
  'list.reload': { result: 'success' | 'failure'; added: number; removed: number; kept: number; errors: string[]; at: number; /** Destinations per state letters after a success (a summary instead of one event each). */ states?: Record<string, number> };
  /** Relayed traffic reached the consecutive-failure threshold of a destination: marked down, or spared. */
  'traffic.mark': { set: string; uri: string; cause: TrafficFailureCause; result: TrafficMarkResult; threshold: number };
  /** A relayed transaction timed out while sipdispatch itself was under pressure: not counted against the destination. */
  'timeout.excused': { set: string };
  /** An initial request was answered 503 at once because sipdispatch is under pressure (load shedding). */
  'request.shed': { method: string; transport: Transport; reason: ShedReason };
  /** A request for a flow (RFC 5626) whose connection is gone was answered 430 (or 480 without outbound). */
  'flow.failed': { transport: Transport; status: number };
  /** A TLS handshake failed, with ours (inbound) or a backend's (outbound) certificate policy or otherwise. */
  'tls.failed': { direction: 'inbound' | 'outbound'; reason: TlsFailureReason };
  /** A WebSocket upgrade was refused before it became a connection. */
  'ws.refused': { transport: 'ws' | 'wss'; reason: WsRefusalReason };
  /** sipdispatch came under pressure or out of it (shedding: new initial requests are refused); the readings that decided it. */
  /** A cluster message was sent or received (state change or call loads); delayMs since the sender's wall clock. */
  'cluster.message': { direction: 'in' | 'out'; kind: 'state' | 'load'; delayMs?: number };
  /** The live cluster members changed. */
  'cluster.members': { members: number; joined: string[]; left: string[] };
  'pressure.changed': { pressured: boolean; shedding: boolean; eventLoopDelayMs: number; udpBacklogBytes: number | null; udpDrops: number | null };
  /** An answered transaction waiting out its timers was ended early by max_completed_transactions. */
  'transaction.evicted': Readonly<Record<string, never>>;
  /** A retransmission toward the farm (Timer A or E) not sent: this thread was behind (transaction-types.ts). */
  'retransmission.held': Readonly<Record<string, never>>;
}

/** Why a TLS handshake failed: its timeout, a certificate that did not verify, no common protocol or cipher, the peer went away. */
export type TlsFailureReason = 'timeout' | 'certificate' | 'protocol' | 'reset' | 'other';
/** Why a WebSocket upgrade was refused: no `sip` subprotocol, an Origin not allowed, the per-IP cap, a banned source, not an upgrade. */
export type WsRefusalReason = 'subprotocol' | 'origin' | 'limit' | 'banned' | 'bad-request';

/**
 * Why a new initial request was shed: the pressure monitor's share, a wait in the UDP intake
 * longer than overload_max_queue_delay, or a full transaction table (max_transactions).
 */
export type ShedReason = 'pressure' | 'late' | 'full';

/** What made relayed traffic count a failure: a timeout, a transport error (send, DNS), or 503 without Retry-After. */
export type TrafficFailureCause = 'timeout' | 'transport-error' | 'response-503';
/** What became of a destination that reached the threshold. */
export type TrafficMarkResult = 'marked' | 'spared-max-share' | 'spared-last-usable' | 'not-usable';
/** What changed a destination's state. */
export type StateTrigger = 'load' | 'probe' | 'traffic' | 'admin' | 'cluster';

export type FailoverReason = 'timeout' | 'transport-error' | 'response-5xx' | 'response-other';
export type DropReason = 'malformed' | 'too-large' | 'no-transaction' | 'loop' | 'unroutable' | 'shutting-down' | 'overload'
  // edge security: a banned source, a source over its pike density, a scanner, a connection limit
  | 'banned' | 'pike' | 'scanner' | 'limit' | 'acl';

export interface DestinationStateEvent {
  set: string;
  uri: string;
  duid: string | null;
  /** Kamailio's two letters, e.g. AP, IP, DX. */
  state: string;
  previous: string | null;
  /** true when the destination can be selected (not inactive, not disabled). */
  up: boolean;
  /** true when usability changed (or on the initial report). */
  changed: boolean;
  initial: boolean;
  code: number;
  reason: string;
  at: number;
  /** What changed the state: a (re)load, a probe, relayed traffic, the operator, or another cluster instance. */
  trigger?: StateTrigger;
}

export type EventName = keyof EventPayloads;

const channelCache = new Map<string, diagnostics.Channel>();

/** The diagnostics channel for one event name (prefixed `sipdispatch:`). */
export function channel(name: EventName): diagnostics.Channel {
  let ch = channelCache.get(name);
  if (!ch) {
    ch = diagnostics.channel(`sipdispatch:${name}`);
    channelCache.set(name, ch);
  }
  return ch;
}

/** Publish only when someone listens; the payload factory is not called otherwise. */
export function publish<N extends EventName>(name: N, payload: EventPayloads[N] | (() => EventPayloads[N])): void {
  const ch = channel(name);
  if (!ch.hasSubscribers) return;
  ch.publish(typeof payload === 'function' ? (payload as () => EventPayloads[N])() : payload);
}

/** Subscribe; returns the unsubscribe function. */
export function subscribe<N extends EventName>(name: N, fn: (payload: EventPayloads[N]) => void): () => void {
  const ch = channel(name);
  const handler = (msg: unknown) => fn(msg as EventPayloads[N]);
  ch.subscribe(handler);
  return () => ch.unsubscribe(handler);
}
