/**
 * The config file's JSON schema: every key, its type and default. Keys keep Kamailio's modparam
 * names where one exists (dispatcher and tm modules), so an operator can map them one to one.
 * Defaults are filled by the validator, so inner layers never carry defaults of their own.
 */
export const routeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['set'],
  properties: {
    match: {
      type: 'object',
      additionalProperties: false,
      properties: {
        method: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }] },
        ruri_user: { type: 'string', description: 'regular expression on the Request-URI user' },
      },
      default: {},
    },
    set: { type: 'integer', minimum: 0 },
    algorithm: { type: 'integer', minimum: 0, maximum: 14, default: 4 },
    limit: { type: 'integer', minimum: 0, default: 0, description: '0 = every candidate' },
    source_group: { type: 'string', minLength: 1, description: 'only sources in this address group may take this route (permissions allow_source_address)' },
    on_deny: { enum: ['drop', '403'], default: 'drop', description: 'a source outside source_group: silence, or 403 Forbidden' },
    hash_value: { type: 'string', minLength: 1, description: "algorithm 7's key, like Kamailio's hash_pvar: $fU@$fd, $hdr(X-Tenant)" },
    failover: {
      type: 'object',
      additionalProperties: false,
      properties: {
        on: { type: 'array', items: { type: 'integer', minimum: 300, maximum: 699 }, default: [408, 500, 502, 503, 504] },
        max_tries: { type: 'integer', minimum: 1, default: 3 },
      },
      default: {},
    },
  },
} as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    list: { type: 'string', default: './dispatcher.list' },
    listen: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060'] },
    advertise: { type: 'string' },
    http: { type: 'string', default: '127.0.0.1:9060' },
    log_level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    admin_token: { type: 'string', minLength: 8 },
    alias: { type: 'array', items: { type: 'string' }, default: [] },

    // list loading and reload
    list_mode: { enum: ['strict', 'lenient'], default: 'strict' },
    reload_keeps_state: { type: 'boolean', default: true },
    reload_delta: { type: 'integer', minimum: 0, default: 5 },

    // dispatcher modparams
    ds_ping_interval: { type: 'integer', minimum: 0, default: 10 },
    ds_ping_method: { type: 'string', pattern: '^[A-Za-z]+$', default: 'OPTIONS' },
    ds_ping_from: { type: 'string', default: 'sip:dispatcher@localhost' },
    ds_ping_reply_codes: { type: 'string', default: '' },
    ds_ping_fr_timer: { type: 'integer', minimum: 0, default: 0 },
    ds_probing_mode: { enum: [0, 1, 2, 3], default: 1 },
    ds_probing_threshold: { type: 'integer', minimum: 1, default: 1 },
    ds_inactive_threshold: { type: 'integer', minimum: 1, default: 1 },
    ds_ping_latency_stats: { type: 'boolean', default: true },
    ds_latency_estimator_alpha: { type: 'integer', minimum: 1, maximum: 999, default: 900 },
    ds_ping_concurrency: { type: 'integer', minimum: 1, default: 32 },
    ds_hash_size: { type: 'integer', minimum: 0, default: 9 },
    ds_hash_expire: { type: 'integer', minimum: 1, default: 7200 },
    ds_hash_initexpire: { type: 'integer', minimum: 1, default: 7200 },
    use_default: { type: 'boolean', default: false },
    hash_failover: { enum: ['neighbour', 'spread'], default: 'neighbour' },
    ping_active: { type: 'boolean', default: true },

    // tm modparams and RFC 3261 timers (milliseconds)
    fr_timer: { type: 'integer', minimum: 100, default: 5000 },
    fr_inv_timer: { type: 'integer', minimum: 100, default: 120000 },
    t1: { type: 'integer', minimum: 50, default: 500 },
    t2: { type: 'integer', minimum: 100, default: 4000 },
    t4: { type: 'integer', minimum: 100, default: 5000 },
    wait_timer: { type: 'integer', minimum: 0, default: 5000 },

    // relay behaviour (the operators' kamailio.cfg)
    max_forwards_limit: { type: 'integer', minimum: 1, maximum: 255, default: 70 },
    record_route: { type: 'boolean', default: true },
    force_rport: { type: 'boolean', default: true },
    fix_nated_contact: { type: 'boolean', default: true },
    udp_buffer_size: { type: 'integer', minimum: 65536, default: 4194304 },
    max_message_size: { type: 'integer', minimum: 1024, maximum: 1048576, default: 65536 },
    no_destination: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { type: 'integer', minimum: 400, maximum: 699, default: 503 },
        reason: { type: 'string', default: 'Service Unavailable' },
        retry_after: { type: 'integer', minimum: 0, default: 30 },
      },
      default: {},
    },
    routes: { type: 'array', items: routeSchema, minItems: 1, default: [
      { match: { method: 'REGISTER' }, set: 1, algorithm: 2 },
      { set: 1, algorithm: 4 },
    ] },

    // TCP
    tcp_idle_timeout: { type: 'integer', minimum: 1000, default: 600000 },
    tcp_max_connections: { type: 'integer', minimum: 1, default: 4096 },
    tcp_max_buffer: { type: 'integer', minimum: 1024, default: 262144 },
    tcp_connect_timeout: { type: 'integer', minimum: 100, default: 3000 },

    // lifecycle and events
    drain_timeout: { type: 'integer', minimum: 0, default: 32000 },
    heap_growth: { enum: ['auto', 'compact', 'default'], default: 'auto', description: "V8's old-generation growth: compact (25 %) while pike sees sources churn (auto), always, or V8's default" },
    workers: { anyOf: [{ type: 'integer', minimum: 1, maximum: 64 }, { const: 'auto' }], default: 'auto', description: 'threads reading the same UDP sockets, as Kamailio children do (Linux); auto: one per core, at most 8' },
    webhook_url: { type: 'string', pattern: '^https?://' },
    webhook_queue_size: { type: 'integer', minimum: 1, default: 1000 },
    webhook_retries: { type: 'integer', minimum: 0, default: 3 },

    // edge security (Kamailio pike, htable ipban, secfilter, tcp_* core parameters): docs/public-internet.md
    pike_enabled: { type: 'boolean', default: true, description: 'ban a source over its request density' },
    reqs_density_per_unit: { type: 'integer', minimum: 1, default: 16, description: 'pike: requests a source may send per sampling_time_unit' },
    sampling_time_unit: { type: 'integer', minimum: 1, default: 2, description: 'pike: seconds of the sliding window' },
    ban_expire: { type: 'integer', minimum: 1, default: 300, description: 'seconds a source stays banned (htable ipban autoexpire)' },
    edge_max_sources: { type: 'integer', minimum: 16, default: 65536, description: 'sources pike follows and bans kept, each an LRU' },
    address_groups: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, default: {}, description: 'named networks for routes with source_group (permissions address table)' },
    address_file: { type: 'string', description: 'permissions-style file: GROUP NETWORK [NETWORK...] per line; reloaded by /reload and permissions.addressReload' },
    trusted: { type: 'array', items: { type: 'string' }, default: [], description: 'CIDR networks never banned nor silenced (carriers); destinations are always exempt' },
    secfilter_enabled: { type: 'boolean', default: true, description: 'drop requests from scanner User-Agents without a reply' },
    secfilter_user_agents: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['friendly-scanner', 'sipvicious', 'sipcli', 'VaxSIPUserAgent', 'iWar', 'sip-scan', 'SIPVicious', 'sundayddr', 'pplsip', 'smap'] },
    scanner_silence: { type: 'boolean', default: true, description: 'no answer to OPTIONS to no user from untrusted sources' },
    dns_cache_size: { type: 'integer', minimum: 16, default: 4096, description: 'host names the DNS cache keeps (LRU); names come from Route and Request-URI' },
    dns_neg_cache_ttl: { type: 'integer', minimum: 0, default: 60, description: 'seconds a name that did not resolve fails at once' },
    max_transactions: { type: 'integer', minimum: 0, default: 10000, description: 'forwarded requests with no response at all yet (not even 100 Trying) before new initial requests get 503 + Retry-After; 0 = no cap' },
    max_completed_transactions: { type: 'integer', minimum: 0, default: 50000, description: 'answered transactions waiting out wait_timer/T4 to absorb retransmissions; above it the oldest ends early; 0 = no cap' },
    authban_enabled: { type: 'boolean', default: true, description: 'ban a source after repeated auth failures answered by the farm' },
    authban_maxretry: { type: 'integer', minimum: 2, default: 5, description: 'auth failures (403; 401/407 to a request with credentials) within authban_window that ban' },
    authban_window: { type: 'integer', minimum: 1, default: 60, description: 'seconds' },
    authban_bantime: { type: 'integer', minimum: 1, default: 600, description: 'seconds an auth-failure ban lasts' },
    tcp_wq_max: { type: 'integer', minimum: 0, default: 67108864, description: 'bytes queued for writing over all TCP connections; 0 = no limit' },
    tcp_accept_iplimit: { type: 'integer', minimum: 0, default: 64, description: 'accepted TCP connections per source IP; 0 = no limit' },
    tcp_msg_read_timeout: { type: 'integer', minimum: 0, default: 10000, description: 'ms an accepted TCP connection has to complete each message; 0 = no limit' },

    // HEP v3 capture (Kamailio siptrace with hep_mode_on)
    hep: {
      type: 'object',
      additionalProperties: false,
      properties: {
        collector: { type: 'string', description: 'udp:HOST:PORT or tcp:HOST:PORT; absent = no capture' },
        capture_id: { type: 'integer', minimum: 0, maximum: 4294967295, default: 1 },
        auth_key: { type: 'string' },
        node_name: { type: 'string' },
        methods: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z]+$' }, default: [] },
        capture: { type: 'boolean', default: true },
        queue_size: { type: 'integer', minimum: 1, default: 10000 },
      },
      default: {},
    },

    // overload: marking by relayed traffic (Envoy outlier detection) and load shedding (docs/overload.md)
    traffic_failure_threshold: { type: 'integer', minimum: 1, default: 5, description: 'consecutive failed transactions before traffic marks a destination down' },
    traffic_max_ejection_percent: { type: 'integer', minimum: 0, maximum: 100, default: 50, description: 'share of a set traffic may hold down; never the last usable one' },
    overload_shedding: { type: 'boolean', default: true, description: 'answer new initial requests 503 while under pressure' },
    overload_max_event_loop_delay: { type: 'integer', minimum: 0, default: 200, description: 'ms of event-loop delay (p99 per sample) that means pressure; 0 = ignore' },
    overload_max_udp_backlog: { type: 'integer', minimum: 0, maximum: 100, default: 3, description: 'percent of the UDP receive buffer queued unread that means pressure; 0 = ignore' },
    overload_max_queue_delay: { type: 'integer', minimum: 0, default: 50, description: 'ms a new initial request may wait in the UDP intake before it is refused 503; 0 = no intake queue' },
    overload_sample_interval: { type: 'integer', minimum: 10, default: 100, description: 'ms between pressure samples' },
    overload_retry_after: { type: 'integer', minimum: 0, default: 5, description: 'Retry-After seconds of a shed request\'s 503; 0 = none' },
    overload_shed_methods: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z]+$' }, default: ['INVITE', 'REGISTER', 'SUBSCRIBE', 'MESSAGE', 'OPTIONS'] },

    // TLS listeners and TLS toward backends (Kamailio's tls module: tls.cfg's names), docs/webrtc-tls.md
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        certificate: { type: 'string', description: 'PEM certificate (chain) file of tls: and wss: listeners' },
        private_key: { type: 'string', description: 'PEM private key file' },
        ca_list: { type: 'string', description: 'PEM CA file: verifies client certificates and backends (default: the system CAs for backends)' },
        server_names: {
          type: 'array',
          description: 'more certificates, chosen by SNI',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['server_name', 'certificate', 'private_key'],
            properties: { server_name: { type: 'string', minLength: 1 }, certificate: { type: 'string' }, private_key: { type: 'string' } },
          },
          default: [],
        },
        verify_client: { enum: ['off', 'on', 'optional'], default: 'off', description: 'ask clients for a certificate: off; on = required and verified; optional = verified when given' },
        client_groups: {
          type: 'object',
          additionalProperties: { type: 'string' },
          default: {},
          description: 'verified client certificate subject CN -> address group (routes with source_group accept it)',
        },
        verify_server: { type: 'boolean', default: true, description: 'verify backends\' certificates (sips: and transport=tls destinations)' },
        min_version: { enum: ['TLSv1.2', 'TLSv1.3'], default: 'TLSv1.2' },
        handshake_timeout: { type: 'integer', minimum: 1, default: 10, description: 'seconds a new TLS connection may take to finish its handshake' },
      },
      default: {},
    },
    // SIP over WebSocket (RFC 7118): ws: and wss: listeners
    websocket: {
      type: 'object',
      additionalProperties: false,
      properties: {
        origins: { type: 'array', items: { type: 'string' }, default: [], description: 'allowed Origin headers of an upgrade; empty = any' },
        keepalive_interval: { type: 'integer', minimum: 0, default: 30, description: 'seconds between our pings; 0 = none' },
        keepalive_timeout: { type: 'integer', minimum: 1, default: 10, description: 'seconds a ping waits for its pong before the connection is closed' },
        header_timeout: { type: 'integer', minimum: 1, default: 5, description: 'seconds to send the upgrade request' },
        max_connections_per_ip: { type: 'integer', minimum: 0, default: 32, description: 'WebSocket connections per source IP; 0 = no limit' },
      },
      default: {},
    },
    // flows (RFC 5626): WebSocket and TLS clients are reached back on their own connection
    flow_token_secret: { type: 'string', minLength: 16, description: 'HMAC key of flow tokens; set it so tokens survive restarts and agree across instances (default: random per start)' },
    flow_transports: { type: 'array', items: { enum: ['tcp', 'tls', 'ws', 'wss'] }, default: ['tls', 'ws', 'wss'], description: 'client transports whose requests get a flow token' },
    warm_up_calls: { type: 'integer', minimum: 0, maximum: 100000, default: 3000, description: 'synthetic calls played through the hot path in memory before the sockets open (each thread), against the cold-start tail; 0 = none' },
    contact_alias: { type: 'boolean', default: false, description: 'add ;alias=ADDR~PORT~PROTO to Contacts of clients on connections and route requests by it (Kamailio add_contact_alias/handle_ruri_alias)' },
    udp_mtu: { type: 'integer', minimum: 0, default: 0, description: 'requests bigger than this many bytes to UDP destinations go over TCP (Kamailio udp_mtu_try_proto); 0 = off' },
    // large lists (docs/large-lists.md)
    metrics_destination_series: { type: 'integer', minimum: 0, default: 1000, description: 'destinations up to which metrics carry one series per destination; above, one per set with uri=""' },
    list_slice_size: { type: 'integer', minimum: 100, default: 500, description: 'list lines parsed and destinations built between two turns of the event loop on load and reload' },
    // scale-out: several instances share dispatcher state through Redis (docs/cluster.md)
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        redis: { type: 'string', pattern: '^rediss?://', description: 'redis://HOST:PORT[/DB]; absent = single instance (in memory)' },
        node_id: { type: 'string', pattern: '^\\S{1,128}$', description: 'unique per instance; default HOSTNAME:PID' },
        key_prefix: { type: 'string', default: 'sipdispatch:' },
        probing: { enum: ['distributed', 'leader', 'all'], default: 'distributed' },
        heartbeat_interval: { type: 'integer', minimum: 100, default: 1000, description: 'ms' },
        member_ttl: { type: 'integer', minimum: 300, default: 3000, description: 'ms after the last heartbeat a member is gone' },
        resync_interval: { type: 'integer', minimum: 100, default: 5000, description: 'ms between anti-entropy reads' },
        load_interval: { type: 'integer', minimum: 10, default: 50, description: 'ms between call-load publications (when changed)' },
        command_timeout: { type: 'integer', minimum: 50, default: 500, description: 'ms a Redis command may take' },
      },
      default: {},
    },
  },
} as const;

/** Every key the config file accepts. */
export const CONFIG_KEYS = Object.keys(configSchema.properties) as Array<keyof typeof configSchema.properties>;
