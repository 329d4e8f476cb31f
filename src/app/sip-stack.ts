/**
 * One thread's SIP side: sockets, transactions, DNS cache and relay, built from the resolved
 * config. The main thread runs one; with `workers: N` each worker thread runs its own.
 */
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config-types.js';
import { Relay } from '../relay/relay.js';
import type { LocalAddress, RelayOptions } from '../relay/relay-options.js';
import type { RelayDispatcher } from '../relay/relay-ports.js';
import type { ListenSpec } from '../shared/addresses.js';
import { systemScheduler } from '../shared/scheduler.js';
import type { Via } from '../sip/message.js';
import { timerValues } from '../transaction/timers.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import { responseTarget } from '../transport/response-target.js';
import type { MessageSource } from '../transport/target.js';
import { TransportManager, type DatagramRouter } from '../transport/transport-manager.js';
import { createPressureSampler, PressureMonitor } from '../transport/pressure-monitor.js';
import { DnsCache } from './dns-cache.js';

/** Who "we" are in Via, Record-Route and the myself check: the same on every thread. */
export interface StackIdentity {
  readonly advertised: { readonly udp: LocalAddress | undefined; readonly tcp: LocalAddress | undefined };
  /** Every bound address as host:port (IPv6 in brackets). */
  readonly bound: readonly string[];
}

export interface SipStackOptions {
  /** What this thread binds (a worker: the UDP listeners at the ports the main thread got). */
  readonly listen: readonly ListenSpec[];
  readonly reusePort: boolean;
  readonly router?: DatagramRouter;
  /** Decided by the main thread for a worker; else taken from this thread's own sockets. */
  readonly identity?: StackIdentity;
}

export interface SipStack {
  readonly transport: TransportManager;
  readonly transactions: TransactionLayer;
  readonly relay: Relay;
  readonly dns: DnsCache;
  readonly identity: StackIdentity;
  /** This thread's own pressure (event-loop delay, UDP backlog): load shedding and excused timeouts. */
  readonly pressure: PressureMonitor;
  /** Refuses new calls, waits for answers still pending (at most drain_timeout), closes sockets. */
  stop(): Promise<void>;
}

const NO_LOCAL = Object.freeze({ address: '', port: 0 });

/** The source a response target is computed for when no request is at hand (stray 2xx). */
export function statelessSource(via: Via): MessageSource {
  return { transport: via.transport === 'TCP' ? 'tcp' : 'udp', address: '', port: 0, local: NO_LOCAL };
}

function ownIdentity(config: Config, transport: TransportManager): StackIdentity {
  const has = (t: 'udp' | 'tcp') => config.listenSpecs.some((s) => s.transport === t);
  const udp = has('udp') ? transport.localAddressFor('udp') : undefined;
  const tcp = has('tcp') ? transport.localAddressFor('tcp') : undefined;
  return {
    advertised: { udp: udp && { host: udp.host, port: udp.port }, tcp: tcp && { host: tcp.host, port: tcp.port } },
    bound: transport.addresses().map((a) => `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`),
  };
}

/** The relay's options from the config and who we are (bench/relay/per-call.mjs builds a relay with them too). */
export function relayOptions(config: Config, identity: StackIdentity): RelayOptions {
  return {
    advertised: identity.advertised,
    aliases: [...config.alias, ...identity.bound],
    routes: config.routes.map((r) => ({
      methods: r.match.method === undefined ? [] : (Array.isArray(r.match.method) ? r.match.method : [r.match.method]).map((m) => m.toUpperCase()),
      ruriUser: r.match.ruri_user === undefined ? undefined : new RegExp(r.match.ruri_user),
      set: r.set,
      algorithm: r.algorithm,
      limit: r.limit,
      failoverOn: new Set(r.failover.on),
      maxTries: r.failover.max_tries,
    })),
    recordRoute: config.record_route,
    maxForwardsLimit: config.max_forwards_limit,
    fixNatedContact: config.fix_nated_contact,
    noDestination: { status: config.no_destination.status, reason: config.no_destination.reason, retryAfter: config.no_destination.retry_after },
    useDefault: config.use_default,
    hashFailover: config.hash_failover,
    shedding: { methods: new Set(config.overload_shed_methods.map((m) => m.toUpperCase())), retryAfter: config.overload_retry_after },
  };
}

