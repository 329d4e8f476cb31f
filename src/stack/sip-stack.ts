/**
 * One thread's SIP side: sockets, transactions, DNS cache and relay, built from the resolved
 * config. The main thread runs one; with `workers: N` each worker thread runs its own.
 */
import { randomBytes } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import { FlowTokens } from '../relay/flow-token.js';
import { TRANSPORTS, type Transport } from '../shared/events.js';
import type { Config } from '../config/config-types.js';
import { resolveConfig } from '../config/resolve.js';
import { threadLimits } from '../config/thread-share.js';
import { compileHashValue } from '../relay/hash-value.js';
import { Relay } from '../relay/relay.js';
import type { RelayOptions } from '../relay/relay-options.js';
import type { RelayDispatcher } from '../relay/relay-ports.js';
import type { ListenSpec, LocalAddress } from '../shared/addresses.js';
import { systemClock } from '../shared/clock.js';
import { systemScheduler } from '../shared/scheduler.js';
import type { Via } from '../sip/message.js';
import { timerValues } from '../transaction/timers.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import { responseTarget } from '../transport/response-target.js';
import type { MessageSource } from '../transport/target.js';
import type { BoundAddress } from '../transport/advertised-address.js';
import { TransportManager, type DatagramRouter } from '../transport/transport-manager.js';
import { DnsCache } from '../transport/dns-cache.js';
import { startHepExport, type HepExport } from '../hep/hep-export.js';
import type { EdgeGuard, SharedEdgeTables } from '../edge/edge-guard.js';
import type { Ban } from '../edge/ban-table.js';
import type { InboundFilter } from '../transport/inbound-filter.js';
import { createEdgeFilter } from './edge-filter.js';
import { AclTable } from './acl-table.js';
import { createPressureSampler, PressureMonitor } from '../transport/pressure-monitor.js';

/** Who "we" are in Via, Record-Route and the myself check: the same on every thread. */
export interface StackIdentity {
  readonly advertised: Partial<Record<Transport, LocalAddress>>;
  /** Every bound address as host:port (IPv6 in brackets). */
  readonly bound: readonly string[];
}

export interface SipStackOptions {
  /** What this thread binds (a worker: the UDP listeners at the ports the main thread got). */
  readonly listen: readonly ListenSpec[];
  /** Several threads read these UDP listeners: each binds its own socket for requests to the farm. */
  readonly threadSockets?: boolean;
  readonly router?: DatagramRouter;
  /** Decided by the main thread for a worker; else taken from this thread's own sockets. */
  readonly identity?: StackIdentity;
  /** Worker threads: every ban this thread's edge makes, for the other threads to apply. */
  readonly shareBan?: (ban: Ban) => void;
  /** `workers` > 1: pike's and authban's tables, one for all threads. */
  readonly edgeTables?: SharedEdgeTables;
  /** Threads in the process (default 1): each enforces its share of the transaction caps. */
  readonly threads?: number;
}

export interface SipStack {
  readonly transport: TransportManager;
  readonly transactions: TransactionLayer;
  readonly relay: Relay;
  readonly dns: DnsCache;
  readonly identity: StackIdentity;
  /** HEP capture of this thread's messages, when `hep.collector` is set. */
  readonly hep: HepExport | undefined;
  /** The permissions address table of this thread's relay. */
  readonly acl: AclTable;
  /** Edge security of this thread: pike, bans, secfilter (worker threads keep their own). */
  readonly edge: EdgeGuard;
  /** This thread's own pressure (event-loop delay, UDP backlog): load shedding and excused timeouts. */
  readonly pressure: PressureMonitor;
  /** Refuses new calls and waits for answers still pending (at most drain_timeout); the sockets stay open. */
  drain(): Promise<void>;
  /** Drains, then closes the sockets. */
  stop(): Promise<void>;
}

const NO_LOCAL = Object.freeze({ address: '', port: 0 });
/** Without flow_token_secret, flow tokens live as long as this process (as its connections do). */
const PROCESS_FLOW_SECRET = randomBytes(32);

/** The source a response target is computed for when no request is at hand (stray 2xx). */
export function statelessSource(via: Via): MessageSource {
  const t = via.transport.toLowerCase() as Transport;
  return { transport: TRANSPORTS.includes(t) ? t : 'udp', address: '', port: 0, local: NO_LOCAL };
}

function ownIdentity(config: Config, transport: TransportManager): StackIdentity {
  const listen = resolveConfig(config).transport.listen;
  const advertised: Partial<Record<Transport, LocalAddress>> = {};
  for (const t of TRANSPORTS) {
    if (!listen.some((s) => s.transport === t)) continue;
    const a = transport.localAddressFor(t);
    advertised[t] = { host: a.host, port: a.port };
  }
  return { advertised, bound: transport.addresses().map(hostPort) };
}

