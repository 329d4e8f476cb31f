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
import type { Relay } from '../relay/relay.js';
import { SipDispatchError } from '../shared/errors.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import { supportsUdpReusePort } from '../transport/reuse-port.js';
import type { PressureMonitor } from '../transport/pressure-monitor.js';
import type { TransportManager } from '../transport/transport-manager.js';
import { DispatcherAdapter } from './dispatcher-adapter.js';
import type { DnsCache } from './dns-cache.js';
import { startSipStack, type SipStack } from './sip-stack.js';
import { threadCount } from './thread-count.js';
import type { WorkerPool } from './worker-pool.js';


export interface AppCore {
  readonly config: Config;
  readonly dispatcher: Dispatcher;
  readonly transactions: TransactionLayer;
  readonly transport: TransportManager;
  readonly relay: Relay;
  readonly dns: DnsCache;
  /** The main thread's pressure monitor (load shedding; worker threads run their own). */
  readonly pressure: PressureMonitor;
  /** Server transactions alive on every thread. */
  activeTransactions(): number;
  /** Datagrams each thread handed to the thread owning them, by thread index (empty with one thread). */
  handoffs(): readonly number[];
  /** Re-reads the list file and swaps it in (/reload and SIGHUP serialize through the admin's gate). */
  reload(reset?: boolean): Promise<ReloadOutcome>;
  /** Stops taking new calls, lets transactions finish (bounded by drain_timeout), closes sockets, ends workers. */
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
    traffic: { threshold: config.traffic_failure_threshold, maxEjectionPercent: config.traffic_max_ejection_percent },
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

/** Builds and starts the SIP side: sockets, transactions, relay, and the worker threads `workers` asks for. */
export async function startCore(config: Config, logger: PinoLogger, dispatcher: Dispatcher): Promise<AppCore> {
  const decision = threadCount(config.workers, {
    reusePort: supportsUdpReusePort(),
    nodeVersion: process.versions.node,
    platform: process.platform,
    udpListeners: config.listenSpecs.filter((s) => s.transport === 'udp').length,
  });
  if (decision.warning) logger.warn({ workers: config.workers }, decision.warning);
  const adapter = new DispatcherAdapter(dispatcher, { useDefault: config.use_default, hashFailover: config.hash_failover });
  if (decision.threads === 1) {
    return assembleCore(config, dispatcher, await startSipStack(config, logger, adapter, { listen: config.listenSpecs, reusePort: false }), undefined);
  }
  // worker_threads is loaded only here: one thread stays today's code path
  const { WorkerPool } = await import('./worker-pool.js');
  const pool = new WorkerPool({ config, threads: decision.threads, dispatcher, logger });
  const stack = await startSipStack(config, logger, adapter, { listen: config.listenSpecs, reusePort: true, router: pool.route });
  try {
    await pool.start(stack);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  logger.info({ threads: decision.threads }, 'relay worker threads started');
  return assembleCore(config, dispatcher, stack, pool);
}

function assembleCore(config: Config, dispatcher: Dispatcher, stack: SipStack, pool: WorkerPool | undefined): AppCore {
  const expiry = setInterval(() => dispatcher.expireCalls(Date.now()), 30_000);
  expiry.unref();
  return {
    config,
    dispatcher,
    transactions: stack.transactions,
    transport: stack.transport,
    relay: stack.relay,
    dns: stack.dns,
    pressure: stack.pressure,
    activeTransactions: () => stack.transactions.activeCount + (pool?.transactions() ?? 0),
    handoffs: () => pool?.handoffs() ?? [],
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
      clearInterval(expiry);
      await Promise.all([stack.stop(), pool?.stop()]);
    },
  };
}