function createTransport(config: Config, logger: PinoLogger, options: SipStackOptions): TransportManager {
  return new TransportManager(
    {
      listen: options.listen,
      advertise: config.advertiseAddress,
      forceRport: config.force_rport,
      reusePort: options.reusePort,
      udpBufferSize: config.udp_buffer_size,
      maxMessageSize: config.max_message_size,
      tcp: {
        idleTimeoutMs: config.tcp_idle_timeout,
        maxConnections: config.tcp_max_connections,
        maxBufferedBytes: config.tcp_max_buffer,
        connectTimeoutMs: config.tcp_connect_timeout,
      },
    },
    { scheduler: systemScheduler, logger: logger.child({ component: 'transport' }), router: options.router },
  );
}

/** Opens the sockets and builds the relay on them; rejects with LISTEN_FAILED naming the address. */
export async function startSipStack(config: Config, logger: PinoLogger, dispatcher: RelayDispatcher, options: SipStackOptions): Promise<SipStack> {
  const transport = createTransport(config, logger, options);
  const transactions = new TransactionLayer({
    transport,
    scheduler: systemScheduler,
    timers: timerValues({ t1: config.t1, t2: config.t2, t4: config.t4, frTimer: config.fr_timer, frInvTimer: config.fr_inv_timer, waitTimer: config.wait_timer }),
    logger: logger.child({ component: 'transaction' }),
  });
  const dns = new DnsCache({ now: () => Date.now(), fallbackTtlMs: 60_000, maxTtlMs: 3_600_000 });
  // The relay needs the bound addresses, so it is built after the sockets open; a datagram in
  // between is dropped and counted (the sender retransmits).
  await transport.start();
  const identity = options.identity ?? ownIdentity(config, transport);
  const pressure = startPressureMonitor(config, transport);
  const relay = new Relay(
    {
      dispatcher,
      io: {
        send: (bytes, target) => transport.send(bytes, target),
        // The relay hands back the transport's own MessageSource, or none for a stateless forward.
        responseTarget: (via, source) => responseTarget(via, (source as MessageSource | undefined) ?? statelessSource(via)),
        resolve: dns.resolve,
      },
      pressure: pressure.monitor,
    },
    transactions,
    relayOptions(config, identity),
    logger.child({ component: 'relay' }),
  );
  transport.onMessage((msg, source) => relay.receive(msg, source));
  return {
    transport,
    transactions,
    relay,
    dns,
    identity,
    pressure: pressure.monitor,
    async stop() {
      relay.drain();
      let timer: NodeJS.Timeout | undefined;
      // Waits for answers still pending, not for the timers that only absorb retransmissions.
      await Promise.race([transactions.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, config.drain_timeout)))]);
      clearTimeout(timer);
      transactions.close();
      pressure.stop();
      await transport.close();
    },
  };
}

/** Samples this thread's event-loop delay and the backlog of its UDP ports (docs/overload.md). */
function startPressureMonitor(config: Config, transport: TransportManager): { monitor: PressureMonitor; stop(): void } {
  const ports = new Set(transport.addresses().filter((a) => a.transport === 'udp').map((a) => a.port));
  const capacity = transport.udpReceiveBufferSize();
  const sampler = createPressureSampler(() => ports, () => capacity);
  const thresholds = { maxEventLoopDelayMs: config.overload_max_event_loop_delay, maxUdpBacklogPercent: config.overload_max_udp_backlog, shedding: config.overload_shedding };
  const monitor = new PressureMonitor(thresholds, systemScheduler, config.overload_sample_interval, sampler.sample);
  monitor.start();
  return {
    monitor,
    stop() {
      monitor.stop();
      sampler.close();
    },
  };
}
