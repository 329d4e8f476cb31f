/**
 * The one place where the validated config becomes what components are built from: a frozen
 * option block per component, times in milliseconds, Kamailio's strings parsed (reply codes,
 * route matches, hash_value templates). Components never read the raw config; stack/ and app/
 * hand each its block. Non-fatal findings come back as `warnings` for the caller to log.
 */
import type { AdminDeps } from '../admin/build-admin.js';
import type { DispatcherOptions } from '../dispatcher/dispatcher.js';
import type { HealthConfig } from '../dispatcher/health.js';
import type { SelectOptions } from '../dispatcher/select.js';
import type { ClusterOptions } from '../cluster/create-cluster.js';
import type { EdgeGuardOptions } from '../edge/edge-guard.js';
import type { HepExportOptions } from '../hep/hep-export.js';
import type { WebhookNotifierOptions } from '../notify/webhook-notifier.js';
import type { ProberOptions } from '../probe/prober.js';
import type { RelayOptions, RouteRule } from '../relay/relay-options.js';
import { parseHashTemplate, type HashPart } from '../shared/hash-template.js';
import { parseReplyCodes } from '../shared/reply-codes.js';
import type { TimerConfig } from '../transaction/timers.js';
import type { PressureThresholds } from '../transport/pressure-monitor.js';
import type { DnsCacheOptions } from '../transport/dns-cache.js';
import type { TransportManagerOptions } from '../transport/transport-manager.js';
import type { Config, RouteConfig } from './config-types.js';
import { deepFreeze } from './load-config.js';

/** A route as the relay takes it, but with hash_value parsed, not compiled (the stack compiles it). */
export type RouteBlock = Omit<RouteRule, 'hashValue'> & { readonly hashValue: readonly HashPart[] | undefined };

/**
 * Each block is typed by the component that reads it (type-only imports: the component owns its
 * option shape, config/ only fills it); what is known only at run time is left out.
 */
export interface ResolvedConfig {
  readonly list: { readonly file: string; readonly sliceSize: number };
  readonly dispatcher: Omit<DispatcherOptions, 'now' | 'random'>;
  /** How the dispatcher adapter asks for candidates. */
  readonly selection: Pick<SelectOptions, 'useDefault' | 'hashFailover'>;
  readonly probe: ProberOptions;
  readonly timers: Required<TimerConfig>;
  readonly transport: TransportManagerOptions;
  readonly relay: Omit<RelayOptions, 'advertised' | 'routes'> & { readonly routes: readonly RouteBlock[] };
  readonly admin: Required<Pick<AdminDeps, 'listBlocks' | 'reloadDeltaMs'>> & Pick<AdminDeps, 'token'> & { readonly http: { readonly host: string; readonly port: number } };
  readonly webhook: Pick<WebhookNotifierOptions, 'url' | 'retries' | 'queueSize'> | undefined;
  /** Overload: what counts as our own pressure, sampled every `sampleIntervalMs`. */
  readonly pressure: { readonly thresholds: PressureThresholds; readonly sampleIntervalMs: number };
  /** The DNS cache's bounds (names come from the network). */
  readonly dns: Omit<DnsCacheOptions, 'now' | 'lookup'>;
  /** Edge security: pike, bans, secfilter; `trusted` as written (the stack parses it). */
  readonly edge: EdgeGuardOptions & { readonly trusted: readonly string[] };
  /** HEP capture; undefined without `hep.collector`. */
  readonly hep: HepExportOptions | undefined;
  readonly lifecycle: { readonly drainTimeoutMs: number; readonly workers: number | 'auto'; readonly heapGrowth: Config['heap_growth'] };
  /** Scale-out; `redis` undefined = single instance. */
  readonly cluster: ClusterOptions;
  readonly warnings: readonly string[];
  readonly metrics: { readonly maxDestinationSeries: number };
  /** The transaction layer's bound on answered transactions waiting out their timers (0 = none). */
  readonly transactions: { readonly maxCompleted: number };
}

const cache = new WeakMap<Config, ResolvedConfig>();

/** The option blocks of a loaded config; computed once per config object. */
export function resolveConfig(config: Config): ResolvedConfig {
  let resolved = cache.get(config);
  if (!resolved) {
    resolved = deepFreeze(build(config));
    cache.set(config, resolved);
  }
  return resolved;
}

