/**
 * The one place where the validated config becomes what components are built from: a frozen
 * option block per component, times in milliseconds, Kamailio's strings parsed (reply codes,
 * route matches, hash_value templates). Components never read the raw config; stack/ and app/
 * hand each its block. Non-fatal findings come back as `warnings` for the caller to log.
 */
import type { HostPort, ListenSpec } from '../shared/addresses.js';
import { parseHashTemplate, type HashPart } from '../shared/hash-template.js';
import { parseReplyCodes, type ReplyCodeRules } from '../shared/reply-codes.js';
import type { Config, RouteConfig } from './config-types.js';
import { deepFreeze } from './load-config.js';

export interface HealthBlock {
  readonly probingMode: Config['ds_probing_mode'];
  readonly probingThreshold: number;
  readonly inactiveThreshold: number;
  readonly replyCodes: ReplyCodeRules;
}

export interface RouteBlock {
  /** Methods this rule applies to (upper case); empty = any. */
  readonly methods: readonly string[];
  readonly ruriUser: RegExp | undefined;
  readonly set: number;
  readonly algorithm: number;
  /** Cap on candidates (0 = all). */
  readonly limit: number;
  readonly failoverOn: ReadonlySet<number>;
  readonly maxTries: number;
  /** Algorithm 7's template, parsed. */
  readonly hashValue: readonly HashPart[] | undefined;
}

export interface ResolvedConfig {
  readonly list: { readonly file: string };
  readonly dispatcher: {
    readonly listMode: Config['list_mode'];
    readonly keepStateOnReload: boolean;
    readonly health: HealthBlock;
    /** ds_latency_estimator_alpha / 1000: the weight of the old estimate. */
    readonly latency: { readonly enabled: boolean; readonly alpha: number };
    readonly callLoad: { readonly expireMs: number; readonly initExpireMs: number };
    readonly pingActive: boolean;
  };
  /** How the dispatcher adapter asks for candidates. */
  readonly selection: { readonly useDefault: boolean; readonly hashFailover: Config['hash_failover'] };
  readonly probe: {
    readonly intervalMs: number;
    /** Upper case. */
    readonly method: string;
    readonly from: string;
    /** 0 = the transaction layer's fr_timer. */
    readonly frTimerMs: number;
    readonly concurrency: number;
    readonly health: HealthBlock;
  };
  /** RFC 3261 T1/T2/T4 and Kamailio's tm timers, ms. */
  readonly timers: { readonly t1: number; readonly t2: number; readonly t4: number; readonly frTimer: number; readonly frInvTimer: number; readonly waitTimer: number };
  readonly transport: {
    readonly listen: readonly ListenSpec[];
    readonly advertise: HostPort | undefined;
    readonly forceRport: boolean;
    readonly udpBufferSize: number;
    readonly maxMessageSize: number;
    readonly tcp: { readonly idleTimeoutMs: number; readonly maxConnections: number; readonly maxBufferedBytes: number; readonly connectTimeoutMs: number };
  };
  readonly relay: {
    /** The configured aliases; the stack adds the bound addresses. */
    readonly aliases: readonly string[];
    readonly routes: readonly RouteBlock[];
    readonly recordRoute: boolean;
    readonly maxForwardsLimit: number;
    readonly fixNatedContact: boolean;
    readonly noDestination: { readonly status: number; readonly reason: string; readonly retryAfter: number };
  };
  readonly admin: {
    readonly http: { readonly host: string; readonly port: number };
    readonly token: string | undefined;
    readonly reloadDeltaMs: number;
    /** Which optional blocks dispatcher.list prints. */
    readonly listBlocks: { readonly latencyStats: boolean; readonly callLoad: boolean };
  };
  readonly webhook: { readonly url: string; readonly retries: number; readonly queueSize: number } | undefined;
  readonly lifecycle: { readonly drainTimeoutMs: number; readonly workers: number };
  readonly warnings: readonly string[];
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

function build(c: Config): ResolvedConfig {
  const replyCodes = parseReplyCodes(c.ds_ping_reply_codes);
  const health: HealthBlock = {
    probingMode: c.ds_probing_mode,
    probingThreshold: c.ds_probing_threshold,
    inactiveThreshold: c.ds_inactive_threshold,
    replyCodes: replyCodes.rules,
  };
  return {
    list: { file: c.list },
    dispatcher: {
      listMode: c.list_mode,
      keepStateOnReload: c.reload_keeps_state,
      health,
      latency: { enabled: c.ds_ping_latency_stats, alpha: c.ds_latency_estimator_alpha / 1000 },
      callLoad: { expireMs: c.ds_hash_expire * SECOND, initExpireMs: c.ds_hash_initexpire * SECOND },
      pingActive: c.ping_active,
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
      tcp: { idleTimeoutMs: c.tcp_idle_timeout, maxConnections: c.tcp_max_connections, maxBufferedBytes: c.tcp_max_buffer, connectTimeoutMs: c.tcp_connect_timeout },
    },
    relay: {
      aliases: c.alias,
      routes: c.routes.map(route),
      recordRoute: c.record_route,
      maxForwardsLimit: c.max_forwards_limit,
      fixNatedContact: c.fix_nated_contact,
      noDestination: { status: c.no_destination.status, reason: c.no_destination.reason, retryAfter: c.no_destination.retry_after },
    },
    admin: {
      http: c.httpAddress,
      token: c.admin_token,
      reloadDeltaMs: c.reload_delta * SECOND,
      listBlocks: { latencyStats: c.ds_ping_latency_stats, callLoad: c.routes.some((r) => r.algorithm === 10) },
    },
    webhook: c.webhook_url === undefined ? undefined : { url: c.webhook_url, retries: c.webhook_retries, queueSize: c.webhook_queue_size },
    lifecycle: { drainTimeoutMs: c.drain_timeout, workers: c.workers },
    warnings: replyCodes.warnings,
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
  };
}

/** load-config rejected bad templates, so this only unwraps. */
function template(text: string): readonly HashPart[] {
  const parsed = parseHashTemplate(text);
  if (!parsed.ok) throw new Error(`hash_value ${parsed.error}`);
  return parsed.value;
}
