/**
 * The running program: logging and metrics first (so the initial states are seen), then the list,
 * the SIP core, the prober and the admin API; SIGHUP reloads, SIGTERM/SIGINT drain and stop.
 */
import { readFileSync } from 'node:fs';
import type { Logger as PinoLogger } from 'pino';
import type { BanControl } from '../admin/ban-control.js';
import { buildAdmin } from '../admin/build-admin.js';
import { ReloadGate } from '../admin/reload-gate.js';
import type { ReloadOutcome } from '../admin/rpc-methods.js';
import type { Config } from '../config/config-types.js';
import { resolveConfig } from '../config/resolve.js';
import { createMetrics } from '../metrics/create-metrics.js';
import { Prober } from '../probe/prober.js';
import { SipDispatchError } from '../shared/errors.js';
import { systemScheduler } from '../shared/scheduler.js';
import { attachEventLogging } from '../stack/logging.js';
import { WebhookNotifier } from '../notify/webhook-notifier.js';
import { createDispatcher, loadList } from '../stack/create-dispatcher.js';
import { destinationViews, destinationViewsInSlices } from '../stack/destination-views.js';
import { startCore, type AppCore } from './core.js';
import { warmUp } from '../stack/warm-up.js';
import type { Transport } from '../shared/events.js';
import type { TransportManager } from '../transport/transport-manager.js';
import { createClusterNode } from '../cluster/create-cluster.js';
import { OwnedProbes } from '../cluster/owned-probes.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { ClusterMetricsView } from '../metrics/cluster-metrics.js';
import { systemClock } from '../shared/clock.js';

export interface RunningApp {
  readonly core: AppCore;
  /** The admin API's bound address. */
  readonly http: { host: string; port: number };
  reload(reset?: boolean): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The main thread's ban table as the admin API sees it (times from the system scheduler's clock);
 * every thread shares its bans with it, and a lift reaches every thread.
 */
function banControl(core: AppCore): BanControl {
  const bans = core.edge.bans;
  return {
    dump: () => bans.active(systemScheduler.now()).map((b) => ({ name: b.key, reason: b.reason, expires: Math.ceil((b.until - systemScheduler.now()) / 1000) })),
    delete: (name) => {
      core.liftBan(name);
      core.edge.released(name);
      return bans.delete(name);
    },
    flush: () => {
      core.liftBan(undefined);
      core.edge.released(undefined);
      return bans.flush();
    },
  };
}

/** Open connections per stream transport, for the `sipdispatch_connections` gauge. */
function connectionCounts(transport: TransportManager): Partial<Record<Transport, number>> {
  const { tcp, tls, ws } = transport.stats();
  return { tcp: tcp.connections, tls: tls?.connections ?? 0, ws: (ws?.connections ?? 0) - (ws?.secure ?? 0), wss: ws?.secure ?? 0 };
}

/** What the cluster metrics read at scrape time. */
function clusterView(node: ClusterNode): ClusterMetricsView {
  const status = node.status();
  return { connected: status.connected, members: status.members.length, listMismatch: status.listMismatch, owners: node.probeOwners() };
}