const hostPort = (a: BoundAddress): string => `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;

/**
 * Who this thread's relay is: the process's identity and this thread's own farm sockets, which the
 * Via of every request to the farm names, so the farm's 2xx retransmissions that reach the relay
 * after its transaction passed them up (RFC 6026) or ended (§16.7) are recognised as ours and forwarded.
 */
function threadIdentity(identity: StackIdentity, transport: TransportManager): StackIdentity {
  const farm = transport.farmAddresses();
  return farm.length === 0 ? identity : { ...identity, bound: [...identity.bound, ...farm.map(hostPort)] };
}

/** The relay's options from the config and who we are (bench/relay/per-call.mjs builds a relay with them too). */
export function relayOptions(config: Config, identity: StackIdentity, threads = 1): RelayOptions {
  const resolved = resolveConfig(config);
  const relay = resolved.relay;
  return {
    ...relay,
    shedding: { ...relay.shedding, maxTransactions: threadLimits(resolved, threads).maxTransactions },
    advertised: identity.advertised,
    aliases: [...relay.aliases, ...identity.bound],
    routes: relay.routes.map((r) => ({ ...r, hashValue: r.hashValue && compileHashValue(r.hashValue) })),
  };
}

function createHep(config: Config, logger: PinoLogger): HepExport | undefined {
  const options = resolveConfig(config).hep;
  return options && startHepExport(options, logger.child({ component: 'hep' }));
}

function createTransport(config: Config, logger: PinoLogger, options: SipStackOptions, hep: HepExport | undefined, filter: InboundFilter): TransportManager {
  return new TransportManager(
    { ...resolveConfig(config).transport, listen: options.listen, threadSockets: options.threadSockets },
    { scheduler: systemScheduler, logger: logger.child({ component: 'transport' }), router: options.router, tap: hep?.capture, filter },
  );
}

/** Opens the sockets and builds the relay on them; rejects with LISTEN_FAILED naming the address. */
export async function startSipStack(config: Config, logger: PinoLogger, dispatcher: RelayDispatcher, options: SipStackOptions): Promise<SipStack> {
  const acl = await AclTable.load(config.address_groups, config.address_file);
  const hep = createHep(config, logger);
  const edge = createEdgeFilter(resolveConfig(config).edge, {
    isDestination: (address) => dispatcher.isDestinationHost(address),
    now: systemScheduler.now,
    logger: logger.child({ component: 'edge' }),
    shareBan: options.shareBan,
    shared: options.edgeTables,
  });
  const transport = createTransport(config, logger, options, hep, edge.filter);
  const pressure = createPressureMonitor(config, transport);
  const transactions = new TransactionLayer({
    transport,
    scheduler: systemScheduler,
    timers: timerValues(resolveConfig(config).timers),
    logger: logger.child({ component: 'transaction' }),
    maxCompleted: threadLimits(resolveConfig(config), options.threads ?? 1).maxCompleted,
    pressure: pressure.monitor,
  });
  const dns = new DnsCache({ now: systemClock.now, ...resolveConfig(config).dns });
  // The relay needs the bound addresses, so it is built after the sockets open; a datagram in
  // between is dropped and counted (the sender retransmits).
  try {
    await transport.start();
  } catch (e) {
    pressure.stop();
    hep?.close();
    throw e;
  }
  const identity = options.identity ?? ownIdentity(config, transport);
  pressure.start();
  const relay = new Relay(
    {
      dispatcher,
      io: {
        send: (bytes, target) => transport.send(bytes, target),
        // The relay hands back the transport's own MessageSource, or none for a stateless forward.
        responseTarget: (via, source) => responseTarget(via, (source as MessageSource | undefined) ?? statelessSource(via)),
        resolve: dns.resolve,
        connectionOpen: (t, id) => transport.connectionOpen(t, id),
        farmSocket: options.threadSockets ? (address) => transport.farmSocket(address) : undefined,
      },
      flows: new FlowTokens(config.flow_token_secret ?? PROCESS_FLOW_SECRET),
      pressure: pressure.monitor,
      groups: acl,
      authAnswers: { answered: (source, status, hadCredentials) => edge.guard.authAnswered(source.address, status, hadCredentials) },
      trusted: (address) => edge.guard.isExempt(address),
      shedLast: edge.inTrusted,
    },
    transactions,
    relayOptions(config, threadIdentity(identity, transport), options.threads),
    logger.child({ component: 'relay' }),
  );
  transport.onMessage((msg, source, late) => relay.receive(msg, source, late));
  const drain = async (): Promise<void> => {
    relay.drain();
    let timer: NodeJS.Timeout | undefined;
    // Waits for answers still pending, not for the timers that only absorb retransmissions.
    await Promise.race([transactions.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, resolveConfig(config).lifecycle.drainTimeoutMs)))]);
    clearTimeout(timer);
  };
  return {
    transport,
    transactions,
    relay,
    dns,
    identity,
    hep,
    edge: edge.guard,
    acl,
    pressure: pressure.monitor,
    drain,
    async stop() {
      await drain();
      transactions.close();
      pressure.stop();
      await transport.close();
      hep?.close();
    },
  };
}

/**
 * Samples this thread's event-loop delay and the backlog of its UDP ports (docs/overload.md) from
 * start(), once the sockets are bound; built before them, as the transaction layer reads it too.
 */
function createPressureMonitor(config: Config, transport: TransportManager): { monitor: PressureMonitor; start(): void; stop(): void } {
  let ports: ReadonlySet<number> = new Set();
  let capacity = 0;
  const sampler = createPressureSampler(() => ports, () => capacity, () => transport.takeIntakeWait());
  const { thresholds, sampleIntervalMs } = resolveConfig(config).pressure;
  const monitor = new PressureMonitor(thresholds, systemScheduler, sampleIntervalMs, sampler.sample);
  return {
    monitor,
    start() {
      // the thread's own farm sockets too: answers lost there time out like the farm's fault
      ports = new Set(transport.udpPorts());
      capacity = transport.udpReceiveBufferSize();
      monitor.start();
    },
    stop() {
      monitor.stop();
      sampler.close();
    },
  };
}