const SECOND = 1000;
/**
 * Held requests handled per turn of the event loop, ms: short enough that the sockets are read
 * again ~1,000 times a second (libuv reads 32 datagrams a socket per turn).
 */
const INTAKE_BUDGET_MS = 1;
/** Requests the intake holds at most: at 2x the bench's rate it holds a few hundred. */
const INTAKE_CAPACITY = 4096;

function build(c: Config): ResolvedConfig {
  const replyCodes = parseReplyCodes(c.ds_ping_reply_codes);
  // the relay sheds them and the UDP intake holds them: one set for both
  const shedMethods: ReadonlySet<string> = new Set(c.overload_shed_methods.map((m) => m.toUpperCase()));
  // no shedding, no late refusals: the intake queue goes with it
  const queueDelay = c.overload_shedding ? c.overload_max_queue_delay : 0;
  const health: HealthConfig = {
    probingMode: c.ds_probing_mode,
    probingThreshold: c.ds_probing_threshold,
    inactiveThreshold: c.ds_inactive_threshold,
    replyCodes: replyCodes.rules,
  };
  return {
    list: { file: c.list, sliceSize: c.list_slice_size },
    dispatcher: {
      listMode: c.list_mode,
      keepStateOnReload: c.reload_keeps_state,
      health,
      latency: { enabled: c.ds_ping_latency_stats, alpha: c.ds_latency_estimator_alpha / 1000 },
      callLoad: { expireMs: c.ds_hash_expire * SECOND, initExpireMs: c.ds_hash_initexpire * SECOND },
      pingActive: c.ping_active,
      traffic: { threshold: c.traffic_failure_threshold, maxEjectionPercent: c.traffic_max_ejection_percent },
    },
    selection: { useDefault: c.use_default, hashFailover: c.hash_failover },
    probe: {
      intervalMs: c.ds_ping_interval * SECOND,
      method: c.ds_ping_method.toUpperCase(),
      from: c.ds_ping_from,
      frTimerMs: c.ds_ping_fr_timer,
      concurrency: c.ds_ping_concurrency,
      health,
    },
    timers: { t1: c.t1, t2: c.t2, t4: c.t4, frTimer: c.fr_timer, frInvTimer: c.fr_inv_timer, waitTimer: c.wait_timer },
    transport: {
      listen: c.listenSpecs,
      advertise: c.advertiseAddress,
      forceRport: c.force_rport,
      udpBufferSize: c.udp_buffer_size,
      maxMessageSize: c.max_message_size,
      intake: queueDelay > 0
        ? { methods: shedMethods, maxDelayMs: queueDelay, budgetMs: INTAKE_BUDGET_MS, capacity: INTAKE_CAPACITY }
        : undefined,
      tcp: {
        idleTimeoutMs: c.tcp_idle_timeout,
        maxConnections: c.tcp_max_connections,
        maxBufferedBytes: c.tcp_max_buffer,
        connectTimeoutMs: c.tcp_connect_timeout,
        msgReadTimeoutMs: c.tcp_msg_read_timeout,
        acceptIpLimit: c.tcp_accept_iplimit,
        maxQueuedTotal: c.tcp_wq_max,
      },
      tls: {
        certificate: c.tls.certificate,
        privateKey: c.tls.private_key,
        caList: c.tls.ca_list,
        serverNames: c.tls.server_names.map((n) => ({ serverName: n.server_name, certificate: n.certificate, privateKey: n.private_key })),
        verifyClient: c.tls.verify_client,
        verifyServer: c.tls.verify_server,
        minVersion: c.tls.min_version,
        handshakeTimeoutMs: c.tls.handshake_timeout * SECOND,
      },
      websocket: {
        origins: c.websocket.origins,
        keepaliveIntervalMs: c.websocket.keepalive_interval * SECOND,
        keepaliveTimeoutMs: c.websocket.keepalive_timeout * SECOND,
        headerTimeoutMs: c.websocket.header_timeout * SECOND,
        maxPerIp: c.websocket.max_connections_per_ip,
      },
    },
    relay: {
      aliases: c.alias,
      routes: c.routes.map(route),
      recordRoute: c.record_route,
      maxForwardsLimit: c.max_forwards_limit,
      fixNatedContact: c.fix_nated_contact,
      noDestination: { status: c.no_destination.status, reason: c.no_destination.reason, retryAfter: c.no_destination.retry_after },
      shedding: { methods: shedMethods, retryAfter: c.overload_retry_after, maxTransactions: c.max_transactions },
      flows: { transports: new Set(c.flow_transports) },
      tlsClientGroups: new Map(Object.entries(c.tls.client_groups)),
      udpMtu: c.udp_mtu,
      contactAlias: c.contact_alias,
    },
    pressure: {
      thresholds: {
        maxEventLoopDelayMs: c.overload_max_event_loop_delay,
        maxUdpBacklogPercent: c.overload_max_udp_backlog,
        shedding: c.overload_shedding,
        maxQueueDelayMs: queueDelay,
      },
      sampleIntervalMs: c.overload_sample_interval,
    },
    admin: {
      http: c.httpAddress,
      token: c.admin_token,
      reloadDeltaMs: c.reload_delta * SECOND,
      listBlocks: { latencyStats: c.ds_ping_latency_stats, callLoad: c.routes.some((r) => r.algorithm === 10) },
    },
    webhook: c.webhook_url === undefined ? undefined : { url: c.webhook_url, retries: c.webhook_retries, queueSize: c.webhook_queue_size },
    dns: { fallbackTtlMs: 60 * SECOND, maxTtlMs: 3600 * SECOND, negativeTtlMs: c.dns_neg_cache_ttl * SECOND, maxEntries: c.dns_cache_size, maxPending: 256 },
    edge: {
      pike: { enabled: c.pike_enabled, density: c.reqs_density_per_unit, windowMs: c.sampling_time_unit * SECOND, maxSources: c.edge_max_sources },
      banMs: c.ban_expire * SECOND,
      maxBans: c.edge_max_sources,
      scanner: { enabled: c.secfilter_enabled, agents: c.secfilter_user_agents },
      scannerSilence: c.scanner_silence,
      authban: { enabled: c.authban_enabled, maxRetry: c.authban_maxretry, windowMs: c.authban_window * SECOND, banMs: c.authban_bantime * SECOND },
      trusted: c.trusted,
    },
    hep: c.hepCollector === undefined ? undefined : {
      collector: c.hepCollector,
      captureId: c.hep.capture_id,
      authKey: c.hep.auth_key,
      nodeName: c.hep.node_name,
      methods: c.hep.methods.map((m) => m.toUpperCase()),
      enabled: c.hep.capture,
      queueSize: c.hep.queue_size,
    },
    lifecycle: { drainTimeoutMs: c.drain_timeout, workers: c.workers, heapGrowth: c.heap_growth },
    cluster: cluster(c),
    warnings: [...replyCodes.warnings, ...clusterWarnings(c)],
    metrics: { maxDestinationSeries: c.metrics_destination_series },
    transactions: { maxCompleted: c.max_completed_transactions },
  };
}