export async function runApp(config: Config, logger: PinoLogger): Promise<RunningApp> {
  // before anything subscribes to the events: no metric or log line sees the synthetic calls
  const warm = warmUp(config, config.warm_up_calls);
  const detachLogging = attachEventLogging(logger);
  if (config.warm_up_calls > 0) logger.info({ calls: warm.calls, ms: warm.ms }, 'hot path warmed up');
  const options = resolveConfig(config);
  for (const w of options.warnings) logger.warn({ file: config.configFile }, w);
  const dispatcher = createDispatcher(config);
  let core: AppCore | undefined;
  let httpAddress = `${options.admin.http.host}:${options.admin.http.port}`;
  const node = createClusterNode(options.cluster, {
    dispatcher,
    scheduler: systemScheduler,
    wallClock: systemClock.now,
    logger: logger.child({ component: 'cluster' }),
    address: () => ({ sip: core?.transport.addresses().map((a) => `${a.transport}:${a.address}:${a.port}`) ?? [], http: httpAddress }),
  });
  const metrics = createMetrics({
    version: VERSION,
    transactionsActive: () => core?.activeTransactions() ?? 0,
    udpHandoffs: () => core?.handoffs() ?? [],
    hep: () => core?.hep?.counts(),
    edge: () => core && { bans: core.edge.bans.active(systemScheduler.now()).length, trackedSources: core.edge.trackedSources, evictions: core.edge.evictions, connections: connectionCounts(core.transport) },
    pressure: () => core && { ...core.pressure.latest, shedShare: core.pressure.shedding ? core.pressure.shedShare : 0 },
    cluster: () => clusterView(node),
    maxDestinationSeries: options.metrics.maxDestinationSeries,
    destinations: () => destinationViews(dispatcher),
    destinationsInSlices: () => destinationViewsInSlices(dispatcher),
  });
  try {
    const report = await loadList(dispatcher, options.list.file);
    for (const w of report.warnings) logger.warn({ file: options.list.file }, w);
    // its garbage goes with the start-up collection in startCore
    node.prepareDigest();
    core = await startCore(config, logger, dispatcher);
  } catch (e) {
    metrics.close();
    detachLogging();
    throw e;
  }
  const started = core;
  const prober = new Prober(
    options.probe,
    {
      dispatcher: new OwnedProbes(dispatcher, node.shouldProbe),
      transactions: started.transactions,
      scheduler: systemScheduler,
      localVia: (transport, branch) => started.relay.identity.via(transport, branch),
      resolve: started.dns.resolve,
      logger: logger.child({ component: 'probe' }),
    },
  );
  const gate = new ReloadGate(systemScheduler.now, options.admin.reloadDeltaMs);
  const reload = (reset = false): Promise<ReloadOutcome> => gate.run(() => started.reload(reset));
  const admin = buildAdmin({
    dispatcher,
    reload: ({ reset }) => started.reload(reset),
    pingActive: {
      get: () => prober.pingActive,
      set: (on) => {
        prober.pingActive = on;
        node.pingActiveChanged(on);
      },
    },
    metrics: () => metrics.metrics(),
    metricsContentType: metrics.contentType,
    ready: () => true,
    token: options.admin.token,
    logger: logger.child({ component: 'admin' }),
    listBlocks: options.admin.listBlocks,
    reloadDeltaMs: options.admin.reloadDeltaMs,
    reloadGate: gate,
    bans: banControl(started),
    acl: started.acl,
    transport: started.transport,
    cluster: node,
    siptrace: started.hep && { get: () => started.hep!.capture.enabled, set: (on) => started.hep!.capture.setEnabled(on) },
  });
  try {
    await admin.listen({ host: options.admin.http.host, port: options.admin.http.port });
  } catch (e) {
    await started.stop();
    metrics.close();
    detachLogging();
    const where = `${options.admin.http.host}:${options.admin.http.port}`;
    throw new SipDispatchError('LISTEN_FAILED', `cannot listen on http ${where}: ${(e as Error).message}`, { address: where }, { cause: e });
  }
  const address = admin.server.address();
  const http = typeof address === 'object' && address ? { host: address.address, port: address.port } : options.admin.http;
  httpAddress = `${http.host}:${http.port}`;
  node.start();
  prober.start();
  const webhook = options.webhook && new WebhookNotifier({ ...options.webhook, scheduler: systemScheduler, logger: logger.child({ component: 'webhook' }) });
  webhook?.start();
  logger.info(
    { sip: started.transport.addresses().map((a) => `${a.transport}:${a.address}:${a.port}`), http: `${http.host}:${http.port}`, list: options.list.file, version: VERSION },
    'sipdispatch started',
  );
  let stopping: Promise<void> | undefined;
  return {
    core: started,
    http,
    reload,
    stop() {
      stopping ??= (async () => {
        logger.info({ drainTimeoutMs: options.lifecycle.drainTimeoutMs }, 'stopping: draining transactions');
        await prober.stop();
        await node.stop();
        await started.stop();
        await webhook?.close();
        await admin.close();
        metrics.close();
        detachLogging();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
