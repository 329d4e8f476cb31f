/** The resolved config's types; they mirror config-schema.ts (keys keep Kamailio's names). */
import type { HostPort, ListenSpec } from '../shared/addresses.js';

export interface RouteConfig {
  match: { method?: string | string[]; ruri_user?: string };
  set: number;
  algorithm: number;
  limit: number;
  failover: { on: number[]; max_tries: number };
}

export interface RawConfig {
  list: string;
  listen: string[];
  advertise?: string;
  http: string;
  log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  admin_token?: string;
  alias: string[];
  list_mode: 'strict' | 'lenient';
  reload_keeps_state: boolean;
  reload_delta: number;
  ds_ping_interval: number;
  ds_ping_method: string;
  ds_ping_from: string;
  ds_ping_reply_codes: string;
  ds_ping_fr_timer: number;
  ds_probing_mode: 0 | 1 | 2 | 3;
  ds_probing_threshold: number;
  ds_inactive_threshold: number;
  ds_ping_latency_stats: boolean;
  ds_latency_estimator_alpha: number;
  ds_ping_concurrency: number;
  ds_hash_size: number;
  ds_hash_expire: number;
  ds_hash_initexpire: number;
  use_default: boolean;
  hash_failover: 'neighbour' | 'spread';
  ping_active: boolean;
  fr_timer: number;
  fr_inv_timer: number;
  t1: number;
  t2: number;
  t4: number;
  wait_timer: number;
  max_forwards_limit: number;
  record_route: boolean;
  force_rport: boolean;
  fix_nated_contact: boolean;
  udp_buffer_size: number;
  max_message_size: number;
  no_destination: { status: number; reason: string; retry_after: number };
  routes: RouteConfig[];
  tcp_idle_timeout: number;
  tcp_max_connections: number;
  tcp_max_buffer: number;
  tcp_connect_timeout: number;
  drain_timeout: number;
  workers: number;
  webhook_url?: string;
  webhook_queue_size: number;
  webhook_retries: number;
  traffic_failure_threshold: number;
  traffic_max_ejection_percent: number;
  overload_shedding: boolean;
  overload_max_event_loop_delay: number;
  overload_max_udp_backlog: number;
  overload_sample_interval: number;
  overload_retry_after: number;
  overload_shed_methods: string[];
}

export interface Config extends Readonly<RawConfig> {
  readonly configFile: string | undefined;
  readonly listenSpecs: readonly ListenSpec[];
  readonly httpAddress: { readonly host: string; readonly port: number };
  readonly advertiseAddress: HostPort | undefined;
}