function route(r: RouteConfig): RouteBlock {
  const method = r.match.method;
  return {
    methods: method === undefined ? [] : (Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase()),
    ruriUser: r.match.ruri_user === undefined ? undefined : new RegExp(r.match.ruri_user),
    set: r.set,
    algorithm: r.algorithm,
    limit: r.limit,
    failoverOn: new Set(r.failover.on),
    maxTries: r.failover.max_tries,
    hashValue: r.hash_value === undefined ? undefined : template(r.hash_value),
    sourceGroup: r.source_group,
    onDeny: r.on_deny === '403' ? 403 : 'drop',
  };
}

/** load-config rejected bad templates, so this only unwraps. */
function template(text: string): readonly HashPart[] {
  const parsed = parseHashTemplate(text);
  if (!parsed.ok) throw new Error(`hash_value ${parsed.error}`);
  return parsed.value;
}

function cluster(c: Config): ClusterOptions {
  const k = c.cluster;
  return {
    id: k.node_id,
    probing: k.probing,
    heartbeatMs: k.heartbeat_interval,
    memberTtlMs: k.member_ttl,
    resyncMs: k.resync_interval,
    loadIntervalMs: k.load_interval,
    redis: k.redis === undefined ? undefined : { url: k.redis, keyPrefix: k.key_prefix, commandTimeoutMs: k.command_timeout, maxRetryDelayMs: 1000 },
  };
}

function clusterWarnings(c: Config): string[] {
  const k = c.cluster;
  return k.member_ttl < 2 * k.heartbeat_interval
    ? [`cluster.member_ttl ${k.member_ttl} ms is less than two heartbeat_interval (${k.heartbeat_interval} ms): one late heartbeat drops a live member`]
    : [];
}
