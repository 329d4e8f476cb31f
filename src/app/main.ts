/**
 * The composition root: builds every component from the resolved config, wires events, sockets
 * and the admin API, and owns the lifecycle (reload, graceful stop).
 */
import { readFile } from 'node:fs/promises';
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config-types.js';
import type { ReloadOutcome } from '../admin/rpc-methods.js';
import { Dispatcher, type LoadReport } from '../dispatcher/dispatcher.js';
import { parseReplyCodes, type HealthConfig } from '../dispatcher/health.js';
import { Relay } from '../relay/relay.js';
import type { RelayOptions } from '../relay/relay-options.js';
import { SipDispatchError } from '../shared/errors.js';
import { systemScheduler } from '../shared/scheduler.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import { timerValues } from '../transaction/timers.js';
import type { Via } from '../sip/message.js';
import { responseTarget } from '../transport/response-target.js';
import type { MessageSource } from '../transport/target.js';
import { TransportManager } from '../transport/transport-manager.js';
import { DispatcherAdapter } from './dispatcher-adapter.js';
import { DnsCache } from './dns-cache.js';


export interface AppCore {
  readonly config: Config;
  readonly dispatcher: Dispatcher;
  readonly transactions: TransactionLayer;
  readonly transport: TransportManager;
  readonly relay: Relay;
  readonly dns: DnsCache;
  /** Re-reads the list file and swaps it in (/reload and SIGHUP serialize through the admin's gate). */
  reload(reset?: boolean): Promise<ReloadOutcome>;
  /** Stops taking new calls, lets transactions finish (bounded by drain_timeout), closes sockets. */
  stop(): Promise<void>;
}

/** Reads the list file; an unreadable file is a LIST_READ error naming it. */
export async function readListFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new SipDispatchError('LIST_READ', `${file}: cannot read dispatcher list: ${(e as Error).message}`, { file });
  }
}

/** Probing mode, thresholds and reply-code rules, shared by the dispatcher and the prober. */
export function healthConfig(config: Config): HealthConfig {
  return {
    probingMode: config.ds_probing_mode,
    probingThreshold: config.ds_probing_threshold,
    inactiveThreshold: config.ds_inactive_threshold,
    replyCodes: parseReplyCodes(config.ds_ping_reply_codes).rules,
  };
}

/** The dispatcher as the config describes it (also used by --check). */
export function createDispatcher(config: Config): Dispatcher {
  return new Dispatcher({
    listMode: config.list_mode,
    keepStateOnReload: config.reload_keeps_state,
    health: healthConfig(config),
    latency: { enabled: config.ds_ping_latency_stats, alpha: config.ds_latency_estimator_alpha / 1000 },
    callLoad: { expireMs: config.ds_hash_expire * 1000, initExpireMs: config.ds_hash_initexpire * 1000 },
    pingActive: config.ping_active,
    now: () => Date.now(),
    random: Math.random,
  });
}

/** Loads the list at start; any error is fatal and names file and line. */
export async function loadList(dispatcher: Dispatcher, file: string): Promise<LoadReport> {
  const r = dispatcher.load(await readListFile(file), file);
  if (!r.ok) throw new SipDispatchError(r.error.code, r.error.errors.join('\n'), { file, errors: r.error.errors });
  return r.value;
}

const NO_LOCAL = Object.freeze({ address: '', port: 0 });

/** The source a response target is computed for when no request is at hand (stray 2xx). */
function statelessSource(via: Via): MessageSource {
  return { transport: via.transport === 'TCP' ? 'tcp' : 'udp', address: '', port: 0, local: NO_LOCAL };
}

function relayOptions(config: Config, transport: TransportManager): RelayOptions {
  const udp = config.listenSpecs.some((s) => s.transport === 'udp') ? transport.localAddressFor('udp') : undefined;
  const tcp = config.listenSpecs.some((s) => s.transport === 'tcp') ? transport.localAddressFor('tcp') : undefined;
  const bound = transport.addresses().map((a) => `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`);
  return {
    advertised: { udp: udp && { host: udp.host, port: udp.port }, tcp: tcp && { host: tcp.host, port: tcp.port } },
    aliases: [...config.alias, ...bound],
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
  };
}

/** Builds and starts the SIP side: list, sockets, transactions, relay. */
export async function startCore(config: Config, logger: PinoLogger, dispatcher: Dispatcher): Promise<AppCore> {
  const scheduler = systemScheduler;
  const transport = new TransportManager(
    {
      listen: config.listenSpecs,
      advertise: config.advertiseAddress,
      forceRport: config.force_rport,
      reusePort: false,
      udpBufferSize: config.udp_buffer_size,
      maxMessageSize: config.max_message_size,
      tcp: {
        idleTimeoutMs: config.tcp_idle_timeout,
        maxConnections: config.tcp_max_connections,
        maxBufferedBytes: config.tcp_max_buffer,
        connectTimeoutMs: config.tcp_connect_timeout,
      },
    },
    { scheduler, logger: logger.child({ component: 'transport' }) },
  );
  const transactions = new TransactionLayer({
    transport,
    scheduler,
    timers: timerValues({ t1: config.t1, t2: config.t2, t4: config.t4, frTimer: config.fr_timer, frInvTimer: config.fr_inv_timer, waitTimer: config.wait_timer }),
    logger: logger.child({ component: 'transaction' }),
  });
  const dns = new DnsCache({ now: () => Date.now(), fallbackTtlMs: 60_000, maxTtlMs: 3_600_000 });
  // The relay needs the bound addresses, so it is built after the sockets open; a datagram in
  // between is dropped and counted (the sender retransmits).
  await transport.start();
  const relay = new Relay(
    {
      dispatcher: new DispatcherAdapter(dispatcher, { useDefault: config.use_default, hashFailover: config.hash_failover }),
      io: {
        send: (bytes, target) => transport.send(bytes, target),
        // The relay hands back the transport's own MessageSource, or none for a stateless forward.
        responseTarget: (via, source) => responseTarget(via, (source as MessageSource | undefined) ?? statelessSource(via)),
        resolve: dns.resolve,
      },
    },
    transactions,
    relayOptions(config, transport),
    logger.child({ component: 'relay' }),
  );
  transport.onMessage((msg, source) => relay.receive(msg, source));
  const expiry = setInterval(() => dispatcher.expireCalls(Date.now()), 30_000);
  expiry.unref();
  const core: AppCore = {
    config,
    dispatcher,
    transactions,
    transport,
    relay,
    dns,
    async reload(reset = false) {
      let text: string;
      try {
        text = await readFile(config.list, 'utf8');
      } catch (e) {
        return { ok: false, code: 'LIST_READ', errors: [`${config.list}: cannot read dispatcher list: ${(e as Error).message}`] };
      }
      const r = dispatcher.reload(text, config.list, { reset });
      return r.ok ? { ok: true, report: r.value } : { ok: false, code: r.error.code, errors: r.error.errors };
    },
    async stop() {
      relay.drain();
      clearInterval(expiry);
      let timer: NodeJS.Timeout | undefined;
      // Waits for answers still pending, not for the timers that only absorb retransmissions.
      await Promise.race([transactions.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, config.drain_timeout)))]);
      clearTimeout(timer);
      transactions.close();
      await transport.close();
    },
  };
  return core;
}
