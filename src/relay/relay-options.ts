/** Everything the relay needs, fully resolved from the config (stack/) (no defaults in here). */
import type { LocalAddress } from '../shared/addresses.js';
import type { Transport } from '../shared/events.js';
import type { HashValue } from './hash-value.js';

export interface RouteRule {
  /** Methods this rule applies to (upper case); empty = any. */
  methods: readonly string[];
  /** Request-URI user must match, when set. */
  ruriUser: RegExp | undefined;
  set: number;
  algorithm: number;
  /** Cap on candidates (0 = all). */
  limit: number;
  failoverOn: ReadonlySet<number>;
  maxTries: number;
  /** Algorithm 7's key, printed from the route's hash_value template. */
  hashValue: HashValue | undefined;
  /** Only sources in this address group may use the rule (Kamailio: allow_source_address). */
  sourceGroup: string | undefined;
  /** A source outside the group: silence, or 403 Forbidden. */
  onDeny: 'drop' | 403;
}

export interface RelayOptions {
  /** Our address per transport, as written in Via, Record-Route and Path. */
  advertised: Partial<Record<Transport, LocalAddress>>;
  /** Host names and addresses that are "us" besides the advertised ones (alias). */
  aliases: readonly string[];
  routes: readonly RouteRule[];
  recordRoute: boolean;
  maxForwardsLimit: number;
  fixNatedContact: boolean;
  noDestination: { status: number; reason: string; retryAfter: number };
  /** Load shedding: which initial requests are refused while under pressure, and their Retry-After (0 = none). */
  shedding: {
    methods: ReadonlySet<string>;
    retryAfter: number;
    /** max_transactions: with this many forwarded requests waiting for their final answer, new initial requests are shed too (0 = no cap). */
    maxTransactions: number;
  };
  /**
   * Flows (RFC 5626): requests from clients on these transports get a flow token in the
   * client-facing Record-Route and in Path, so the farm's requests come back on the same connection.
   */
  flows: { transports: ReadonlySet<Transport> };
  /** tls.client_groups: a verified client certificate's subject CN -> the address group it counts in. */
  tlsClientGroups: ReadonlyMap<string, string>;
  /**
   * Kamailio's udp_mtu + udp_mtu_try_proto (RFC 3261 §18.1.1): a request bigger than this many
   * bytes toward a UDP destination goes over TCP to the same address instead; 0 = never.
   */
  udpMtu: number;
  /** Kamailio's add_contact_alias/handle_ruri_alias for clients on connections (off: Contacts pass untouched). */
  contactAlias: boolean;
}
