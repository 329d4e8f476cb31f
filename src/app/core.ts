/**
 * The composition root: builds every component from the resolved config, wires events, sockets
 * and the admin API, and owns the lifecycle (reload, graceful stop).
 */
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import type { Logger as PinoLogger } from 'pino';
import type { HepExport } from '../hep/hep-export.js';
import type { EdgeGuard } from '../edge/edge-guard.js';
import type { AclTable } from '../stack/acl-table.js';
import type { Config } from '../config/config-types.js';
import type { ReloadOutcome } from '../admin/rpc-methods.js';
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { Relay } from '../relay/relay.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import { resolveConfig } from '../config/resolve.js';
import { systemClock } from '../shared/clock.js';
import { canShareUdpSockets } from '../transport/socket-fd.js';
import type { PressureMonitor } from '../transport/pressure-monitor.js';
import type { TransportManager } from '../transport/transport-manager.js';
import { DispatcherAdapter } from '../stack/dispatcher-adapter.js';
import type { DnsCache } from '../transport/dns-cache.js';
import { startSipStack, type SipStack } from '../stack/sip-stack.js';
import { threadCount } from '../threads/thread-count.js';
import { runSliced } from '../stack/run-sliced.js';
import { collectStartUpGarbage } from '../stack/start-up-collection.js';
import { HeapGrowth, setV8HeapGrowth } from '../stack/heap-growth.js';
import { systemScheduler } from '../shared/scheduler.js';
import type { WorkerPool } from '../threads/worker-pool.js';


export interface AppCore {
  readonly config: Config;
  readonly dispatcher: Dispatcher;
  readonly transactions: TransactionLayer;
  readonly transport: TransportManager;
  readonly relay: Relay;
  readonly dns: DnsCache;
  /** The main thread's HEP capture (worker threads capture their own messages with their own). */
  readonly hep: HepExport | undefined;
  /** The main thread's permissions address table (worker threads load their own). */
  readonly acl: AclTable;
  /** The main thread's edge guard (bans, pike); worker threads keep their own. */
  readonly edge: EdgeGuard;
  /** The main thread's pressure monitor (load shedding; worker threads run their own). */
  readonly pressure: PressureMonitor;
  /** Server transactions alive on every thread. */
  activeTransactions(): number;
  /** The admin API lifted a ban (`key` undefined: every ban): worker threads lift it too. */
  liftBan(key: string | undefined): void;
  /** Datagrams each thread handed to the thread owning them, by thread index (one thread: [0], it hands nothing over). */
  handoffs(): readonly number[];
  /** Re-reads the list file and swaps it in (/reload and SIGHUP serialize through the admin's gate). */
  reload(reset?: boolean): Promise<ReloadOutcome>;
  /** Stops taking new calls, lets transactions finish (bounded by drain_timeout), closes sockets, ends workers. */
  stop(): Promise<void>;
}

/** Builds and starts the SIP side: sockets, transactions, relay, and the worker threads `workers` asks for. */
export async function startCore(config: Config, logger: PinoLogger, dispatcher: Dispatcher): Promise<AppCore> {
  const options = resolveConfig(config);
  const decision = threadCount(options.lifecycle.workers, {
    cores: availableParallelism(),
    sharedSockets: canShareUdpSockets(),
    platform: process.platform,
    udpListeners: options.transport.listen.filter((s) => s.transport === 'udp').length,
  });
  if (decision.warning) logger.warn({ workers: options.lifecycle.workers }, decision.warning);
  const adapter = new DispatcherAdapter(dispatcher, options.selection);
  // the address index now, not at the first request; then the start-up garbage (list load,
  // warm-up) is collected once, before any socket opens: the process starts at its live size
  adapter.indexNow();
  const collected = await collectStartUpGarbage();
  if (collected) {
    const mb = (bytes: number): number => Math.round(bytes / 1e6);
    logger.info({ heapBeforeMb: mb(collected.heapBefore), heapAfterMb: mb(collected.heapAfter), heapTotalMb: mb(collected.heapTotalAfter), ms: Math.round(collected.ms) }, 'start-up garbage collected');
  }
  if (decision.threads === 1) {
    return assembleCore(config, dispatcher, await startSipStack(config, logger, adapter, { listen: options.transport.listen }), undefined, logger, adapter);
  }
  // worker_threads is loaded only here: one thread stays today's code path
  const { WorkerPool } = await import('../threads/worker-pool.js');
  // Kamailio's attendant ends every child when one dies; here the shared sockets are gone with it,
  // and a supervisor (systemd, Docker's restart policy) starts a whole new process
  const onLostSockets = (): never => process.exit(1);
  const pool = new WorkerPool({ config, threads: decision.threads, dispatcher, logger, onLostSockets });
  const stack = await startSipStack(config, logger, adapter, { listen: options.transport.listen, threadSockets: true, router: pool.route, shareBan: (ban) => pool.shareBan(ban), edgeTables: pool.edgeTables, threads: decision.threads });
  try {
    await pool.start(stack);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  logger.info({ threads: decision.threads }, 'relay worker threads started');
  return assembleCore(config, dispatcher, stack, pool, logger, adapter);
}

function assembleCore(config: Config, dispatcher: Dispatcher, stack: SipStack, pool: WorkerPool | undefined, logger: PinoLogger, adapter: DispatcherAdapter): AppCore {
  const options = resolveConfig(config);
  const expiry = setInterval(() => dispatcher.expireCalls(systemClock.now()), 30_000);
  expiry.unref();
  // V8's heap growth is process-wide: the main thread watches pike's table, shared by all threads
  const heap = new HeapGrowth(options.lifecycle.heapGrowth, { sourcesSeen: () => stack.edge.sourcesSeen, apply: setV8HeapGrowth, scheduler: systemScheduler, logger });
  heap.start();
  return {
    config,
    dispatcher,
    transactions: stack.transactions,
    transport: stack.transport,
    relay: stack.relay,
    dns: stack.dns,
    hep: stack.hep,
    edge: stack.edge,
    acl: stack.acl,
    pressure: stack.pressure,
    activeTransactions: () => stack.transactions.activeCount + (pool?.transactions() ?? 0),
    handoffs: () => pool?.handoffs() ?? [0],
    liftBan: (key) => pool?.liftBan(key),
    async reload(reset = false) {
      // the permissions table reloads with the list (Kamailio: permissions.addressReload); a bad
      // address file keeps the table in force and is logged
      const acl = await stack.acl.reload();
      if (!acl.ok) logger.error({ errors: acl.errors, code: 'ACL_FILE' }, 'address file not reloaded: the old table stays in force');
      // certificates renew with the list (Kamailio: tls.reload); a bad file keeps those in force
      if (stack.transport.certificates().length > 0) {
        try {
          await stack.transport.reloadTls();
        } catch (e) {
          logger.error({ err: (e as Error).message, code: 'TLS_CONFIG' }, 'TLS certificates not reloaded: the old ones stay in force');
        }
      }
      let text: string;
      try {
        text = await readFile(config.list, 'utf8');
      } catch (e) {
        return { ok: false, code: 'LIST_READ', errors: [`${config.list}: cannot read dispatcher list: ${(e as Error).message}`] };
      }
      // in slices with turns of the event loop between them, the address index built before the swap
      const slice = options.list.sliceSize;
      const r = await runSliced(dispatcher.reloadSteps(text, config.list, { reset, slice, prepare: (next) => adapter.indexSteps(next, slice) }));
      return r.ok ? { ok: true, report: r.value } : { ok: false, code: r.error.code, errors: r.error.errors };
    },
    async stop() {
      clearInterval(expiry);
      heap.stop();
      // every thread finishes its calls while all of them still read the shared UDP sockets;
      // then the workers end (closing them) and the main thread closes the rest
      await Promise.all([stack.drain(), pool?.drain()]);
      await pool?.stop();
      await stack.stop();
    },
  };
}
